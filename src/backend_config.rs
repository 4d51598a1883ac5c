//! What the customer's backend says about itself (`GET` the endpoint's sibling `config`, the
//! reference backend's `/api/config`): the v2 upload API base and the methods it can mint,
//! which `method: "auto"` chooses among. Read once per URL per page; a backend without the
//! route (404, not JSON) is taken as saying nothing, and the defaults stay.

use litemap::LiteMap;
use std::cell::RefCell;
use std::rc::Rc;

use jw_upload_core::{HttpMethod, Method};
use serde::Deserialize;

use crate::transport::fetch::{self, AbortOnDrop};

/// The parts of `/api/config` the uploader uses.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct BackendConfig {
    /// Where the browser sends v2 upload API calls (multipart parts, complete).
    #[serde(default)]
    pub upload_api_base: Option<String>,
    /// The methods the backend can mint; names this version does not know are skipped.
    #[serde(default, deserialize_with = "known_methods")]
    pub methods: Option<Vec<Method>>,
}

fn known_methods<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<Method>>, D::Error> {
    let names: Option<Vec<String>> = Option::deserialize(d)?;
    Ok(names.map(|names| {
        (names.iter())
            .filter_map(|n| Method::ALL.into_iter().find(|m| m.as_str() == n))
            .collect()
    }))
}

impl BackendConfig {
    /// Parses a reply body; `None` when it is not a JSON object.
    pub fn parse(body: &str) -> Option<BackendConfig> {
        serde_json::from_str(body).ok()
    }
}

/// The config URL of a credentials endpoint: `explicit` when given (`""`: none), else the
/// endpoint's sibling `config` (`/api/uploads` -> `/api/config`).
pub fn config_url(endpoint: &str, explicit: Option<&str>) -> Option<String> {
    match explicit {
        Some("") => None,
        Some(url) => Some(url.to_owned()),
        None if endpoint.is_empty() => None,
        None => {
            let base = endpoint.trim_end_matches('/');
            let dir = base.rsplit_once('/').map_or("", |(dir, _)| dir);
            Some(format!("{dir}/config"))
        }
    }
}

thread_local! {
    static KNOWN: RefCell<LiteMap<String, Option<Rc<BackendConfig>>>> =
        const { RefCell::new(LiteMap::new()) };
}

/// The backend's config at `url`, fetched once (a network failure is asked again next time).
pub async fn load(url: &str, include_cookies: bool) -> Option<Rc<BackendConfig>> {
    if let Some(known) = KNOWN.with(|k| k.borrow().get(url).cloned()) {
        return known;
    }
    let guard = AbortOnDrop::new();
    let reply = fetch::call_json(
        HttpMethod::Get,
        url,
        &[],
        None,
        guard.signal(),
        include_cookies,
    )
    .await
    .ok()?;
    let config = (reply.status == 200)
        .then(|| BackendConfig::parse(&reply.body))
        .flatten()
        .map(Rc::new);
    KNOWN.with(|k| k.borrow_mut().insert(url.to_owned(), config.clone()));
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_url_is_the_endpoint_sibling() {
        assert_eq!(
            config_url("/api/uploads", None).as_deref(),
            Some("/api/config")
        );
        assert_eq!(
            config_url("https://b.example/x/uploads/", None).as_deref(),
            Some("https://b.example/x/config")
        );
        assert_eq!(config_url("/api/uploads", Some("")), None);
        assert_eq!(config_url("", None), None);
        assert_eq!(
            config_url("/u", Some("/c.json")).as_deref(),
            Some("/c.json")
        );
    }

    #[test]
    fn unknown_methods_are_skipped() {
        let c = BackendConfig::parse(
            r#"{"upload_api_base":"http://sim","methods":["direct","teleport","multipart"],"simulator":true}"#,
        );
        assert_eq!(
            c,
            Some(BackendConfig {
                upload_api_base: Some("http://sim".into()),
                methods: Some(vec![Method::Direct, Method::Multipart]),
            })
        );
        assert_eq!(BackendConfig::parse("{}"), Some(BackendConfig::default()));
        assert_eq!(BackendConfig::parse("<html>"), None);
    }
}
