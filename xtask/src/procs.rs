//! Child processes for xtask: running commands, and services (sim, backend) stopped on drop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `program args` in `dir` with extra environment, failing on a non-zero exit.
pub fn run(dir: &Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .status()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// Runs cargo (the one running xtask) with `args`.
pub fn cargo(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(dir, &cargo, args, env)
}

/// Builds the simulator and the backend (`release` or debug), saying so.
pub fn build_services(root: &Path, release: bool, why: &str) -> Result<(), String> {
    crate::step(&format!("building the simulator and the backend{why}"));
    let mut args = vec!["build", "-p", "jw-platform-sim", "-p", "jw-upload-backend"];
    if release {
        args.push("--release");
    }
    cargo(root, &args, &[])
}

/// A free loopback port (bound then released; good enough for a local test run).
pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A running service, killed when dropped.
pub struct Service {
    name: &'static str,
    addr: SocketAddr,
    child: Child,
}

impl Service {
    /// Starts the simulator (debug build) for a test run on a free port, with its data in
    /// `data`. Its v1 rate limit is raised far above the platform's 60 a minute: the suites that
    /// share one simulator create more media than that in a busy minute, and a test that waits
    /// out the reset (up to a minute, per call) proves nothing but times out. The limit itself
    /// is tested in the simulator's own tests and 429 handling by the reliability suite's faults.
    pub fn start_sim(root: &Path, data: &Path) -> Result<Service, String> {
        let listen = format!("127.0.0.1:{}", free_port()?);
        let extra = ["--rate-limit", "100000", "--open-admin"];
        Self::spawn_bin(root, "debug", "jw-platform-sim", &listen, data, &extra)
    }

    /// Starts the simulator (release build) on `listen`. `/_sim/*` is open to every origin: the
    /// demo page's trouble controls (on the backend's origin) set its faults.
    pub fn start_sim_release(root: &Path, data: &Path, listen: &str) -> Result<Service, String> {
        Self::spawn_bin(
            root,
            "release",
            "jw-platform-sim",
            listen,
            data,
            &["--open-admin"],
        )
    }

    /// Starts the backend (`profile` build) on `listen`, talking to the platform at `api_base`
    /// with the simulator's default credentials, serving `static_dir`, and accepting calls from
    /// the extra `origins` (comma-separated; may be empty).
    ///
    /// Its public origin is `http://{listen}` (the URL the pages and suites use). It enables
    /// what the demo and the suites exercise and the secure defaults leave off: image and skin
    /// uploads, and fetch uploads from its own host only (the fetch sources are files in its
    /// static dir). Its per-client rate limit is off: every suite calls from 127.0.0.1, more
    /// than a visitor would in a minute (the limit itself is tested in the backend's tests).
    pub fn start_backend(
        root: &Path,
        profile: &str,
        listen: &str,
        api_base: &str,
        static_dir: &Path,
        origins: &str,
    ) -> Result<Service, String> {
        Self::start_backend_with(root, profile, listen, api_base, static_dir, origins, &[])
    }

    /// [`Service::start_backend`] with `extra` environment variables set after the defaults
    /// (e.g. `JW_BACKEND_API_VERSIONS=v2` for a backend holding only the v2 secret).
    pub fn start_backend_with(
        root: &Path,
        profile: &str,
        listen: &str,
        api_base: &str,
        static_dir: &Path,
        origins: &str,
        extra: &[(&str, &str)],
    ) -> Result<Service, String> {
        let static_dir = static_dir.display().to_string();
        let public_origin = format!("http://{listen}");
        let env = [
            ("JW_BACKEND_PUBLIC_ORIGIN", public_origin.as_str()),
            ("JW_BACKEND_FETCH_HOSTS", listen),
            ("JW_BACKEND_ACCOUNT_UPLOADS", "1"),
            ("JW_BACKEND_RATE_LIMIT", "0"),
            ("JW_BACKEND_ALLOWED_ORIGINS", origins),
            ("JW_API_BASE", api_base),
            ("JW_SITE_ID", "simsite1"),
            ("JW_API_KEY", "simkey01"),
            ("JW_API_SECRET", "sim-v1-secret"),
            ("JW_V2_SECRET", "sim-v2-secret"),
            ("JW_BACKEND_LISTEN", listen),
            ("JW_BACKEND_STATIC_DIR", static_dir.as_str()),
        ];
        let bin = root.join("target").join(profile).join("jw-upload-backend");
        let child = Command::new(&bin)
            .current_dir(root)
            .envs(env)
            .envs(extra.iter().copied())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        Self::ready("backend", listen, child)
    }

    /// Starts `program args` (a static server, say) and waits until `listen` accepts.
    pub fn start_program(
        root: &Path,
        name: &'static str,
        program: &str,
        args: &[&str],
        listen: &str,
    ) -> Result<Service, String> {
        let child = Command::new(program)
            .current_dir(root)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {program}: {e}"))?;
        Self::ready(name, listen, child)
    }

    fn spawn_bin(
        root: &Path,
        profile: &str,
        name: &'static str,
        listen: &str,
        data: &Path,
        extra: &[&str],
    ) -> Result<Service, String> {
        let bin = root.join("target").join(profile).join(name);
        let data = data.display().to_string();
        let child = Command::new(&bin)
            .current_dir(root)
            .args(["--listen", listen, "--data-dir", data.as_str()])
            .args(extra)
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        Self::ready(name, listen, child)
    }

    /// Waits until `listen` accepts connections (or the child dies, or 30 s pass).
    fn ready(name: &'static str, listen: &str, mut child: Child) -> Result<Service, String> {
        let addr: SocketAddr = listen
            .parse()
            .map_err(|e| format!("bad address {listen}: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(Service { name, addr, child });
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("{name} exited at start ({status})"));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err(format!("{name} did not listen on {listen} within 30 s"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://host:port` of the service.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Blocks until the service exits (e.g. on Ctrl-C).
    pub fn wait(mut self) {
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            println!("xtask: stopped {}", self.name);
        }
    }
}
