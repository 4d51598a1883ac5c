//! `cargo xtask setup`: installs what the project needs, skipping what is already there.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::procs::{cargo, run};
use crate::step;

/// The trunk version the demo is built with (0.22 needs a newer rustc).
const TRUNK_VERSION: &str = "0.21.14";

/// The geckodriver version the Firefox suites are driven with (crates.io).
const GECKODRIVER_VERSION: &str = "0.37.1";

/// The WebKitGTK browser WebKitWebDriver starts (Debian `libwebkit2gtk-4.1-0`).
pub const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

/// Installs everything: wasm32 target, trunk, wasm-bindgen-cli, Chromium + ChromeDriver,
/// Firefox ESR + geckodriver, WebKitGTK + WebKitWebDriver + Xvfb, npm deps.
pub fn all(root: &Path) -> Result<(), String> {
    wasm_target(root)?;
    wasm_bindgen_cli(root)?;
    trunk(root)?;
    geckodriver(root)?;
    debian_browsers()?;
    npm(root)?;
    Ok(())
}

/// The output of `program args`, or None when it cannot run or fails.
fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn wasm_target(root: &Path) -> Result<(), String> {
    let installed = output_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    step("installing the wasm32-unknown-unknown target (rustup)");
    run(
        root,
        "rustup",
        &["target", "add", "wasm32-unknown-unknown"],
        &[],
    )
}

/// The `wasm-bindgen` version Cargo.lock resolved, which the CLI must equal.
pub fn locked_wasm_bindgen(root: &Path) -> Result<String, String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
            {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

fn wasm_bindgen_cli(root: &Path) -> Result<(), String> {
    let want = locked_wasm_bindgen(root)?;
    let have = output_of("wasm-bindgen", &["--version"]).unwrap_or_default();
    let runner = output_of("wasm-bindgen-test-runner", &["--version"]).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(want.as_str())
        && runner.split_whitespace().nth(1) == Some(want.as_str())
    {
        return Ok(());
    }
    step(&format!(
        "installing wasm-bindgen-cli {want} (matches Cargo.lock; a few minutes)"
    ));
    // `--locked` fails for some versions (a yanked dependency), so it is not used.
    cargo(
        root,
        &["install", "wasm-bindgen-cli", "--version", &want, "--force"],
        &[],
    )
}

fn trunk(root: &Path) -> Result<(), String> {
    cargo_install(root, "trunk", TRUNK_VERSION, "about 7 minutes on 2 cores")
}

/// `cargo install NAME --version VERSION --locked` unless `NAME --version` already reports it.
fn cargo_install(root: &Path, name: &str, version: &str, takes: &str) -> Result<(), String> {
    let have = output_of(name, &["--version"]).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(version) {
        return Ok(());
    }
    step(&format!(
        "installing {name} {version} (cargo install; {takes})"
    ));
    cargo(
        root,
        &["install", name, "--version", version, "--locked", "--force"],
        &[],
    )
}

fn is_root() -> bool {
    output_of("id", &["-u"]).is_some_and(|s| s.trim() == "0")
}

/// Debian packages of the three engines, each installed only when what it provides is missing.
fn debian_browsers() -> Result<(), String> {
    let wanted: [(&str, &[&str]); 5] = [
        ("chromium", &["/usr/bin/chromium"]),
        ("chromium-driver", &["/usr/bin/chromedriver"]),
        ("firefox-esr", &["/usr/bin/firefox-esr"]),
        (
            "webkit2gtk-driver",
            &["/usr/bin/WebKitWebDriver", MINIBROWSER],
        ),
        ("xvfb", &["/usr/bin/Xvfb"]),
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(_, files)| !files.iter().all(|f| Path::new(f).exists()))
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !is_root() {
        return Err(format!(
            "browsers are missing: run as root, or `sudo apt-get install -y {list}`"
        ));
    }
    step(&format!("installing Debian {list} (apt-get)"));
    let root = Path::new("/");
    run(root, "apt-get", &["update"], &[])?;
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend(&missing);
    run(
        root,
        "apt-get",
        &args,
        &[("DEBIAN_FRONTEND", "noninteractive")],
    )
}

/// geckodriver (Firefox's WebDriver), built from crates.io into ~/.cargo/bin.
fn geckodriver(root: &Path) -> Result<(), String> {
    cargo_install(root, "geckodriver", GECKODRIVER_VERSION, "a few minutes")
}

fn npm(root: &Path) -> Result<(), String> {
    let lock = root.join("package-lock.json");
    if !lock.exists() {
        return Ok(());
    }
    let stamp = root.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&stamp)) {
        (Ok(l), Ok(s)) => match (l.modified(), s.modified()) {
            (Ok(l), Ok(s)) => s >= l,
            _ => false,
        },
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    step("installing npm dependencies from package-lock.json (npm ci)");
    run(
        root,
        "npm",
        &["ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        &[],
    )
}

/// `PATH` with `node_modules/.bin` first (wasm-opt from the binaryen package, tsc, esbuild).
pub fn path_with_node_bin(root: &Path) -> String {
    let bin = root.join("node_modules/.bin");
    match std::env::var("PATH") {
        Ok(p) => format!("{}:{p}", bin.display()),
        Err(_) => bin.display().to_string(),
    }
}
