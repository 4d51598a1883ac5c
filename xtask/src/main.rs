//! Run with: `cargo xtask <setup|demo|test|bench|npm|soak|help>` — the project's set-up, demo and test commands.
//!
//! Every command installs what it needs first (idempotently: what is present is skipped) and
//! says what it is doing, so a fresh machine with only Rust works from the README alone.

mod bench;
mod browsers;
mod clients;
mod npm;
mod procs;
mod setup;
mod soak;

use std::path::{Path, PathBuf};

use md5::Digest;
use std::process::ExitCode;

use procs::{cargo, run, Service};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::all(&root),
        Some("demo") => demo(&root, &args[1..]),
        Some("test") => test(&root, &args[1..]),
        Some("bench") => bench::bench(&root, &args[1..]),
        Some("npm") => npm::command(&root, &args[1..]),
        Some("soak") => soak::soak(&root, &args[1..]),
        Some("help") | Some("--help") | Some("-h") | None => {
            print_help();
            Ok(())
        }
        Some(other) => Err(format!(
            "unknown command `{other}` (try `cargo xtask help`)"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_help() {
    println!(
        "cargo xtask setup   install what is missing (wasm32 target, trunk, wasm-bindgen-cli, geckodriver, chromium, firefox-esr, webkit2gtk-driver, xvfb, npm deps)\n\
         cargo xtask demo    build the demo page, start the simulator and the backend, print the URL\n\
         cargo xtask test    run every test: native tests of all crates, the official clients against the simulator, then browser tests in Chromium, Firefox and WebKitGTK\n\
         cargo xtask bench   measure the widget against raw uploads and its peers (--quick: small files, 1 run)\n\
         cargo xtask npm     build the npm package in pkg/ (release wasm, JS glue, .d.ts, package.json, README)\n\
         cargo xtask soak    long runs, not in CI: a 25 GiB file, a soak of uploads under 10 % faults\n\
         \n\
         demo options: --port N (the page and backend, default 4000), --v2-only (a backend holding only the v2\n\
         secret), --allow-origin ORIGIN (repeatable: pages on another origin that may call the backend;\n\
         default JW_BACKEND_ALLOWED_ORIGINS)\n\
         test options: --only native|clients|wasm|e2e|browsers|pkg, and after `--` arguments for Playwright\n\
         (for browsers: test-name patterns; JW_ENGINES=firefox or webkit runs one engine)"
    );
}

/// The workspace root (the parent of this crate's folder).
fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// `cargo xtask test [--only native|clients|wasm|e2e|browsers|pkg] [-- ARGS]`: every test of the
/// project.
fn test(root: &Path, args: &[String]) -> Result<(), String> {
    let (ours, extra) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let only = ours
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| ours.get(i + 1))
        .map(String::as_str);
    let run = |phase: &str| only.is_none_or(|o| o == phase);
    setup::all(root)?;
    if run("native") {
        step("native tests of every crate");
        cargo(
            root,
            &["test", "--workspace", "--exclude", "jw-upload"],
            &[],
        )?;
        step("native unit tests of the browser crate (with the UI feature)");
        cargo(
            root,
            &["test", "-p", "jw-upload", "--lib", "--features", "ui"],
            &[],
        )?;
    }
    if run("clients") {
        step("the official clients against the simulator (tests/clients)");
        clients::run_suite(root)?;
    }
    if run("wasm") || run("e2e") || run("browsers") || run("pkg") {
        procs::build_services(root, false, "")?;
    }
    if run("wasm") {
        wasm_tests(root)?;
    }
    // Per-run folder, so two runs on one machine never share a build; e2e and browsers share it.
    let dist = tempdir(root, &format!("e2e-dist-{}", std::process::id()))?;
    if run("e2e") || run("browsers") {
        build_demo(root, &dist)?;
    }
    if run("e2e") {
        e2e_tests(root, &dist, extra)?;
    }
    if run("browsers") {
        browsers::run(root, &dist, extra)?;
    }
    if run("pkg") {
        npm::e2e(root, extra)?;
    }
    println!("xtask: all tests passed");
    Ok(())
}

/// wasm-bindgen-test in headless Chromium and Firefox against the simulator and the backend,
/// then the README's curl sessions.
fn wasm_tests(root: &Path) -> Result<(), String> {
    let data = tempdir(root, &format!("sim-test-{}", std::process::id()))?;
    let web = tempdir(root, &format!("web-static-{}", std::process::id()))?;
    let fixture_md5 = write_fixtures(&web)?;
    let sim = Service::start_sim(root, &data)?;
    // The test page's origin is fixed so the backend can allow it (CORS + CSRF origin).
    let page = format!("127.0.0.1:{}", procs::free_port()?);
    let backend = Service::start_backend(
        root,
        "debug",
        &format!("127.0.0.1:{}", procs::free_port()?),
        &sim.url(),
        &web,
        &format!("http://{page}"),
    )?;
    let (sim_url, backend_url) = (sim.url(), backend.url());
    let gecko = browsers::geckodriver();
    // The same suites in each engine wasm-bindgen-test-runner drives (it picks the browser by
    // which driver variable is set; webdriver.json gives each its binary and flags).
    for (engine, var, driver) in [
        ("headless Chromium", "CHROMEDRIVER", "/usr/bin/chromedriver"),
        ("headless Firefox ESR", "GECKODRIVER", gecko.as_str()),
    ] {
        step(&format!(
            "browser tests (wasm-bindgen-test in {engine}, against the simulator)"
        ));
        cargo(
            root,
            &[
                "test",
                "-p",
                "jw-upload",
                "--target",
                "wasm32-unknown-unknown",
            ],
            &[
                (var, driver),
                ("JW_SIM_URL", sim_url.as_str()),
                ("JW_BACKEND_URL", backend_url.as_str()),
                ("JW_FIXTURE_MD5", fixture_md5.as_str()),
                ("WASM_BINDGEN_TEST_ADDRESS", page.as_str()),
                ("WASM_BINDGEN_TEST_TIMEOUT", "300"),
            ],
        )?;
    }
    step("the README's curl sessions, against the simulator");
    curl_sessions(root, &sim_url)?;
    typings(root)
}

/// Type-checks tests/ts/usage.ts with `tsc --strict` against the generated `.d.ts`.
fn typings(root: &Path) -> Result<(), String> {
    step("TypeScript typings (tsc --strict on tests/ts/usage.ts)");
    cargo(
        root,
        &[
            "build",
            "-p",
            "jw-upload",
            "--target",
            "wasm32-unknown-unknown",
        ],
        &[],
    )?;
    let out = root.join("target/ts-check");
    let wasm = root.join("target/wasm32-unknown-unknown/debug/jw_upload.wasm");
    let (out, wasm) = (out.display().to_string(), wasm.display().to_string());
    run(
        root,
        "wasm-bindgen",
        &[
            "--target",
            "web",
            "--out-dir",
            &out,
            "--out-name",
            "jw-upload",
            &wasm,
        ],
        &[],
    )?;
    let path = setup::path_with_node_bin(root);
    run(
        root,
        "tsc",
        &["-p", "tests/ts/tsconfig.json"],
        &[("PATH", path.as_str())],
    )
}

/// Playwright suites (tests/e2e) against the demo page served by the backend, with the
/// simulator behind it.
fn e2e_tests(root: &Path, dist: &Path, extra: &[String]) -> Result<(), String> {
    let (backend, sim, _data) = demo_stack(root, dist, "e2e")?;
    // The same page served by a backend holding only the v2 secret, in front of the same
    // simulator (demo-v2only.spec.mjs: what `cargo xtask demo --v2-only` runs).
    let v2_only = Service::start_backend_with(
        root,
        "debug",
        &format!("127.0.0.1:{}", procs::free_port()?),
        &sim.url(),
        dist,
        "",
        &[("JW_BACKEND_API_VERSIONS", "v2")],
    )?;
    step("Playwright suites in headless Chromium (tests/e2e)");
    let (sim_url, demo_url, v2_url) = (sim.url(), backend.url(), v2_only.url());
    let dist_s = dist.display().to_string();
    let path = setup::path_with_node_bin(root);
    let mut args = vec!["test", "-c", "tests/e2e/playwright.config.mjs"];
    args.extend(extra.iter().map(String::as_str));
    procs::run(
        root,
        "playwright",
        &args,
        &[
            ("PATH", path.as_str()),
            ("JW_SIM_URL", sim_url.as_str()),
            ("JW_DEMO_URL", demo_url.as_str()),
            ("JW_DEMO_V2_URL", v2_url.as_str()),
            ("JW_E2E_DIST", dist_s.as_str()),
        ],
    )
}

/// A simulator (its data in a per-run folder, so two runs on one machine never share it) and a
/// backend serving `dist` in front of it; dropped in that order: backend, simulator, folder.
pub fn demo_stack(
    root: &Path,
    dist: &Path,
    name: &str,
) -> Result<(Service, Service, TempDir), String> {
    let data = tempdir(root, &format!("sim-{name}-{}", std::process::id()))?;
    let sim = Service::start_sim(root, &data)?;
    let backend = Service::start_backend(
        root,
        "debug",
        &format!("127.0.0.1:{}", procs::free_port()?),
        &sim.url(),
        dist,
        "",
    )?;
    Ok((backend, sim, data))
}

/// Builds the demo page into `dist` (release wasm, wasm-opt from node_modules).
pub fn build_demo(root: &Path, dist: &Path) -> Result<(), String> {
    step("building the demo page with trunk (release, wasm-opt from node_modules)");
    let path = setup::path_with_node_bin(root);
    let dist = dist.display().to_string();
    run(
        root,
        "trunk",
        &["build", "--release", "--offline", "--dist", dist.as_str()],
        &[("PATH", path.as_str())],
    )
}

/// `cargo xtask demo`: simulator + backend + the demo page, until Ctrl-C.
fn demo(root: &Path, args: &[String]) -> Result<(), String> {
    let port = args
        .iter()
        .position(|a| a == "--port")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
        .unwrap_or("4000");
    // `--v2-only`: the backend holds only the v2 secret (direct, multipart, fetch, status).
    let v2_only = args.iter().any(|a| a == "--v2-only");
    let extra: &[(&str, &str)] = if v2_only {
        &[("JW_BACKEND_API_VERSIONS", "v2")]
    } else {
        &[]
    };
    // Pages on other origins that may call the demo's backend: `--allow-origin ORIGIN`
    // (repeatable), else JW_BACKEND_ALLOWED_ORIGINS as the backend itself reads it.
    let mut origins: Vec<String> = args
        .windows(2)
        .filter(|w| w[0] == "--allow-origin")
        .map(|w| w[1].clone())
        .collect();
    if origins.is_empty() {
        origins.extend(std::env::var("JW_BACKEND_ALLOWED_ORIGINS").ok());
    }
    let origins = origins.join(",");
    setup::all(root)?;
    build_demo(root, &root.join("www/dist"))?;
    procs::build_services(root, true, "")?;
    let data = root.join(".sim-data");
    let sim = Service::start_sim_release(root, &data, "127.0.0.1:4010")?;
    let backend = Service::start_backend_with(
        root,
        "release",
        &format!("127.0.0.1:{port}"),
        &sim.url(),
        &root.join("www/dist"),
        &origins,
        extra,
    )?;
    if !origins.is_empty() {
        println!("  the backend also answers pages on: {origins}");
    }
    println!(
        "\n  jw-upload demo:  {}/\n  simulator:       {} (credentials: see README){}\n\n  Ctrl-C stops everything.\n",
        backend.url(),
        sim.url(),
        if v2_only {
            "\n  backend:         v2 secret only (direct, multipart, fetch)"
        } else {
            ""
        }
    );
    backend.wait();
    drop(sim);
    Ok(())
}

/// Runs the README's curl sessions (the `sh` blocks between the curl-sessions markers).
fn curl_sessions(root: &Path, sim_url: &str) -> Result<(), String> {
    let readme = std::fs::read_to_string(root.join("README.md"))
        .map_err(|e| format!("cannot read README.md: {e}"))?;
    let section = readme
        .split("<!-- curl-sessions:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- curl-sessions:end -->").next())
        .ok_or("README.md has no curl-sessions section")?;
    let mut script = String::from("set -euo pipefail\n");
    for block in section.split("```sh\n").skip(1) {
        script.push_str(block.split("```").next().unwrap_or(""));
    }
    procs::run(root, "bash", &["-c", script.as_str()], &[("SIM", sim_url)])
}

/// Files the browser tests fetch from the backend's static folder (a fetch-upload source).
fn write_fixtures(web: &Path) -> Result<String, String> {
    let dir = web.join("fixtures");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut x: u32 = 0x9e37_79b9;
    let data: Vec<u8> = (0..1_500_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(dir.join("clip.bin"), &data)
        .map_err(|e| format!("cannot write fixture: {e}"))?;
    Ok(md5::Md5::digest(&data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// A fresh, empty folder under `target/` for a test run, removed when dropped.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn tempdir(root: &Path, name: &str) -> Result<TempDir, String> {
    let dir = root.join("target").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(TempDir(dir))
}

/// Prints a step header.
pub fn step(what: &str) {
    println!("\n==> {what}");
}
