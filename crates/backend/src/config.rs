//! Backend configuration from the environment, with the secrets kept out of `Debug`.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// The real platform API, used when `JW_API_BASE` is not set.
pub const DEFAULT_API_BASE: &str = "https://api.jwplayer.com";
/// Where the backend listens when `JW_BACKEND_LISTEN` is not set.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4020";

/// The simulator's default credentials (see docs/platform-contract.md), used only when
/// `JW_API_BASE` points at a loopback host and the variable is not set.
const SIM_DEFAULTS: [(&str, &str); 4] = [
    ("JW_SITE_ID", "simsite1"),
    ("JW_API_KEY", "simkey01"),
    ("JW_API_SECRET", "sim-v1-secret"),
    ("JW_V2_SECRET", "sim-v2-secret"),
];

/// Everything the backend needs. `Debug` redacts `api_secret` and `v2_secret`.
#[derive(Clone)]
pub struct Config {
    /// Platform base URL without trailing slash (`JW_API_BASE`), e.g. `http://127.0.0.1:4010`.
    pub api_base: String,
    /// Property (site) id (`JW_SITE_ID`).
    pub site_id: String,
    /// v1 API key (`JW_API_KEY`).
    pub api_key: String,
    /// v1 API secret (`JW_API_SECRET`). Never logged nor sent to a browser.
    pub api_secret: String,
    /// v2 API secret (`JW_V2_SECRET`). Never logged nor sent to a browser.
    pub v2_secret: String,
    /// Listen address (`JW_BACKEND_LISTEN`); port 0 picks a free port.
    pub listen: SocketAddr,
    /// Optional directory served at `/` with a strict CSP (`JW_BACKEND_STATIC_DIR`).
    pub static_dir: Option<PathBuf>,
    /// Origins allowed besides the backend's own (`JW_BACKEND_ALLOWED_ORIGINS`, comma list).
    pub allowed_origins: Vec<String>,
    /// Extra CSP `connect-src` sources besides those derived from `api_base`
    /// (`JW_BACKEND_CONNECT_SRC`, comma list).
    pub connect_src_extra: Vec<String>,
    /// The origin browsers reach this backend at (`JW_BACKEND_PUBLIC_ORIGIN`), e.g.
    /// `https://upload.example.com`: the same-origin check, the only `Host` answered, and the
    /// form page's `redirect_address`. `None`: `http://{listen}` (loopback listens only).
    pub public_origin: Option<String>,
    /// The HMAC key of CSRF and ownership tokens (`JW_BACKEND_KEY`, at least 32 bytes). Every
    /// instance behind one load balancer needs the same key. Empty: a random key per process.
    pub server_key: Vec<u8>,
    /// Hosts a fetch upload may name (`JW_BACKEND_FETCH_HOSTS`, comma list of `host` or
    /// `host:port`; `*` for any public host). Empty: fetch uploads are off.
    pub fetch_hosts: Vec<String>,
    /// Whether account-level uploads (player images and skins) are allowed
    /// (`JW_BACKEND_ACCOUNT_UPLOADS=1`). Off by default.
    pub account_uploads: bool,
    /// Metadata fields a browser may set (see [`MetadataRules`]).
    pub metadata: MetadataRules,
    /// The video files a browser may upload, by their `file.type` and name
    /// (`JW_BACKEND_ALLOWED_TYPES`, comma list in the HTML `accept` syntax: `video/*,.mkv`).
    /// Empty: any. Checked on `POST /api/uploads` (415 with the reason otherwise).
    pub allowed_types: String,
    /// Minting requests per client address per minute (`JW_BACKEND_RATE_LIMIT`, default 30;
    /// counted per instance).
    pub rate_limit_per_minute: u32,
    /// How long a browser keeps the right to renew, add to and read the media it minted
    /// (`JW_BACKEND_OWNERSHIP_HOURS`, default 48).
    pub ownership_ttl: Duration,
    /// Socket-level limits of the served binary (see [`ServerLimits`]).
    pub limits: ServerLimits,
}

/// The metadata allowlist: the only fields a browser may set, per API version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataRules {
    /// Fields of a v1 video (`videos/create|update`) (`JW_BACKEND_METADATA_V1`).
    pub v1_video: Vec<String>,
    /// Fields of a v2 media (`POST /v2/sites/{site}/media`) (`JW_BACKEND_METADATA_V2`).
    pub v2_video: Vec<String>,
    /// Whether `custom.*` (v1) and `custom_params` (v2) are accepted
    /// (`JW_BACKEND_CUSTOM_PARAMS=1`). Off by default.
    pub custom_params: bool,
}

impl Default for MetadataRules {
    /// Title, description, tags and author; no custom parameters.
    fn default() -> Self {
        let fields = ["title", "description", "tags", "author"].map(str::to_owned);
        MetadataRules {
            v1_video: fields.to_vec(),
            v2_video: fields.to_vec(),
            custom_params: false,
        }
    }
}

/// Limits on connections: a slow or idle client is closed, and there are only so many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Time to send a request's headers, also the idle time of a kept-alive connection
    /// (`JW_BACKEND_HEADER_TIMEOUT_SECS`, default 10).
    pub header_timeout: Duration,
    /// Time to send a request body and get the reply (`JW_BACKEND_REQUEST_TIMEOUT_SECS`,
    /// default 30).
    pub request_timeout: Duration,
    /// Open connections at most (`JW_BACKEND_MAX_CONNECTIONS`, default 512); more wait.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 512,
        }
    }
}

impl Default for Config {
    /// The real API, no credentials, `127.0.0.1:4020`, no static dir.
    fn default() -> Self {
        Config {
            api_base: DEFAULT_API_BASE.to_owned(),
            site_id: String::new(),
            api_key: String::new(),
            api_secret: String::new(),
            v2_secret: String::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 4020)),
            static_dir: None,
            allowed_origins: Vec::new(),
            connect_src_extra: Vec::new(),
            public_origin: None,
            server_key: Vec::new(),
            fetch_hosts: Vec::new(),
            account_uploads: false,
            metadata: MetadataRules::default(),
            allowed_types: String::new(),
            rate_limit_per_minute: 30,
            ownership_ttl: Duration::from_secs(48 * 3600),
            limits: ServerLimits::default(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("api_base", &self.api_base)
            .field("site_id", &self.site_id)
            .field("api_key", &self.api_key)
            .field("api_secret", &redacted(&self.api_secret))
            .field("v2_secret", &redacted(&self.v2_secret))
            .field("listen", &self.listen)
            .field("static_dir", &self.static_dir)
            .field("allowed_origins", &self.allowed_origins)
            .field("connect_src_extra", &self.connect_src_extra)
            .field("public_origin", &self.public_origin)
            .field("server_key", &redacted_bytes(&self.server_key))
            .field("fetch_hosts", &self.fetch_hosts)
            .field("account_uploads", &self.account_uploads)
            .field("metadata", &self.metadata)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("ownership_ttl", &self.ownership_ttl)
            .field("limits", &self.limits)
            .finish()
    }
}

fn redacted_bytes(secret: &[u8]) -> &'static str {
    if secret.is_empty() {
        "<random per process>"
    } else {
        "<redacted>"
    }
}

fn redacted(secret: &str) -> &'static str {
    if secret.is_empty() {
        "<unset>"
    } else {
        "<redacted>"
    }
}

/// Why the environment does not make a usable [`Config`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is not set (or empty).
    Missing(&'static str),
    /// A variable is set to something unusable.
    Invalid {
        /// The variable's name.
        var: &'static str,
        /// What is wrong, in plain words (never the value of a secret).
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Missing(var) => write!(f, "environment variable {var} is not set"),
            ConfigError::Invalid { var, reason } => write!(f, "{var}: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the configuration from the process environment (see [`Config::from_lookup`]).
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (a variable name to its value).
    ///
    /// `JW_SITE_ID` is required, and the credentials of at least one API generation: the v2
    /// secret `JW_V2_SECRET` (direct, multipart, fetch, status) and/or the v1 pair `JW_API_KEY` +
    /// `JW_API_SECRET` (s3, form, resumable, thumbnails, tracks). `JW_BACKEND_API_VERSIONS`
    /// (`v1`, `v2` or `v1,v2`) names the generations to use; by default, those whose variables
    /// are set. When `JW_API_BASE` is a loopback URL (the simulator), the simulator's defaults
    /// fill in what is not set, for both generations unless `JW_BACKEND_API_VERSIONS` says.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let api_base =
            normalize_api_base(&get("JW_API_BASE").unwrap_or_else(|| DEFAULT_API_BASE.to_owned()))?;
        let loopback = is_loopback_base(&api_base);
        let required = |name: &'static str| -> Result<String, ConfigError> {
            match get(name) {
                Some(v) => Ok(v),
                None if loopback => SIM_DEFAULTS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
                    .ok_or(ConfigError::Missing(name)),
                None => Err(ConfigError::Missing(name)),
            }
        };
        let versions = match get("JW_BACKEND_API_VERSIONS") {
            None => None,
            Some(v) => {
                let named = list(Some(v.to_ascii_lowercase()));
                if named.is_empty() || named.iter().any(|g| g != "v1" && g != "v2") {
                    return Err(ConfigError::Invalid {
                        var: "JW_BACKEND_API_VERSIONS",
                        reason: format!("{v:?} is not a list of v1 and v2"),
                    });
                }
                Some((
                    named.iter().any(|g| g == "v1"),
                    named.iter().any(|g| g == "v2"),
                ))
            }
        };
        let (use_v1, use_v2) = versions.unwrap_or_else(|| {
            let any = |names: &[&str]| names.iter().any(|n| get(n).is_some());
            let v1 = any(&["JW_API_KEY", "JW_API_SECRET"]);
            let v2 = any(&["JW_V2_SECRET"]);
            // The simulator: both, filled in; the real API: what is set (v2 asked for if none).
            if loopback {
                (true, true)
            } else {
                (v1, v2 || !v1)
            }
        });
        let for_version = |on: bool, name: &'static str| -> Result<String, ConfigError> {
            if on {
                required(name)
            } else {
                Ok(String::new())
            }
        };
        let listen_text = get("JW_BACKEND_LISTEN").unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = listen_text
            .parse::<SocketAddr>()
            .map_err(|e| ConfigError::Invalid {
                var: "JW_BACKEND_LISTEN",
                reason: format!("{listen_text:?} is not an address like 127.0.0.1:4000 ({e})"),
            })?;
        let static_dir = match get("JW_BACKEND_STATIC_DIR") {
            None => None,
            Some(dir) => {
                let path = PathBuf::from(&dir);
                if !path.is_dir() {
                    return Err(ConfigError::Invalid {
                        var: "JW_BACKEND_STATIC_DIR",
                        reason: format!("{dir:?} is not a directory"),
                    });
                }
                Some(path)
            }
        };
        let allowed_origins = list(get("JW_BACKEND_ALLOWED_ORIGINS"))
            .into_iter()
            .map(|o| {
                normalize_origin(&o).ok_or_else(|| ConfigError::Invalid {
                    var: "JW_BACKEND_ALLOWED_ORIGINS",
                    reason: format!("{o:?} is not an origin like https://example.com"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let public_origin = match get("JW_BACKEND_PUBLIC_ORIGIN") {
            Some(o) => Some(normalize_origin(&o).ok_or_else(|| ConfigError::Invalid {
                var: "JW_BACKEND_PUBLIC_ORIGIN",
                reason: format!("{o:?} is not an origin like https://upload.example.com"),
            })?),
            None if listen.ip().is_loopback() => None,
            None => return Err(ConfigError::Missing("JW_BACKEND_PUBLIC_ORIGIN")),
        };
        let server_key = get("JW_BACKEND_KEY")
            .map(String::into_bytes)
            .unwrap_or_default();
        if !server_key.is_empty() && server_key.len() < 32 {
            return Err(ConfigError::Invalid {
                var: "JW_BACKEND_KEY",
                reason: "must be at least 32 characters (random)".into(),
            });
        }
        let defaults = Config::default();
        let number = |var: &'static str, default: u64| -> Result<u64, ConfigError> {
            match get(var) {
                None => Ok(default),
                Some(v) => v.parse::<u64>().map_err(|_| ConfigError::Invalid {
                    var,
                    reason: format!("{v:?} is not a whole number"),
                }),
            }
        };
        let flag = |var: &'static str| {
            get(var).is_some_and(|v| {
                matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
            })
        };
        let fields = |var: &'static str, default: &[String]| match get(var) {
            Some(v) => list(Some(v)),
            None => default.to_vec(),
        };
        let metadata = MetadataRules {
            v1_video: fields("JW_BACKEND_METADATA_V1", &defaults.metadata.v1_video),
            v2_video: fields("JW_BACKEND_METADATA_V2", &defaults.metadata.v2_video),
            custom_params: flag("JW_BACKEND_CUSTOM_PARAMS"),
        };
        let limits = ServerLimits {
            header_timeout: Duration::from_secs(
                number("JW_BACKEND_HEADER_TIMEOUT_SECS", 10)?.max(1),
            ),
            request_timeout: Duration::from_secs(
                number("JW_BACKEND_REQUEST_TIMEOUT_SECS", 30)?.max(1),
            ),
            max_connections: usize::try_from(number("JW_BACKEND_MAX_CONNECTIONS", 512)?.max(1))
                .unwrap_or(512),
        };
        Ok(Config {
            public_origin,
            server_key,
            fetch_hosts: list(get("JW_BACKEND_FETCH_HOSTS"))
                .into_iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            account_uploads: flag("JW_BACKEND_ACCOUNT_UPLOADS"),
            metadata,
            allowed_types: get("JW_BACKEND_ALLOWED_TYPES").unwrap_or_default(),
            rate_limit_per_minute: u32::try_from(number("JW_BACKEND_RATE_LIMIT", 30)?)
                .unwrap_or(u32::MAX),
            ownership_ttl: Duration::from_secs(
                number("JW_BACKEND_OWNERSHIP_HOURS", 48)?.max(1) * 3600,
            ),
            limits,
            api_base,
            site_id: required("JW_SITE_ID")?,
            api_key: for_version(use_v1, "JW_API_KEY")?,
            api_secret: for_version(use_v1, "JW_API_SECRET")?,
            v2_secret: for_version(use_v2, "JW_V2_SECRET")?,
            listen,
            static_dir,
            allowed_origins,
            connect_src_extra: list(get("JW_BACKEND_CONNECT_SRC")),
        })
    }

    /// The origin browsers use: [`Config::public_origin`], or `http://{listen}`.
    pub fn origin(&self) -> String {
        self.public_origin
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
    }

    /// Whether the public origin is https (cookies then get `Secure` and `__Host-`).
    pub fn is_https(&self) -> bool {
        self.origin().starts_with("https://")
    }

    /// Whether the v1 key and secret are configured (s3, form, resumable, other resources).
    pub fn has_v1(&self) -> bool {
        !self.api_key.is_empty() && !self.api_secret.is_empty()
    }

    /// Whether the v2 secret is configured (direct, multipart, fetch, status).
    pub fn has_v2(&self) -> bool {
        !self.v2_secret.is_empty()
    }

    /// The upload methods this backend can mint, in the core's order: v1 `s3`, `form`,
    /// `resumable` with the v1 pair; v2 `direct`, `multipart` with the v2 secret, and `fetch`
    /// when fetch hosts are also configured.
    pub fn methods(&self) -> Vec<jw_upload_core::Method> {
        use jw_upload_core::Method;
        let mut m = Vec::new();
        if self.has_v1() {
            m.extend([Method::S3, Method::Form, Method::Resumable]);
        }
        if self.has_v2() {
            m.extend([Method::Direct, Method::Multipart]);
            if !self.fetch_hosts.is_empty() {
                m.push(Method::Fetch);
            }
        }
        m
    }

    /// Whether the platform is on this machine (the simulator).
    pub fn uses_loopback_platform(&self) -> bool {
        is_loopback_base(&self.api_base)
    }
}

fn list(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn normalize_api_base(text: &str) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        var: "JW_API_BASE",
        reason: format!("{text:?} {reason}"),
    };
    let url = reqwest::Url::parse(text).map_err(|_| invalid("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid("is not an http(s) URL"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(invalid("must not carry a query, fragment or user"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback_base(api_base: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(api_base) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// `scheme://host[:port]` of an http(s) URL or origin, lower-cased, default port dropped.
pub(crate) fn normalize_origin(text: &str) -> Option<String> {
    let url = reqwest::Url::parse(text.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    if !(url.path() == "/" || url.path().is_empty()) || url.query().is_some() {
        return None;
    }
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}
