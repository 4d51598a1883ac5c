//! Simulator configuration: listen address, credentials, TTLs and limits (contract defaults).

use std::net::SocketAddr;
use std::path::PathBuf;

/// 25 GiB, the platform's system limit on one file (`004_*.txt`; GB read as GiB, see
/// `docs/platform-contract.md`).
pub const MAX_FILE: u64 = 25 * 1024 * 1024 * 1024;

/// Everything the simulator needs to run; `Default` gives the contract's defaults.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to bind (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Where uploaded bytes are stored.
    pub data_dir: PathBuf,
    /// v2 site id (also accepted as a v1 `api_key`, as the S3 doc's curl shows).
    pub site_id: String,
    /// v1 API key.
    pub api_key: String,
    /// v1 API secret (signature).
    pub api_secret: String,
    /// v2 API secret (Bearer).
    pub v2_secret: String,
    /// What `link.address` says; `None` = the bound `host:port`.
    pub public_address: Option<String>,
    /// Allowed CORS origins; `*` reflects any origin.
    pub allow_origins: Vec<String>,
    /// How long a media stays `processing` once its bytes are in.
    pub processing_ms: u64,
    /// Lifetime of a multipart part `upload_link`.
    pub part_link_ttl_secs: u64,
    /// Lifetime of an S3 pre-signed link.
    pub s3_link_ttl_secs: u64,
    /// Lifetime of a v2 upload token.
    pub upload_token_ttl_secs: u64,
    /// Lifetime of a form upload token (7 days).
    pub form_token_ttl_secs: u64,
    /// v1 calls per key per minute.
    pub rate_limit: u32,
    /// Allowed distance of `api_timestamp` from the sim clock.
    pub timestamp_window_secs: u64,
    /// The platform's system limit on a file (25 GiB: "up to the system limit of 25GB"), for
    /// a resumable total, a form body and a multipart upload; tests lower it (no flag).
    pub max_file_bytes: u64,
    /// Whether `/_sim/*` answers pages on other origins (`--open-admin`, for the demo). Off:
    /// only requests to a loopback `Host` without a foreign `Origin`.
    pub open_admin: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 4010)),
            data_dir: PathBuf::from("./.sim-data"),
            site_id: "simsite1".into(),
            api_key: "simkey01".into(),
            api_secret: "sim-v1-secret".into(),
            v2_secret: "sim-v2-secret".into(),
            public_address: None,
            allow_origins: vec!["*".into()],
            processing_ms: 2000,
            part_link_ttl_secs: 3600,
            s3_link_ttl_secs: 3600,
            upload_token_ttl_secs: 86_400,
            form_token_ttl_secs: 7 * 86_400,
            rate_limit: 60,
            timestamp_window_secs: 300,
            max_file_bytes: MAX_FILE,
            open_admin: false,
        }
    }
}

impl Config {
    /// Test configuration: port 0, short processing, a rate limit tests do not hit by accident.
    pub fn for_tests(data_dir: PathBuf) -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            processing_ms: 50,
            rate_limit: 10_000,
            ..Config::default()
        }
    }
}
