//! `cargo xtask test --only browsers`: the WebDriver suites (tests/webdriver) in Firefox ESR and
//! WebKitGTK, each engine against its own simulator and backend serving the demo build, the two
//! engines at once (their output prefixed with the engine's name), each engine's time reported.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{setup, step};

/// The engines the WebDriver suites run in (Chromium runs the Playwright suites).
const ENGINES: [&str; 2] = ["firefox", "webkit"];

/// geckodriver's path: `GECKODRIVER`, else the one `cargo install` put in ~/.cargo/bin.
pub fn geckodriver() -> String {
    if let Ok(p) = std::env::var("GECKODRIVER") {
        return p;
    }
    let home = std::env::var("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|h| Path::new(&h).join(".cargo")));
    match home {
        Ok(h) if h.join("bin/geckodriver").exists() => {
            h.join("bin/geckodriver").display().to_string()
        }
        _ => "geckodriver".into(),
    }
}

/// Runs the suites in both engines (or those named in `JW_ENGINES`, comma-separated) against
/// the demo build in `dist`; `filter` (the arguments after `--`) narrows the test names.
pub fn run(root: &Path, dist: &Path, filter: &[String]) -> Result<(), String> {
    // JW_ENGINES may also name `chromium` (through chromedriver: to compare screenshots).
    let wanted = std::env::var("JW_ENGINES").unwrap_or_default();
    let engines: Vec<&str> = if wanted.trim().is_empty() {
        ENGINES.to_vec()
    } else {
        wanted.split(',').map(str::trim).collect()
    };
    step(&format!(
        "WebDriver suites in {} (tests/webdriver, in parallel)",
        engines.join(" and ")
    ));
    let artifacts = root.join("target/webdriver");
    std::fs::create_dir_all(&artifacts)
        .map_err(|e| format!("cannot create {}: {e}", artifacts.display()))?;
    let runs = std::thread::scope(|scope| {
        let handles: Vec<_> = engines
            .iter()
            .map(|engine| scope.spawn(move || (*engine, one_engine(root, dist, engine, filter))))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or(("?", Err("a runner thread panicked".into())))
            })
            .collect::<Vec<_>>()
    });
    let mut failed = Vec::new();
    for (engine, outcome) in &runs {
        match outcome {
            Ok(secs) => println!("xtask: {engine}: passed in {secs:.0} s"),
            Err(e) => {
                println!("xtask: {engine}: {e}");
                failed.push(*engine);
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("WebDriver suites failed in {}", failed.join(", ")))
    }
}

/// One engine: a simulator and a backend of its own, then `node --test` with JW_ENGINE set.
/// Returns the seconds it took.
fn one_engine(root: &Path, dist: &Path, engine: &str, filter: &[String]) -> Result<f64, String> {
    let t0 = Instant::now();
    let (backend, sim, data) = crate::demo_stack(root, dist, engine)?;
    let mut args = vec![
        "--test".to_string(),
        "--test-concurrency=1".into(),
        "--test-reporter=spec".into(),
    ];
    if !filter.is_empty() {
        args.push(format!("--test-name-pattern={}", filter.join("|")));
    }
    args.push("tests/webdriver/".into());
    let path = setup::path_with_node_bin(root);
    let mut child = Command::new("node")
        .args(&args)
        .current_dir(root)
        .envs([
            ("JW_ENGINE", engine),
            ("JW_SIM_URL", sim.url().as_str()),
            ("JW_DEMO_URL", backend.url().as_str()),
            ("PATH", path.as_str()),
            ("GECKODRIVER", geckodriver().as_str()),
            // selenium-manager must never run (it would download drivers): the suites start
            // their drivers themselves; this keeps it offline should anything call it.
            ("SE_OFFLINE", "true"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start node: {e}"))?;
    let prefix = |stream: Option<Box<dyn std::io::Read + Send>>| {
        let tag = format!("[{engine}] ");
        std::thread::spawn(move || {
            if let Some(s) = stream {
                for line in BufReader::new(s).lines().map_while(Result::ok) {
                    println!("{tag}{line}");
                }
            }
        })
    };
    let out = prefix(child.stdout.take().map(|s| Box::new(s) as _));
    let err = prefix(child.stderr.take().map(|s| Box::new(s) as _));
    let status = child
        .wait()
        .map_err(|e| format!("node did not finish: {e}"))?;
    let _ = (out.join(), err.join());
    drop((backend, sim, data));
    if status.success() {
        Ok(t0.elapsed().as_secs_f64())
    } else {
        Err(format!(
            "failed after {:.0} s ({status})",
            t0.elapsed().as_secs_f64()
        ))
    }
}
