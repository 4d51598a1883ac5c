//! Config::from_lookup / from_env rules and the redacting Debug.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use jw_upload_backend::{Config, ConfigError};

fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_lookup(|name| map.get(name).cloned())
}

const FULL: [(&str, &str); 4] = [
    ("JW_SITE_ID", "site1234"),
    ("JW_API_KEY", "key12345"),
    ("JW_API_SECRET", "top-secret-v1"),
    ("JW_V2_SECRET", "top-secret-v2"),
];

#[test]
fn defaults_are_the_real_api_and_port_4020_not_the_demos_4000() {
    let c = load(&FULL).unwrap();
    assert_eq!(c.api_base, "https://api.jwplayer.com");
    assert_eq!(c.listen.to_string(), "127.0.0.1:4020");
    assert_eq!(c.site_id, "site1234");
    assert_eq!(c.static_dir, None);
    assert!(c.allowed_origins.is_empty());
    assert!(!c.uses_loopback_platform());
}

#[test]
fn secrets_are_required_for_the_real_api() {
    // One generation is enough: v1 alone mints s3, form, resumable; v2 alone direct, multipart.
    let v1 = load(&FULL[..3]).unwrap();
    assert!(v1.has_v1() && !v1.has_v2());
    assert_eq!(
        v1.methods().iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        ["s3", "form", "resumable"]
    );
    let v2 = load(&[FULL[0], FULL[3]]).unwrap();
    assert!(!v2.has_v1() && v2.has_v2());
    assert_eq!(
        v2.methods().iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        ["direct", "multipart"]
    );
    // Half a v1 pair, or no credentials at all, is refused.
    assert_eq!(
        load(&FULL[..2]).unwrap_err(),
        ConfigError::Missing("JW_API_SECRET")
    );
    assert_eq!(
        load(&FULL[..1]).unwrap_err(),
        ConfigError::Missing("JW_V2_SECRET")
    );
    assert_eq!(load(&[]).unwrap_err(), ConfigError::Missing("JW_SITE_ID"));
    let empty = [("JW_SITE_ID", "  ")];
    assert_eq!(
        load(&empty).unwrap_err(),
        ConfigError::Missing("JW_SITE_ID")
    );
}

#[test]
fn a_loopback_api_base_falls_back_to_the_simulator_credentials() {
    let c = load(&[("JW_API_BASE", "http://127.0.0.1:4010/")]).unwrap();
    assert_eq!(c.api_base, "http://127.0.0.1:4010");
    assert_eq!(c.site_id, "simsite1");
    assert_eq!(c.api_key, "simkey01");
    assert_eq!(c.api_secret, "sim-v1-secret");
    assert_eq!(c.v2_secret, "sim-v2-secret");
    assert!(c.uses_loopback_platform());
    let c = load(&[
        ("JW_API_BASE", "http://localhost:9"),
        ("JW_API_SECRET", "mine"),
    ])
    .unwrap();
    assert_eq!(c.api_secret, "mine");
}

#[test]
fn api_versions_choose_the_generations() {
    // The simulator holding only a v2 secret, as `cargo xtask demo --v2-only` runs it.
    let c = load(&[
        ("JW_API_BASE", "http://127.0.0.1:4010"),
        ("JW_BACKEND_API_VERSIONS", "v2"),
    ])
    .unwrap();
    assert_eq!((c.api_key.as_str(), c.api_secret.as_str()), ("", ""));
    assert_eq!(c.v2_secret, "sim-v2-secret");
    let c = load(&[
        ("JW_API_BASE", "http://127.0.0.1:4010"),
        ("JW_BACKEND_API_VERSIONS", "V1"),
    ])
    .unwrap();
    assert!(c.has_v1() && !c.has_v2());
    // Listed for the real API: its variables are required.
    let mut vars = FULL[..3].to_vec();
    vars.push(("JW_BACKEND_API_VERSIONS", "v1,v2"));
    assert_eq!(
        load(&vars).unwrap_err(),
        ConfigError::Missing("JW_V2_SECRET")
    );
    // The secrets of a generation not listed are not used.
    let mut vars = FULL.to_vec();
    vars.push(("JW_BACKEND_API_VERSIONS", "v2"));
    assert!(!load(&vars).unwrap().has_v1());
    for bad in ["v3", ",", "v1 v4"] {
        let mut vars = FULL.to_vec();
        vars.push(("JW_BACKEND_API_VERSIONS", bad));
        assert!(matches!(
            load(&vars).unwrap_err(),
            ConfigError::Invalid {
                var: "JW_BACKEND_API_VERSIONS",
                ..
            }
        ));
    }
}

#[test]
fn all_variables_are_read() {
    let dir = std::env::temp_dir();
    let dir_text = dir.to_string_lossy().into_owned();
    let mut vars = FULL.to_vec();
    vars.extend([
        ("JW_API_BASE", "http://sim.test:4010"),
        ("JW_BACKEND_LISTEN", "0.0.0.0:0"),
        ("JW_BACKEND_STATIC_DIR", dir_text.as_str()),
        (
            "JW_BACKEND_ALLOWED_ORIGINS",
            "https://Shop.Example:443, http://localhost:8080",
        ),
        (
            "JW_BACKEND_CONNECT_SRC",
            "https://cdn.example https://up.example",
        ),
        ("JW_BACKEND_PUBLIC_ORIGIN", "https://Upload.Example"),
        ("JW_BACKEND_KEY", "0123456789abcdef0123456789abcdef"),
        ("JW_BACKEND_FETCH_HOSTS", "Media.Example, 127.0.0.1:9000"),
        ("JW_BACKEND_ACCOUNT_UPLOADS", "1"),
        ("JW_BACKEND_METADATA_V1", "title,description"),
        ("JW_BACKEND_METADATA_V2", "title"),
        ("JW_BACKEND_CUSTOM_PARAMS", "true"),
        ("JW_BACKEND_RATE_LIMIT", "7"),
        ("JW_BACKEND_OWNERSHIP_HOURS", "2"),
        ("JW_BACKEND_HEADER_TIMEOUT_SECS", "3"),
        ("JW_BACKEND_REQUEST_TIMEOUT_SECS", "4"),
        ("JW_BACKEND_MAX_CONNECTIONS", "5"),
    ]);
    let c = load(&vars).unwrap();
    assert_eq!(c.public_origin.as_deref(), Some("https://upload.example"));
    assert!(c.is_https());
    assert_eq!(c.server_key.len(), 32);
    assert_eq!(c.fetch_hosts, vec!["media.example", "127.0.0.1:9000"]);
    assert!(c.account_uploads);
    assert_eq!(c.metadata.v1_video, vec!["title", "description"]);
    assert_eq!(c.metadata.v2_video, vec!["title"]);
    assert!(c.metadata.custom_params);
    assert_eq!(c.rate_limit_per_minute, 7);
    assert_eq!(c.ownership_ttl.as_secs(), 7200);
    assert_eq!(c.limits.header_timeout.as_secs(), 3);
    assert_eq!(c.limits.request_timeout.as_secs(), 4);
    assert_eq!(c.limits.max_connections, 5);
    assert_eq!(c.api_base, "http://sim.test:4010");
    assert_eq!(c.listen.port(), 0);
    assert_eq!(c.static_dir.as_deref(), Some(dir.as_path()));
    assert_eq!(
        c.allowed_origins,
        vec!["https://shop.example", "http://localhost:8080"]
    );
    assert_eq!(
        c.connect_src_extra,
        vec!["https://cdn.example", "https://up.example"]
    );
}

#[test]
fn a_public_listen_needs_a_public_origin_and_a_key_is_long() {
    let mut vars = FULL.to_vec();
    vars.push(("JW_BACKEND_LISTEN", "0.0.0.0:4000"));
    assert_eq!(
        load(&vars).unwrap_err(),
        ConfigError::Missing("JW_BACKEND_PUBLIC_ORIGIN")
    );
    let mut vars = FULL.to_vec();
    vars.push(("JW_BACKEND_KEY", "short"));
    assert!(matches!(
        load(&vars).unwrap_err(),
        ConfigError::Invalid {
            var: "JW_BACKEND_KEY",
            ..
        }
    ));
    // Secure by default.
    let c = load(&FULL).unwrap();
    assert!(c.fetch_hosts.is_empty() && !c.account_uploads && !c.metadata.custom_params);
    assert_eq!(c.origin(), "http://127.0.0.1:4020");
}

#[test]
fn bad_values_are_refused_with_the_variable_name() {
    let cases = [
        ("JW_API_BASE", "ftp://example.com"),
        ("JW_API_BASE", "not a url"),
        ("JW_API_BASE", "https://api.example?x=1"),
        ("JW_BACKEND_LISTEN", "localhost"),
        ("JW_BACKEND_STATIC_DIR", "/definitely/not/here"),
        (
            "JW_BACKEND_ALLOWED_ORIGINS",
            "https://ok.example,https://x.example/path",
        ),
    ];
    for (var, value) in cases {
        let mut vars = FULL.to_vec();
        vars.push((var, value));
        match load(&vars) {
            Err(ConfigError::Invalid { var: v, .. }) => assert_eq!(v, var, "{value}"),
            other => panic!("{var}={value}: {other:?}"),
        }
    }
}

#[test]
fn debug_redacts_the_secrets() {
    let c = load(&FULL).unwrap();
    let text = format!("{c:?} {c:#?}");
    assert!(!text.contains("top-secret"), "{text}");
    assert!(text.contains("<redacted>"));
    assert!(text.contains("key12345"));
    assert!(text.contains("site1234"));
}

#[test]
fn errors_never_show_a_secret_value() {
    let err = load(&[("JW_API_SECRET", "top-secret-v1")]).unwrap_err();
    assert!(!err.to_string().contains("top-secret"));
}
