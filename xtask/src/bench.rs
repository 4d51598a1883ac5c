//! `cargo xtask bench [--quick]`: the widget against raw browser uploads and its peers (issue 7),
//! in headless Chromium over a bare CDP pipe, against release builds of the simulator and the
//! backend on loopback, and through a shared uplink capped at 100 and 20 MiB/s (issue 17).
//! Writes `docs/benchmarks.md` (a full run) or `target/benchmarks-quick.md`.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::procs::{self, run, Service};
use crate::{build_demo, setup, step, tempdir};

const MIB: u64 = 1024 * 1024;

/// The capped-link runs' uplinks, in MiB/s: about a gigabit, and a typical office uplink.
const CAPS_MIBPS: [u64; 2] = [100, 20];

/// A test file: where it is, how big, its MD5 (None for the sparse one).
struct TestFile {
    path: PathBuf,
    size: u64,
    md5: Option<String>,
}

/// Removes a folder when dropped (the simulator's data on tmpfs).
struct Wipe(PathBuf);

impl Drop for Wipe {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn bench(root: &Path, args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    setup::all(root)?;
    npm_bench(root)?;
    procs::build_services(root, true, " (release)")?;
    let work = tempdir(root, &format!("bench-{}", std::process::id()))?;
    // The demo page is the full widget (`--features ui`); the page the bench drives loads the
    // uploader without UI, built the same way (release, wasm-bindgen, wasm-opt -Oz) into core/.
    let dist = work.join("dist");
    build_demo(root, &dist)?;
    build_uploader(root, &dist.join("core"))?;
    build_core_alone(root, &dist.join("core-alone"))?;

    step("writing the test files");
    let (big, huge, md5) = if quick {
        (64 * MIB, 256 * MIB, 64 * MIB)
    } else {
        (1024 * MIB, 4096 * MIB, 256 * MIB)
    };
    let files = work.join("files");
    std::fs::create_dir_all(&files)
        .map_err(|e| format!("cannot create {}: {e}", files.display()))?;
    let big = random_file(&files.join("upload-big"), big, 1)?;
    let md5 = random_file(&files.join("md5-input"), md5, 2)?;
    let huge = sparse_file(&files.join("upload-huge"), huge)?;
    // The capped-link runs (a shared uplink at each of CAPS_MIBPS): their own file
    // (BENCH_CAPPED_MIB=512 with --quick, development: the full run's size in a quick run).
    let capped_mib = std::env::var("BENCH_CAPPED_MIB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(if quick { 64 } else { 512 });
    let capped = random_file(&files.join("upload-capped"), capped_mib * MIB, 3)?;

    // The simulator stores every upload: on tmpfs, wiped after each run by bench/run.mjs, so
    // its writes never queue behind the disk.
    let shm = Path::new("/dev/shm");
    let sim_data = if shm.is_dir() {
        shm.join(format!("jwu-bench-{}", std::process::id()))
    } else {
        work.join("sim-data")
    };
    std::fs::create_dir_all(&sim_data).map_err(|e| format!("cannot create sim data: {e}"))?;
    let _wipe = Wipe(sim_data.clone());
    // Every upload creates media through v1 (rate-limited to 60 a minute by default), and the
    // processing delay is not measured.
    std::env::set_var("JW_SIM_RATE_LIMIT", "1000000");
    std::env::set_var("JW_SIM_PROCESSING_MS", "0");
    std::env::set_var("RUST_LOG", "warn");
    let sim_addr = format!("127.0.0.1:{}", procs::free_port()?);
    let sim = Service::start_sim_release(root, &sim_data, &sim_addr)?;
    let backend_addr = format!("127.0.0.1:{}", procs::free_port()?);
    let backend = Service::start_backend(root, "release", &backend_addr, &sim.url(), &dist, "")?;
    let sim_pid = pid_of("jw-platform-sim", &sim_addr)?;
    let backend_pid = pid_of("jw-upload-backend", &backend_addr)?;

    // Kept after the run (the work folder is not): the raw figures behind the table.
    let results = root.join(if quick {
        "target/bench-results-quick.json"
    } else {
        "target/bench-results.json"
    });
    let markdown = if quick {
        root.join("target/benchmarks-quick.md")
    } else {
        root.join("docs/benchmarks.md")
    };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let config = format!(
        "{{\"root\":{},\"work\":{},\"dist\":{},\"sim\":{},\"backend\":{},\
         \"simPid\":{sim_pid},\"backendPid\":{backend_pid},\"simData\":{},\"cpus\":{cpus},\
         \"quick\":{quick},\"runs\":{},\"big\":{},\"huge\":{},\"md5\":{},\"capped\":{},\"caps\":{:?},\
         \"resultsJson\":{},\"markdown\":{}}}",
        js(root),
        js(&work),
        js(&dist),
        json_str(&sim.url()),
        json_str(&backend.url()),
        js(&sim_data),
        if quick { 1 } else { 3 },
        file_json(&big),
        file_json(&huge),
        file_json(&md5),
        file_json(&capped),
        CAPS_MIBPS,
        js(&results),
        js(&markdown),
    );
    let config_path = work.join("config.json");
    std::fs::write(&config_path, config).map_err(|e| format!("cannot write bench config: {e}"))?;

    step("measuring in headless Chromium (bench/run.mjs; progress below)");
    let path = setup::path_with_node_bin(root);
    let config_arg = config_path.display().to_string();
    run(
        root,
        "node",
        &["bench/run.mjs", config_arg.as_str()],
        &[("PATH", path.as_str())],
    )?;
    drop(backend);
    drop(sim);
    let table = std::fs::read_to_string(&markdown)
        .map_err(|e| format!("cannot read {}: {e}", markdown.display()))?;
    println!("\n{table}");
    println!(
        "xtask: wrote {} (figures: {})",
        markdown.display(),
        results.display()
    );
    Ok(())
}

/// `npm ci` in bench/ when its lock is newer than what is installed (never downloads browsers:
/// none of the bench's packages does).
fn npm_bench(root: &Path) -> Result<(), String> {
    let dir = root.join("bench");
    let lock = std::fs::metadata(dir.join("package-lock.json")).and_then(|m| m.modified());
    let stamp =
        std::fs::metadata(dir.join("node_modules/.package-lock.json")).and_then(|m| m.modified());
    if let (Ok(lock), Ok(stamp)) = (lock, stamp) {
        if stamp >= lock {
            return Ok(());
        }
    }
    step("installing the bench's npm dependencies from bench/package-lock.json (npm ci)");
    run(
        &dir,
        "npm",
        &["ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        &[],
    )
}

/// The uploader without UI into `out` (`jw-upload.js` + `jw-upload_bg.wasm`), built as the npm
/// package builds it: release cargo build, `wasm-bindgen --target web`, `wasm-opt -Oz`.
fn build_uploader(root: &Path, out: &Path) -> Result<(), String> {
    step("building the uploader without UI (release, wasm-bindgen, wasm-opt -Oz)");
    crate::npm::wasm(root, out, "jw-upload", &crate::npm::Wasm::UPLOADER)
}

/// The protocol core alone (no browser layer) into `out`, built the same way: the size floor
/// of any uploader on this core.
fn build_core_alone(root: &Path, out: &Path) -> Result<(), String> {
    step("building the protocol core alone (release, wasm-bindgen, wasm-opt -Oz)");
    crate::npm::wasm(root, out, "jw-upload", &crate::npm::Wasm::CORE_ALONE)
}

/// A file of `size` pseudo-random bytes (16 MiB blocks, each made distinct), left in the page
/// cache; its MD5 from `md5sum`.
fn random_file(path: &Path, size: u64, seed: u64) -> Result<TestFile, String> {
    println!("xtask: {} ({} MiB)", path.display(), size / MIB);
    let mut block = vec![0u8; (16 * MIB) as usize];
    let mut x = 0x9e37_79b9_7f4a_7c15_u64 ^ seed;
    for chunk in block.chunks_exact_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes());
    }
    let mut f = File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut left = size;
    let mut n = 0u64;
    while left > 0 {
        block[..8].copy_from_slice(&n.to_le_bytes());
        let take = left.min(block.len() as u64) as usize;
        f.write_all(&block[..take])
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        left -= take as u64;
        n += 1;
    }
    drop(f);
    let out = Command::new("md5sum")
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run md5sum: {e}"))?;
    let md5 = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    Ok(TestFile {
        path: path.to_path_buf(),
        size,
        md5: Some(md5),
    })
}

/// A sparse file of `size` zero bytes (no disk, no page cache to fill): the memory runs.
fn sparse_file(path: &Path, size: u64) -> Result<TestFile, String> {
    println!("xtask: {} ({} MiB, sparse)", path.display(), size / MIB);
    let f = File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    f.set_len(size)
        .map_err(|e| format!("cannot size {}: {e}", path.display()))?;
    Ok(TestFile {
        path: path.to_path_buf(),
        size,
        md5: None,
    })
}

/// The pid of our `name` service listening on `addr` (found in /proc: the sim by its
/// `--listen`, the backend by its `JW_BACKEND_LISTEN`), for pinning it to a CPU.
fn pid_of(name: &str, addr: &str) -> Result<u32, String> {
    let entries = std::fs::read_dir("/proc").map_err(|e| format!("cannot read /proc: {e}"))?;
    for e in entries.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        if !cmdline.split('\0').next().unwrap_or("").ends_with(name) {
            continue;
        }
        let environ = std::fs::read(e.path().join("environ")).unwrap_or_default();
        let environ = String::from_utf8_lossy(&environ);
        if cmdline.split('\0').any(|a| a == addr)
            || environ
                .split('\0')
                .any(|v| v == format!("JW_BACKEND_LISTEN={addr}"))
        {
            return Ok(pid);
        }
    }
    Err(format!("cannot find the {name} process on {addr}"))
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn js(p: &Path) -> String {
    json_str(&p.display().to_string())
}

fn file_json(f: &TestFile) -> String {
    format!(
        "{{\"path\":{},\"size\":{},\"md5\":{}}}",
        js(&f.path),
        f.size,
        f.md5.as_deref().map_or("null".into(), json_str)
    )
}
