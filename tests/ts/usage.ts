// Type-checked with `tsc --strict` by `cargo xtask test`: the uploader's published typings
// describe how a page uses it (options, the upload Promise, typed events, errors).
import init, { Uploader } from "../../target/ts-check/jw-upload.js";
import type {
  PendingUpload,
  ProgressDetail,
  UploadErrorFields,
  UploadMethod,
  UploadResult,
  UploaderOptions,
} from "../../target/ts-check/jw-upload.js";

export async function uploadOne(file: File): Promise<string> {
  await init();
  const options: UploaderOptions = {
    endpoint: "/api/uploads",
    headers: { "X-CSRF-Token": "token" },
    statusEndpoint: "/api/media",
    parallel: 4,
  };
  const up = new Uploader(options);
  up.addEventListener("progress", (e) => {
    const p: ProgressDetail = e.detail;
    const percent: number = (100 * p.loaded) / p.total;
    console.log(percent.toFixed(1), p.bytesPerSecond ?? 0, p.eta ?? Infinity);
  });
  up.addEventListener("retry", (e) => console.log(`retry ${e.detail.attempt} in ${e.detail.delay} ms`));
  up.addEventListener("success", (e) => console.log(e.detail.mediaId, e.detail.md5 ?? ""));
  up.addEventListener("error", (e) => console.log(e.detail.code, e.detail.retryable));
  try {
    const result: UploadResult = await up.upload(file, { method: "auto", metadata: { title: file.name } });
    const id: string = result.mediaId;
    const md5: string | null = result.md5;
    return `${id} ${md5 ?? ""} ${result.method}`;
  } catch (e) {
    const err = e as Error & UploadErrorFields;
    const code: string = err.code;
    const retry: boolean = err.retryable;
    return `${code} ${retry} ${err.status ?? 0}`;
  } finally {
    up.pause();
    up.resume();
    up.cancel();
  }
}

export async function continuePending(up: Uploader): Promise<number> {
  const pending: PendingUpload[] = await Uploader.pendingUploads();
  for (const p of pending) {
    if (p.handle) {
      await up.upload(p.handle);
    } else {
      await Uploader.forgetPending(p.key);
    }
  }
  return pending.length;
}

export async function uploadDirect(file: File): Promise<UploadMethod> {
  // A backend holding only a v2 secret: `configEndpoint` tells `auto` it mints direct and
  // multipart; `direct` can also be asked for by name.
  const up = new Uploader({ endpoint: "/api/uploads", configEndpoint: "/api/config" });
  const method: UploadMethod = "direct";
  const result = await up.upload(file, { method });
  return result.method;
}

export function importOne(up: Uploader): Promise<UploadResult> {
  return up.importUrl("https://example.com/video.mp4", { title: "imported" });
}

export function misuse(up: Uploader, file: File): void {
  // @ts-expect-error: the method must be one the platform knows
  void up.upload(file, { method: "ftp" });
  // @ts-expect-error: the endpoint is a URL string
  void new Uploader({ endpoint: 42 });
  // @ts-expect-error: a Blob is not an upload source (it has no name)
  void up.upload(new Blob(["x"]));
  // @ts-expect-error: results carry no secret or token
  void up.upload(file).then((r) => r.uploadToken);
  // @ts-expect-error: no such event
  up.addEventListener("finished", () => {});
  // @ts-expect-error: a progress detail has no mediaId
  up.addEventListener("progress", (e) => e.detail.mediaId);
}
