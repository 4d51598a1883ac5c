// The demo page's own parts: the "simulated trouble" controls post fault rules to the
// simulator (and clear them), the event log, and the links to the other pages.
import { test, expect, SIM } from "./fixtures.mjs";
import { Widget, file } from "./ui-widget.mjs";

const faults = async () => (await (await fetch(`${SIM}/_sim/faults`)).json());

test("simulated trouble: each switch posts its fault rules, switching off clears them", async ({ page }) => {
  await Widget.open(page);
  const slow = page.getByTestId("trouble-slow");
  await expect(page.getByTestId("trouble")).toBeVisible();
  await slow.check();
  await expect(page.getByTestId("trouble-status")).toHaveText("Trouble on: slow line.");
  const on = JSON.stringify(await faults());
  expect(on).toContain("bandwidth");
  await slow.uncheck();
  await expect(page.getByTestId("trouble-status")).toHaveText("No trouble: the simulator behaves.");
  expect(JSON.stringify(await faults())).not.toContain("bandwidth");
  expect(page.cspViolations).toEqual([]);
});

test("the event log lists the element's events as text", async ({ page }) => {
  const w = await Widget.open(page);
  const f = file("logged.mp4", 200_000, 91);
  await w.choose(f);
  await w.waitState(f.name, "ready");
  const log = page.getByTestId("events");
  await expect(log).toContainText("upload-start");
  await expect(log).toContainText("upload-ready");
  await expect(log).toContainText(f.name);
  await expect(page.getByText(/Uploader .* loaded/)).toBeVisible();
});
