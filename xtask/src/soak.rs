//! `cargo xtask soak`: the long reliability runs, not in CI: a 25 GiB sparse file through
//! multipart and resumable (MD5 checked against `md5sum`), s3 refusing it, and a soak of many
//! uploads under 10 % random faults (tests/e2e/reliability-large.spec.mjs and
//! reliability-soak.spec.mjs, Playwright in headless Chromium, each worker with its own
//! simulator and backend).
//!
//! Options: `--uploads N` (soak uploads, default 200), `--large-bytes N` (default 25 GiB),
//! `--no-large`, `--no-soak`, and after `--` arguments for Playwright.

use std::path::Path;

use crate::procs;
use crate::{build_demo, setup, step, tempdir};

/// 25 GiB, the platform's limit.
const LARGE: &str = "26843545600";

/// Runs the long suites.
pub fn soak(root: &Path, args: &[String]) -> Result<(), String> {
    let (ours, extra) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let value = |name: &str| {
        ours.iter()
            .position(|a| a == name)
            .and_then(|i| ours.get(i + 1))
            .cloned()
    };
    let uploads = value("--uploads").unwrap_or_else(|| "200".into());
    let large = value("--large-bytes").unwrap_or_else(|| LARGE.into());
    let (with_large, with_soak) = (
        !ours.iter().any(|a| a == "--no-large"),
        !ours.iter().any(|a| a == "--no-soak"),
    );
    setup::all(root)?;
    let dist = tempdir(root, &format!("soak-dist-{}", std::process::id()))?;
    build_demo(root, &dist)?;
    procs::build_services(root, true, " (release: they hash every stored byte)")?;
    step(&format!(
        "long runs: {}{}",
        if with_large {
            format!("a {large}-byte sparse file (multipart, resumable, s3 refusal); ")
        } else {
            String::new()
        },
        if with_soak {
            format!("{uploads} uploads under 10 % random faults")
        } else {
            String::new()
        }
    ));
    let mut files = Vec::new();
    if with_large {
        files.push("reliability-large.spec.mjs");
    }
    if with_soak {
        files.push("reliability-soak.spec.mjs");
    }
    let path = setup::path_with_node_bin(root);
    let dist_s = dist.display().to_string();
    let mut pw = vec![
        "test",
        "-c",
        "tests/e2e/playwright.config.mjs",
        "--workers",
        "1",
        "--reporter",
        "list",
    ];
    pw.extend(files);
    pw.extend(extra.iter().map(String::as_str));
    let mut env = vec![
        ("PATH", path.as_str()),
        ("JW_E2E_DIST", dist_s.as_str()),
        ("JW_SIM_PROFILE", "release"),
        ("JW_SOAK_UPLOADS", uploads.as_str()),
        ("JW_LARGE_BYTES", large.as_str()),
    ];
    if with_large {
        env.push(("JW_LARGE", "1"));
    }
    if with_soak {
        env.push(("JW_SOAK", "1"));
    }
    crate::procs::run(root, "playwright", &pw, &env)
}
