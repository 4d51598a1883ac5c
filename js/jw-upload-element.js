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
// It loads in two steps. First this script and its stylesheet render a shell in an open shadow
// root (drop zone, browse input, labels, focus order and ARIA as the widget's, same classes),
// and the element gets the `interactive` attribute. Then the wasm glue next to it (jw-upload.js)
// and the wasm are fetched by a dynamic import when the browser is idle or at the first
// interaction with any <jw-upload>, whichever comes first, once per page; the Leptos widget is
// mounted in place of the shell (`upgraded`, `jw-upload-ready`). Files chosen or dropped on the
// shell, added with addFiles() or chosen in the plain form before that are queued (shown as
// rows) and handed to the widget in order right after the mount. If the wasm cannot load, the
// shell says so and the plain form inside the element comes back, holding the queued files
// where it can. While files upload, leaving the page asks first (`beforeunload`), unless
// `leave-warning="false"`. Attributes have matching camelCase properties; events bubble and are
// composed; style it with --jwu-* custom properties and ::part(); replace any label with the
// `labels` JSON attribute or property.

const ATTRIBUTES = [
  "endpoint", "csrf-endpoint", "with-credentials", "status-endpoint", "upload-api-base", "method", "methods",
  "resource", "resources", "video-key", "parallel-files", "parallel", "stall-timeout", "accept", "import", "labels",
  "leave-warning", "status-timeout",
];
const STYLESHEET = new URL("./jw-upload-element.css", import.meta.url).href;
// The shell's words: the widget's keys (src/ui/labels.rs) for what both show, and the shell's own.
const LABELS = {
  title: "Upload videos",
  drop_title: "Drop files here",
  drop_hint: "or press Enter or Space to choose files",
  dragging: "Release to add the files",
  browse: "Choose files",
  import_label: "Import from URL",
  import_placeholder: "https://…/video.mp4",
  import_button: "Import",
  queue_label: "Uploads",
  shell_waiting: "waiting for the uploader to load",
  shell_queued: "{name} queued: waiting for the uploader to load.",
  shell_failed: "The uploader could not load ({reason}).",
  shell_failed_form: "Use the plain form below instead.",
  shell_failed_kept: "{names}: now in the plain form below; send it from there.",
  shell_failed_lost: "Not uploaded: {names}. Choose them again in the plain form below.",
  shell_failed_none: "Reload the page to try again.",
};
const UPLOAD_ICON = "M12 16V4m0 0l-5 5m5-5l5 5M4 16v3a1 1 0 001 1h14a1 1 0 001-1v-3";
const LINK_ICON = "M10 14a4 4 0 005.7 0l3-3a4 4 0 00-5.7-5.7l-1 1M14 10a4 4 0 00-5.7 0l-3 3a4 4 0 005.7 5.7l1-1";

// ---------- step 2: the wasm, once per page ----------

let settle;
/** Resolves once the wasm module is ready (rejects when it cannot load: no WebAssembly, a 404). */
export const ready = new Promise((resolve, reject) => { settle = { resolve, reject }; });
ready.catch((e) => console.warn("jw-upload: the widget could not load; the plain form stays", e));
let started = false;

/** Starts fetching the glue and the wasm now (idempotent); returns `ready`. */
export function load() {
  if (!started) {
    started = true;
    (typeof WebAssembly === "object"
      ? import("./jw-upload.js").then(async (glue) => { await glue.default(); return glue; })
      : Promise.reject(new Error("this browser has no WebAssembly"))
    ).then(settle.resolve, settle.reject);
  }
  return ready;
}

if (typeof window !== "undefined") {
  // Idle: after the page's own resources (the load event), when the main thread has a gap.
  const idle = () => (window.requestIdleCallback ? requestIdleCallback(load, { timeout: 3000 }) : setTimeout(load, 200));
  if (document.readyState === "complete") idle();
  else window.addEventListener("load", idle, { once: true });
}

// ---------- step 1: the shell ----------

const camel = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...kids);
  return e;
};
const icon = (d) => {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [k, v] of Object.entries({
    class: "icon", viewBox: "0 0 24 24", width: "20", height: "20", fill: "none", stroke: "currentColor",
    "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round", "aria-hidden": "true", focusable: "false",
  })) svg.setAttribute(k, v);
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", d);
  svg.append(path);
  return svg;
};
const fill = (s, args) => s.replace(/\{(\w+)\}/g, (m, k) => (k in args ? args[k] : m));
const sizeText = (n) => (n < 1e6 ? `${Math.max(1, Math.round(n / 1e3))} KB` : n < 1e9 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e9).toFixed(2)} GB`);
const extOf = (name) => (/\.([a-z0-9]{1,5})$/i.exec(name)?.[1] ?? "file").toUpperCase();
const isHttpUrl = (u) => /^https?:\/\/\S+$/.test(u) && u.length > 8;
const LOAD_TRIGGERS = ["pointerdown", "pointerenter", "focusin", "dragenter", "keydown"];

export class JwUploadElement extends HTMLElement {
  static observedAttributes = ATTRIBUTES;
  #handle = null;
  #shell = null; // the shell's nodes while it stands
  #queue = []; // [{ file } | { url }] in the order given, until the widget takes them
  #failed = false;
  #adopted = new WeakSet(); // files of the plain form already queued
  // A file chosen in the plain form (hidden behind the shell, or shown before it) is queued.
  #onPlainChange = (e) => {
    if (!this.#failed && e.target instanceof HTMLInputElement && e.target.type === "file") this.#adoptPlain();
  };
  #onLeave = (e) => {
    if (!(this.#handle?.warnOnLeave() || (this.#queue.length && !this.#failed))) return;
    e.preventDefault();
    e.returnValue = ""; // older engines ask only when returnValue is set
  };

  connectedCallback() {
    if (this.#handle || this.#shell || this.#failed) return;
    const root = this.shadowRoot ?? this.attachShadow({ mode: "open" });
    root.replaceChildren();
    this.#shell = this.#renderShell(root);
    for (const t of LOAD_TRIGGERS) this.addEventListener(t, load, { once: true, passive: true });
    this.addEventListener("change", this.#onPlainChange);
    window.addEventListener("beforeunload", this.#onLeave);
    ready.then((glue) => this.#mount(glue), (e) => this.#fail(e));
  }

  disconnectedCallback() {
    // Moved within the page: connectedCallback runs again at once; keep the uploads going.
    queueMicrotask(() => {
      if (this.isConnected) return;
      window.removeEventListener("beforeunload", this.#onLeave);
      for (const t of LOAD_TRIGGERS) this.removeEventListener(t, load);
      this.removeEventListener("change", this.#onPlainChange);
      this.#handle?.free();
      this.#handle = null;
      this.#shell = null;
      this.#queue = [];
      this.#failed = false;
      this.shadowRoot?.replaceChildren();
      for (const a of ["upgraded", "interactive"]) this.removeAttribute(a);
    });
  }

  attributeChangedCallback(name, _old, value) {
    if (this.#handle) this.#handle.setOption(name, value);
    else if (this.#shell && !this.#failed && (name === "labels" || name === "accept" || name === "import")) this.#relabel();
  }

  /** Queues files (a FileList or an array of File). */
  addFiles(files) {
    const list = Array.from(files ?? []).filter((f) => f instanceof File);
    if (this.#handle) this.#handle.addFiles(list);
    else this.#enqueue(list.map((file) => ({ file })));
  }

  /** Asks the platform to fetch a URL (an import). */
  importUrl(url) {
    if (this.#handle) this.#handle.importUrl(String(url));
    else if (isHttpUrl(String(url).trim())) this.#enqueue([{ url: String(url).trim() }]);
  }

  #label(key, args = {}) {
    return fill(this.labels?.[key] ?? LABELS[key] ?? key, args);
  }

  // The widget's head, drop zone (src/ui/drop_zone.rs), import row and queue, with the same
  // classes, parts, test ids, roles and tab stops; a polite live region as the widget's.
  #renderShell(root) {
    const css = el("link", { rel: "stylesheet", href: STYLESHEET });
    const title = el("h2", { id: "jwu-title", class: "title", part: "title" });
    const dropTitle = el("span", { class: "drop-title" });
    const browse = el("span", { class: "link-like" });
    const keys = el("span", { class: "drop-keys" });
    const drop = el("div", { class: "drop", part: "dropzone", role: "button", tabindex: "0", "data-testid": "dropzone" },
      el("span", { class: "drop-icon" }, icon(UPLOAD_ICON)), dropTitle, el("span", { class: "drop-hint" }, browse, keys));
    const input = el("input", { type: "file", multiple: "", hidden: "", "data-testid": "file-input" });
    const importText = el("span");
    const url = el("input", { id: "jwu-import-url", class: "input", part: "input", type: "url", inputmode: "url",
      autocomplete: "off", spellcheck: "false", "data-testid": "import-url", "aria-invalid": "false" });
    const importButton = el("button", { class: "btn btn-secondary", part: "button", type: "submit", "data-testid": "import-button" });
    const form = el("form", { class: "import", part: "import", novalidate: "", "data-testid": "import-form" },
      el("label", { class: "import-label", for: "jwu-import-url" }, icon(LINK_ICON), importText),
      el("div", { class: "import-row" }, url, importButton));
    const note = el("p", { class: "field-error", role: "alert", "data-testid": "shell-error", hidden: "" });
    const list = el("ul", { class: "queue empty", part: "queue", "data-testid": "queue" });
    const live = el("div", { class: "sr-only", role: "status", "aria-live": "polite", "aria-atomic": "true", "data-testid": "live-region" });
    const section = el("section", { class: "jwu", part: "widget", "aria-labelledby": "jwu-title", "data-testid": "shell" },
      el("header", { class: "head" }, title), drop, input, form, note, list, live);
    const top = el("div", { class: "jwu-root", part: "root", hidden: "" }, section);
    // The page's own content (the plain form) shows until the stylesheet is in, and again if
    // the wasm cannot load.
    const slot = el("slot");
    const shell = { top, slot, title, dropTitle, browse, keys, input, importText, url, importButton, form, note, list, live, drop, styled: false, onStyled: null };
    const show = () => {
      shell.styled = true;
      slot.hidden = !this.#failed;
      shell.onStyled?.();
      if (this.#shell !== shell || this.#failed) return;
      top.hidden = false;
      this.toggleAttribute("interactive", true);
      // A file already chosen in the plain form is the first in the queue.
      this.#adoptPlain();
    };
    css.addEventListener("load", show, { once: true });
    css.addEventListener("error", show, { once: true });

    const open = () => input.click();
    drop.addEventListener("click", open);
    drop.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); }
    });
    const dragging = (on) => { drop.classList.toggle("dragging", on); dropTitle.textContent = this.#label(on ? "dragging" : "drop_title"); };
    for (const t of ["dragenter", "dragover"]) drop.addEventListener(t, (e) => { e.preventDefault(); dragging(true); });
    drop.addEventListener("dragleave", () => dragging(false));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      dragging(false);
      load();
      this.addFiles(e.dataTransfer?.files);
    });
    input.addEventListener("change", () => {
      const files = [...(input.files ?? [])];
      input.value = "";
      load();
      this.addFiles(files);
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const u = url.value.trim();
      const ok = isHttpUrl(u);
      url.setAttribute("aria-invalid", String(!ok));
      if (!ok) return url.focus();
      url.value = "";
      load();
      this.importUrl(u);
    });
    root.append(css, top, slot);
    this.#shell = shell;
    this.#relabel();
    return shell;
  }

  #relabel() {
    const s = this.#shell;
    s.title.textContent = this.#label("title");
    s.dropTitle.textContent = this.#label(s.drop.classList.contains("dragging") ? "dragging" : "drop_title");
    s.browse.textContent = this.#label("browse");
    s.keys.textContent = this.#label("drop_hint");
    s.importText.textContent = this.#label("import_label");
    s.url.placeholder = this.#label("import_placeholder");
    s.importButton.textContent = this.#label("import_button");
    s.list.setAttribute("aria-label", this.#label("queue_label"));
    s.form.hidden = this.import === "false" || this.import === "off";
    const accept = this.getAttribute("accept");
    if (accept == null) s.input.removeAttribute("accept");
    else s.input.accept = accept;
    for (const state of s.list.querySelectorAll(".state")) state.textContent = this.#label("shell_waiting");
  }

  // Queues what the plain form's file inputs hold and was not queued yet.
  #adoptPlain() {
    const chosen = [...this.querySelectorAll('input[type="file"]')].flatMap((i) => [...(i.files ?? [])]);
    const fresh = chosen.filter((f) => !this.#adopted.has(f));
    for (const f of fresh) this.#adopted.add(f);
    if (this.#handle) this.#handle.addFiles(fresh);
    else this.#enqueue(fresh.map((file) => ({ file })));
  }

  #enqueue(items) {
    if (!items.length) return;
    if (this.#failed) return this.#keepInForm(items);
    this.#queue.push(...items);
    const s = this.#shell;
    if (!s) return;
    for (const item of items) {
      const name = item.file ? item.file.name : item.url;
      const nameEl = el("span", { class: "name", part: "file-name", title: name, "data-testid": "file-name" });
      nameEl.textContent = name;
      const meta = el("span", { class: "meta" });
      meta.textContent = item.file ? sizeText(item.file.size) : "URL";
      const state = el("span", { class: "state queued", "data-testid": "file-state" });
      state.textContent = this.#label("shell_waiting");
      const badge = el("span", { class: "badge", part: "badge", "aria-hidden": "true" });
      badge.textContent = item.file ? extOf(item.file.name) : "URL";
      s.list.append(el("li", { class: "row", part: "row", "data-state": "queued", "data-testid": "queued-row" }, badge,
        el("div", { class: "row-main" }, el("div", { class: "row-top" }, nameEl, meta), el("div", { class: "row-bottom" }, state))));
      s.live.textContent = this.#label("shell_queued", { name });
    }
    s.list.classList.remove("empty");
  }

  #mount(glue) {
    const s = this.#shell;
    if (!this.isConnected || this.#handle || !s) return;
    const root = this.shadowRoot;
    const focused = root.activeElement;
    const typed = s.url.value;
    const mountPoint = el("div", { class: "jwu-root", part: "root" });
    // The shell goes and the widget comes in one task: nothing paints in between. Should the
    // stylesheet still be on its way, both wait for it, so the widget never flashes unstyled.
    if (!s.styled) {
      mountPoint.hidden = true;
      s.onStyled = () => {
        mountPoint.hidden = false;
        this.toggleAttribute("interactive", true);
      };
    }
    s.top.replaceWith(mountPoint);
    this.#shell = null;
    this.#handle = glue.mountUploadWidget(this, mountPoint);
    this.toggleAttribute("upgraded", true);
    // Focus stays where it was: on the drop zone, or in the URL field with what was typed.
    const again = (id) => root.querySelector(`[data-testid="${id}"]`);
    if (focused === s.drop) again("dropzone")?.focus();
    const u = typed || focused === s.url ? again("import-url") : null;
    if (u) {
      u.value = typed;
      if (focused === s.url) u.focus();
    }
    // What was queued meanwhile, in order: consecutive files in one call.
    const queue = this.#queue;
    this.#queue = [];
    for (let i = 0; i < queue.length;) {
      if (queue[i].url) { this.#handle.importUrl(queue[i++].url); continue; }
      const files = [];
      while (i < queue.length && queue[i].file) files.push(queue[i++].file);
      this.#handle.addFiles(files);
    }
    this.dispatchEvent(new CustomEvent("jw-upload-ready", { bubbles: true, composed: true }));
  }

  // The wasm cannot load: say so, bring the plain form back, and put the queued files in it.
  #fail(error) {
    const s = this.#shell;
    if (!s || this.#failed) return;
    this.#failed = true;
    const queue = this.#queue;
    this.#queue = [];
    s.drop.hidden = true;
    s.form.hidden = true;
    s.list.replaceChildren();
    s.list.classList.add("empty");
    s.slot.hidden = false;
    s.top.hidden = false;
    this.removeAttribute("interactive");
    const reason = error?.message ? String(error.message).split("\n")[0] : String(error);
    const hasForm = !!this.querySelector("form");
    s.note.textContent = `${this.#label("shell_failed", { reason })} ${this.#label(hasForm ? "shell_failed_form" : "shell_failed_none")}`;
    s.note.hidden = false;
    this.#keepInForm(queue);
  }

  // Files queued when the wasm failed go into the plain form's file input (as many as it takes);
  // the rest, and URLs, are named as not uploaded.
  #keepInForm(items) {
    const s = this.#shell;
    const input = this.querySelector('form input[type="file"]');
    const files = items.filter((i) => i.file).map((i) => i.file);
    let kept = [];
    if (input && files.length && typeof DataTransfer === "function") {
      kept = input.multiple ? files : files.slice(0, 1);
      try {
        const dt = new DataTransfer();
        for (const f of kept) dt.items.add(f);
        input.files = dt.files;
      } catch { kept = []; }
    }
    const lost = items.filter((i) => !(i.file && kept.includes(i.file))).map((i) => (i.file ? i.file.name : i.url));
    const lines = [];
    if (kept.length) lines.push(this.#label("shell_failed_kept", { names: kept.map((f) => f.name).join(", ") }));
    if (lost.length) lines.push(this.#label("shell_failed_lost", { names: lost.join(", ") }));
    if (!s || !lines.length) return;
    const p = el("p", { class: "field-error", "data-testid": "shell-queue-note" });
    p.textContent = lines.join(" ");
    s.note.after(p);
  }
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
