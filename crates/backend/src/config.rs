//! Backend configuration from the environment, with the secrets kept out of `Debug`.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// The real platform API, used when `JW_API_BASE` is not set.
pub const DEFAULT_API_BASE: &str = "https://api.jwplayer.com";
/// Where the backend listens when `JW_BACKEND_LISTEN` is not set.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4000";

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
}

impl Default for Config {
    /// The real API, no credentials, `127.0.0.1:4000`, no static dir.
    fn default() -> Self {
        Config {
            api_base: DEFAULT_API_BASE.to_owned(),
            site_id: String::new(),
            api_key: String::new(),
            api_secret: String::new(),
            v2_secret: String::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            static_dir: None,
            allowed_origins: Vec::new(),
            connect_src_extra: Vec::new(),
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
            .finish()
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
    /// `JW_SITE_ID`, `JW_API_KEY`, `JW_API_SECRET` and `JW_V2_SECRET` are required, except when
    /// `JW_API_BASE` is a loopback URL (the simulator): then the simulator's defaults fill in.
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
        Ok(Config {
            api_base,
            site_id: required("JW_SITE_ID")?,
            api_key: required("JW_API_KEY")?,
            api_secret: required("JW_API_SECRET")?,
            v2_secret: required("JW_V2_SECRET")?,
            listen,
            static_dir,
            allowed_origins,
            connect_src_extra: list(get("JW_BACKEND_CONNECT_SRC")),
        })
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
