// Screenshots of the widget's main states at 345 px (a CMS sidebar) and 1280 px wide, saved to
// artifacts/screenshots/ (git-ignored) for people to look at.
import { test, expect } from "./fixtures.mjs";
import { Widget, file, throttleUploads, refuseUploads } from "./ui-widget.mjs";

const DIR = "artifacts/screenshots";

for (const width of [345, 1280]) {
  test(`main states at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: width < 600 ? 780 : 900 });
    const w = await Widget.open(page);
    await expect(page.locator("body[data-ready=true]")).toBeAttached();
    await page.screenshot({ path: `${DIR}/${width}-empty.png`, fullPage: true });

    // One upload refused by the backend (a failed row), the others slowed down.
    // One upload refused by the backend (a failed row); the others slowed down (page.route
    // and network emulation do not mix, so the refusal comes first).
    const bad = file("rejected-upload-with-a-rather-long-file-name.mov", 200_000, 5, "video/quicktime");
    await refuseUploads(page, bad.name, 400);
    await w.choose(bad);
    await w.waitState(bad.name, "failed");
    await page.unrouteAll();
    const restore = await throttleUploads(page, 400_000);
    await w.useMethod("multipart");
    const big = file("holiday-in-the-alps-4k.mp4", 12_000_000, 3);
    const second = file("interview-take-2.mp4", 6_000_000, 4);
    await w.choose(big, second);
    await w.useMethod("auto");
    const queued = file("b-roll.mp4", 3_000_000, 6);
    await w.choose(queued);
    await expect(w.row(big.name)).toHaveAttribute("data-state", "uploading", { timeout: 30_000 });
    await expect(w.row(big.name).getByTestId("file-rate")).toContainText("/s", { timeout: 30_000 });
    await w.button(second.name, "pause").click();
    await w.waitState(second.name, "paused");
    await page.screenshot({ path: `${DIR}/${width}-uploading.png`, fullPage: true });
    await w.host.screenshot({ path: `${DIR}/${width}-widget-uploading.png` });

    await restore();
    await w.button(second.name, "resume").click();
    for (const f of [big, second, queued]) await w.waitState(f.name, "ready", 90_000);
    await page.screenshot({ path: `${DIR}/${width}-done.png`, fullPage: true });
    expect(page.cspViolations).toEqual([]);
    expect(page.pageErrors).toEqual([]);
  });
}
