//! The official-client conformance suite (`tests/clients/`): the platform's own Python client
//! (jwplatform 2.2.2, PyPI) and npm client (jwplatform 0.0.6) driven against the simulator.
//!
//! Installs what it needs idempotently: a venv in `target/clients-venv` from the pinned
//! `tests/clients/requirements.txt` (skipped while its stamp matches the file), and
//! `tests/clients/node_modules` from `tests/clients/package-lock.json` (`npm ci`, skipped while
//! the installed lock is newer).

use std::path::{Path, PathBuf};

use crate::procs::{cargo, run, Service};
use crate::{step, tempdir};

/// Builds and starts a simulator, then runs both clients' suites against it.
pub fn run_suite(root: &Path) -> Result<(), String> {
    let python = venv(root)?;
    npm(root)?;
    step("building the simulator");
    cargo(root, &["build", "-p", "jw-platform-sim"], &[])?;
    let data = tempdir(root, &format!("sim-clients-{}", std::process::id()))?;
    let sim = Service::start_sim(root, &data)?;
    let url = sim.url();
    let env = [("JW_SIM_URL", url.as_str())];
    step("the official Python client, jwplatform 2.2.2 (tests/clients/python_client.py)");
    let py = python.display().to_string();
    run(root, &py, &["tests/clients/python_client.py"], &env)?;
    step("the official npm client, jwplatform 0.0.6 (tests/clients/npm_client.test.mjs)");
    run(
        &root.join("tests/clients"),
        "node",
        &["--test", "npm_client.test.mjs"],
        &env,
    )
}

/// The venv's python, with `requirements.txt` installed (once per change of that file).
fn venv(root: &Path) -> Result<PathBuf, String> {
    let dir = root.join("target/clients-venv");
    let python = dir.join("bin/python");
    let requirements = root.join("tests/clients/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    let stamp = dir.join(".installed-requirements.txt");
    if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(python);
    }
    step("installing the official Python client (jwplatform 2.2.2) into target/clients-venv");
    if !python.exists() {
        let d = dir.display().to_string();
        run(root, "python3", &["-m", "venv", d.as_str()], &[]).map_err(|e| {
            format!("{e}: the clients suite needs Python 3 with venv (Debian: apt-get install python3-venv)")
        })?;
    }
    let py = python.display().to_string();
    let req = requirements.display().to_string();
    run(
        root,
        &py,
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            req.as_str(),
        ],
        &[],
    )?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(python)
}

/// `npm ci` in tests/clients when its lock is newer than what is installed.
fn npm(root: &Path) -> Result<(), String> {
    let dir = root.join("tests/clients");
    let modified = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified());
    let lock = modified(dir.join("package-lock.json"));
    let installed = modified(dir.join("node_modules/.package-lock.json"));
    if let (Ok(lock), Ok(installed)) = (lock, installed) {
        if installed >= lock {
            return Ok(());
        }
    }
    step("installing the official npm client (jwplatform 0.0.6) from tests/clients/package-lock.json");
    run(
        &dir,
        "npm",
        &["ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        &[],
    )
}
