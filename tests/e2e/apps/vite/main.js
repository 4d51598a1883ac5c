// A bundled app that installed the packed jw-upload tarball: it imports `Uploader` from the
// package and uploads to the reference backend (?backend=URL, on another origin, with cookies).
import init, { Uploader, version } from "jw-upload";

const params = new URLSearchParams(location.search);
const backend = params.get("backend") ?? "http://127.0.0.1:4000";
const status = document.getElementById("status");
const bar = document.getElementById("bar");
const go = document.getElementById("go");

await init();
status.textContent = `jw-upload ${version()} ready`;
go.disabled = false;

go.addEventListener("click", async () => {
  const csrf = await (await fetch(`${backend}/api/csrf`, { credentials: "include" })).json();
  const uploader = new Uploader({
    endpoint: `${backend}/api/uploads`,
    headers: { "X-CSRF-Token": csrf.token },
    withCredentials: true,
    uploadApiBase: params.get("sim") ?? undefined,
  });
  uploader.addEventListener("progress", (e) => {
    bar.max = e.detail.total;
    bar.value = e.detail.loaded;
  });
  const file = document.getElementById("file").files[0];
  status.textContent = "uploading";
  try {
    const r = await uploader.upload(file, { method: document.getElementById("method").value });
    status.textContent = `done ${r.method} ${r.mediaId}`;
    status.dataset.mediaId = r.mediaId;
  } catch (e) {
    status.textContent = `failed ${e.code}: ${e.message}`;
  }
});
