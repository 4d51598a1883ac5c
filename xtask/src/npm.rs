//! `cargo xtask npm`: builds the npm package in `pkg/` (release wasm, wasm-bindgen `--target
//! web` glue, wasm-opt from node_modules, `.d.ts`, package.json and its README).
//!
//! The main entry is the uploader without UI (`import init, { Uploader } from "jw-upload"`).
//! When the crate has a `ui` feature and `js/jw-upload-element.js` exists, a second build with
//! `--features ui` goes to `element/` (its own glue and wasm, beside the element script and its
//! stylesheet) and the package gains the `jw-upload/element` entry that defines `<jw-upload>`. The package has no install scripts and needs no network once packed.

use std::path::{Path, PathBuf};

use crate::procs::{cargo, run};
use crate::{setup, step};

/// The package name on npm.
pub const NAME: &str = "jw-upload";

/// `cargo xtask npm [--out DIR]`: builds the package (default `pkg/`).
pub fn command(root: &Path, args: &[String]) -> Result<(), String> {
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map_or_else(|| root.join("pkg"), PathBuf::from);
    setup::all(root)?;
    build(root, &out)?;
    println!(
        "xtask: npm package in {} ({}); `npm pack {}` makes the tarball",
        out.display(),
        summary(&out),
        out.display()
    );
    Ok(())
}

/// Builds the package into `out` (emptied first).
pub fn build(root: &Path, out: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    step("npm package: the uploader (release wasm, no UI)");
    wasm(root, out, "jw-upload", &Wasm::UPLOADER)?;
    let element = has_element(root);
    if element {
        step("npm package: the <jw-upload> element (release wasm, --features ui)");
        let dir = out.join("element");
        wasm(root, &dir, "jw-upload", &Wasm::ELEMENT)?;
        for file in ELEMENT_FILES {
            copy(&root.join("js").join(file), &dir.join(file))?;
        }
    }
    write(out, "package.json", &package_json(element))?;
    write(out, "README.md", README)?;
    Ok(())
}

/// The element's own files in `js/` (the script imports `./jw-upload.js` beside it).
const ELEMENT_FILES: [&str; 2] = ["jw-upload-element.js", "jw-upload-element.css"];

/// Whether the `<jw-upload>` element exists yet (feature `ui` and its files in `js/`).
fn has_element(root: &Path) -> bool {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    let feature = manifest
        .split("[features]")
        .nth(1)
        .and_then(|s| s.split("\n[").next())
        .is_some_and(|s| s.lines().any(|l| l.trim_start().starts_with("ui ")));
    feature
        && ELEMENT_FILES
            .iter()
            .all(|f| root.join("js").join(f).exists())
}

/// What one release wasm build compiles: cargo's target selection and the file it writes under
/// `target/wasm32-unknown-unknown/release/`.
pub(crate) struct Wasm {
    cargo: &'static [&'static str],
    artifact: &'static str,
}

impl Wasm {
    /// The uploader without UI (the npm package's main module).
    pub(crate) const UPLOADER: Wasm = Wasm {
        cargo: &["-p", "jw-upload", "--lib"],
        artifact: "jw_upload.wasm",
    };
    /// The uploader with the Leptos widget (`<jw-upload>`).
    pub(crate) const ELEMENT: Wasm = Wasm {
        cargo: &["-p", "jw-upload", "--lib", "--features", "ui"],
        artifact: "jw_upload.wasm",
    };
    /// The protocol core alone, driven by one export (crates/core/examples/size_floor.rs).
    pub(crate) const CORE_ALONE: Wasm = Wasm {
        cargo: &["-p", "jw-upload-core", "--example", "size_floor"],
        artifact: "examples/size_floor.wasm",
    };
}

/// One release wasm build, its wasm-bindgen glue (`--target web`) and wasm-opt, into `dir`.
pub(crate) fn wasm(root: &Path, dir: &Path, out_name: &str, what: &Wasm) -> Result<(), String> {
    let mut args = vec!["build", "--release", "--target", "wasm32-unknown-unknown"];
    args.extend_from_slice(what.cargo);
    cargo(root, &args, &[])?;
    let input = root
        .join("target/wasm32-unknown-unknown/release")
        .join(what.artifact);
    let (input, dir_s) = (input.display().to_string(), dir.display().to_string());
    run(
        root,
        "wasm-bindgen",
        &[
            "--target",
            "web",
            "--out-dir",
            dir_s.as_str(),
            "--out-name",
            out_name,
            input.as_str(),
        ],
        &[],
    )?;
    let wasm = dir
        .join(format!("{out_name}_bg.wasm"))
        .display()
        .to_string();
    let path = setup::path_with_node_bin(root);
    run(
        root,
        "wasm-opt",
        &[
            "-Oz",
            "--enable-bulk-memory",
            "--enable-mutable-globals",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-reference-types",
            "--enable-multivalue",
            wasm.as_str(),
            "-o",
            wasm.as_str(),
        ],
        &[("PATH", path.as_str())],
    )?;
    // wasm-bindgen writes a .gitignore ("*") that would make `npm pack` skip the folder.
    let _ = std::fs::remove_file(dir.join(".gitignore"));
    Ok(())
}

/// Serves `dir` over HTTP on a free loopback port with `serve.mjs`; returns the server and its URL.
fn serve_static(
    root: &Path,
    name: &'static str,
    serve: &Path,
    dir: &Path,
) -> Result<(crate::procs::Service, String), String> {
    let at = format!("127.0.0.1:{}", crate::procs::free_port()?);
    let (serve, dir) = (serve.display().to_string(), dir.display().to_string());
    let server = crate::procs::Service::start_program(
        root,
        name,
        "node",
        &[serve.as_str(), dir.as_str(), at.as_str()],
        &at,
    )?;
    Ok((server, format!("http://{at}")))
}

fn package_json(element: bool) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut exports = String::from(
        r#"    ".": {
      "types": "./jw-upload.d.ts",
      "default": "./jw-upload.js"
    },
    "./jw-upload_bg.wasm": "./jw-upload_bg.wasm","#,
    );
    let mut files = vec![
        "jw-upload.js",
        "jw-upload.d.ts",
        "jw-upload_bg.wasm",
        "jw-upload_bg.wasm.d.ts",
    ];
    let mut side_effects = "false".to_string();
    if element {
        exports.push_str(
            r#"
    "./element": {
      "types": "./element/jw-upload.d.ts",
      "default": "./element/jw-upload-element.js"
    },"#,
        );
        files.push("element/");
        side_effects = r#"["./element/jw-upload-element.js"]"#.to_string();
    }
    let files = files
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"{{
  "name": "{NAME}",
  "version": "{version}",
  "description": "Upload files from the browser straight to the JW Platform (Rust/WebAssembly): s3, form, resumable, multipart and fetch uploads, with retries, resume and MD5 checks.",
  "license": "MIT OR Apache-2.0",
  "type": "module",
  "main": "./jw-upload.js",
  "module": "./jw-upload.js",
  "types": "./jw-upload.d.ts",
  "exports": {{
{exports}
    "./package.json": "./package.json"
  }},
  "files": [{files}, "README.md"],
  "sideEffects": {side_effects},
  "keywords": ["upload", "jwplayer", "jw-platform", "video", "wasm", "multipart", "resumable"]
}}
"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

/// "N files, X KiB (wasm Y KiB)" of the package folder.
pub fn summary(dir: &Path) -> String {
    fn walk(dir: &Path, files: &mut u64, total: &mut u64, wasm: &mut u64) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, files, total, wasm);
            } else if let Ok(meta) = entry.metadata() {
                *files += 1;
                *total += meta.len();
                if path.extension().is_some_and(|e| e == "wasm") {
                    *wasm += meta.len();
                }
            }
        }
    }
    let (mut files, mut total, mut wasm) = (0, 0, 0);
    walk(dir, &mut files, &mut total, &mut wasm);
    format!(
        "{files} files, {} KiB, of which wasm {} KiB",
        total / 1024,
        wasm / 1024
    )
}

/// The package README (pkg/README.md).
const README: &str = include_str!("npm-readme.md");

/// The package suite (`cargo xtask test --only pkg`): builds the package, `npm pack`s it,
/// installs the tarball into the Vite app (`tests/e2e/apps/vite`, built with `vite build`) and
/// the CMS page (`tests/e2e/apps/cms`), serves both on their own loopback origins, which the
/// backend allows, and runs `tests/e2e/pkg-*.spec.mjs` against them.
pub fn e2e(root: &Path, extra: &[String]) -> Result<(), String> {
    let run_dir = crate::tempdir(root, &format!("pkg-e2e-{}", std::process::id()))?;
    let pkg = run_dir.join("pkg");
    build(root, &pkg)?;
    println!("xtask: package {}", summary(&pkg));
    step("npm pack, then install the tarball into the Vite app and the CMS page");
    let pkg_s = pkg.display().to_string();
    let dest = run_dir.display().to_string();
    run(
        root,
        "npm",
        &["pack", pkg_s.as_str(), "--pack-destination", dest.as_str()],
        &[],
    )?;
    let tarball = run_dir.join(format!("{NAME}-{}.tgz", env!("CARGO_PKG_VERSION")));
    let tarball = tarball.display().to_string();
    let apps = root.join("tests/e2e/apps");
    let (vite, cms) = (run_dir.join("vite"), run_dir.join("cms"));
    copy_app(&apps.join("vite"), &vite)?;
    copy_app(&apps.join("cms"), &cms)?;
    write_readme_page(&cms)?;
    let npm_quiet = ["--no-audit", "--no-fund", "--ignore-scripts"];
    let mut ci = vec!["ci"];
    ci.extend(npm_quiet);
    run(&vite, "npm", &ci, &[])?;
    for app in [&vite, &cms] {
        let mut install = vec!["install", "--no-save"];
        install.extend(npm_quiet);
        install.push(tarball.as_str());
        run(app, "npm", &install, &[])?;
    }
    step("vite build of the app that imports the package");
    run(&vite, "node_modules/.bin/vite", &["build"], &[])?;

    let data = run_dir.join("sim");
    std::fs::create_dir_all(&data).map_err(|e| format!("cannot create sim data: {e}"))?;
    let sim = crate::procs::Service::start_sim(root, &data)?;
    let serve = apps.join("serve.mjs");
    let (_vite_server, vite_url) =
        serve_static(root, "vite app server", &serve, &vite.join("dist"))?;
    // The CMS page also served statically from an origin of its own, for the element talking to
    // a backend on another origin (`with-credentials`).
    let (_cms_static_server, cms_static_url) =
        serve_static(root, "cms static server", &serve, &cms)?;
    // The Vite app and the static CMS page call the backend from other origins (CORS with
    // cookies).
    let backend = crate::procs::Service::start_backend(
        root,
        "debug",
        &format!("127.0.0.1:{}", crate::procs::free_port()?),
        &sim.url(),
        &data,
        &format!("{vite_url},{cms_static_url}"),
    )?;
    // The CMS page is served by its own backend, same origin as its /api, under its CSP.
    let cms_backend = crate::procs::Service::start_backend(
        root,
        "debug",
        &format!("127.0.0.1:{}", crate::procs::free_port()?),
        &sim.url(),
        &cms,
        "",
    )?;
    let cms_url = cms_backend.url();
    step("Playwright: the packed package in a Vite app and on a CMS page (tests/e2e/pkg-*)");
    let (sim_url, backend_url) = (sim.url(), backend.url());
    let path = setup::path_with_node_bin(root);
    let mut args = vec!["test", "-c", "tests/e2e/playwright.config.mjs"];
    args.extend(extra.iter().map(String::as_str));
    run(
        root,
        "playwright",
        &args,
        &[
            ("PATH", path.as_str()),
            ("JW_SIM_URL", sim_url.as_str()),
            ("JW_DEMO_URL", backend_url.as_str()),
            ("JW_BACKEND_URL", backend_url.as_str()),
            ("JW_VITE_URL", vite_url.as_str()),
            ("JW_CMS_URL", cms_url.as_str()),
            ("JW_CMS_STATIC_URL", cms_static_url.as_str()),
        ],
    )
}

/// Copies a test app's committed files (not its node_modules or dist).
fn copy_app(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name == "node_modules" || name == "dist" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_app(&path, &to.join(&name))?;
        } else {
            copy(&path, &to.join(&name))?;
        }
    }
    Ok(())
}

/// The package README's element snippet (its first `html` block under "On a CMS page"),
/// verbatim in a page of the CMS app (`readme-snippet.html`): the package test uploads through
/// it, so what an integrator pastes works as written.
fn write_readme_page(cms: &Path) -> Result<(), String> {
    let snippet = README
        .split("## On a CMS page")
        .nth(1)
        .and_then(|s| s.split("```html\n").nth(1))
        .and_then(|s| s.split("```").next())
        .ok_or("npm-readme.md has no html block under \"On a CMS page\"")?;
    let page = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
         <title>The npm README's snippet</title></head>\n<body>\n{snippet}</body>\n</html>\n"
    );
    let file = cms.join("readme-snippet.html");
    std::fs::write(&file, page).map_err(|e| format!("cannot write {}: {e}", file.display()))
}
