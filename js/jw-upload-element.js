// <jw-upload>: the upload widget as a custom element, for pages with no build step.
//
//   <script type="module" src="/jw-upload-element.js"></script>
//   <jw-upload endpoint="/api/uploads" status-endpoint="/api/media" method="auto"
//              parallel-files="2" accept="video/*">
//     <form action="(a minted form-upload URL)" method="post" enctype="multipart/form-data">
//       <input type="file" name="file"><button>Upload</button>
//     </form>
//   </jw-upload>
//
// A file chosen in the plain form while the wasm loads is taken over by the widget (queued as
// if dropped on it). While files upload, leaving the page asks first (`beforeunload`), unless
// `leave-warning="false"`.
//
// It loads the wasm glue next to it (jw-upload.js), mounts the Leptos widget into an open
// shadow root and takes over from the plain form inside it; without JS or WebAssembly the
// form stays and works. Attributes have matching camelCase properties; events bubble and are
// composed; style it with --jwu-* custom properties and ::part(); replace any label with the
// `labels` JSON attribute or property.
import init, { mountUploadWidget } from "./jw-upload.js";

const ATTRIBUTES = [
  "endpoint", "csrf-endpoint", "with-credentials", "status-endpoint", "upload-api-base", "method", "methods",
  "resource", "resources", "video-key", "parallel-files", "parallel", "stall-timeout", "accept", "import", "labels",
  "leave-warning", "status-timeout",
];
const STYLESHEET = new URL("./jw-upload-element.css", import.meta.url).href;

// The stylesheet loads while the wasm does (not after it): a preload the shadow root's
// <link> then takes from the cache.
if (typeof document !== "undefined" && !document.querySelector(`link[rel="preload"][href="${STYLESHEET}"]`)) {
  const pre = document.createElement("link");
  pre.rel = "preload";
  pre.as = "style";
  pre.href = STYLESHEET;
  document.head?.append(pre);
}

/** Resolves once the wasm module is ready (rejects when WebAssembly is unavailable). */
export const ready = init();
ready.catch((e) => console.warn("jw-upload: the widget could not load; the plain form stays", e));

const camel = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

export class JwUploadElement extends HTMLElement {
  static observedAttributes = ATTRIBUTES;
  #handle = null;
  #mounting = false;
  #onLeave = (e) => {
    if (!this.#handle?.warnOnLeave()) return;
    e.preventDefault();
    e.returnValue = ""; // older engines ask only when returnValue is set
  };

  connectedCallback() {
    if (this.#handle || this.#mounting) return;
    this.#mounting = true;
    ready.then(() => {
      this.#mounting = false;
      if (!this.isConnected || this.#handle) return;
      const root = this.shadowRoot ?? this.attachShadow({ mode: "open" });
      root.replaceChildren();
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = STYLESHEET;
      const mountPoint = document.createElement("div");
      mountPoint.className = "jwu-root";
      mountPoint.setAttribute("part", "root");
      // Shown once the stylesheet is in (or failed), so the widget never flashes unstyled.
      mountPoint.hidden = true;
      const show = () => { mountPoint.hidden = false; };
      css.addEventListener("load", show, { once: true });
      css.addEventListener("error", show, { once: true });
      // Files chosen in the plain form before the upgrade: the widget takes them over.
      const chosen = [...this.querySelectorAll('input[type="file"]')].flatMap((i) => [...(i.files ?? [])]);
      root.append(css, mountPoint);
      this.#handle = mountUploadWidget(this, mountPoint);
      window.addEventListener("beforeunload", this.#onLeave);
      this.toggleAttribute("upgraded", true);
      if (chosen.length) this.#handle.addFiles(chosen);
      this.dispatchEvent(new CustomEvent("jw-upload-ready", { bubbles: true, composed: true }));
    }, () => { this.#mounting = false; });
  }

  disconnectedCallback() {
    // Moved within the page: connectedCallback runs again at once; keep the uploads going.
    queueMicrotask(() => {
      if (this.isConnected || !this.#handle) return;
      window.removeEventListener("beforeunload", this.#onLeave);
      this.#handle.free();
      this.#handle = null;
      this.shadowRoot?.replaceChildren();
      this.removeAttribute("upgraded");
    });
  }

  attributeChangedCallback(name, _old, value) {
    this.#handle?.setOption(name, value);
  }

  /** Queues files (a FileList or an array of File). */
  addFiles(files) { this.#handle?.addFiles(Array.from(files ?? [])); }

  /** Asks the platform to fetch a URL (an import). */
  importUrl(url) { this.#handle?.importUrl(String(url)); }
}

for (const name of ATTRIBUTES) {
  Object.defineProperty(JwUploadElement.prototype, camel(name), {
    get() {
      const v = this.getAttribute(name);
      if (name === "labels") {
        try { return v == null ? null : JSON.parse(v); } catch { return null; }
      }
      if (name === "parallel-files" || name === "parallel" || name === "stall-timeout" || name === "status-timeout") return v == null ? null : Number(v);
      if (name === "leave-warning") return v == null || (v !== "false" && v !== "off");
      if (name === "with-credentials") return v != null && v !== "false";
      return v;
    },
    set(v) {
      if (name === "leave-warning" && v === false) this.setAttribute(name, "false");
      else if (v == null || v === false) this.removeAttribute(name);
      else if (v === true) this.setAttribute(name, "");
      else this.setAttribute(name, typeof v === "object" ? JSON.stringify(v) : String(v));
    },
    enumerable: true,
    configurable: true,
  });
}

if (!customElements.get("jw-upload")) customElements.define("jw-upload", JwUploadElement);
