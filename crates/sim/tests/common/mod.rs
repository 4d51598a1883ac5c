//! Shared helpers for the simulator's integration tests: start a sim, sign v1 calls, hash bytes.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use jw_platform_sim::{Config, SimServer};
use md5::{Digest, Md5};
use serde_json::Value;
use tempfile::TempDir;

pub struct Sim {
    pub server: SimServer,
    pub url: String,
    pub http: reqwest::Client,
    pub config: Config,
    _dir: TempDir,
}

pub async fn start() -> Sim {
    start_with(|_| {}).await
}

pub async fn start_with(f: impl FnOnce(&mut Config)) -> Sim {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests(dir.path().to_path_buf());
    f(&mut config);
    let server = jw_platform_sim::spawn(config.clone()).await.unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Sim {
        url: server.url(),
        server,
        http,
        config,
        _dir: dir,
    }
}

pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// Deterministic test bytes.
pub fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| ((i as u64 * 31 + seed as u64 * 7 + (i as u64 >> 9)) % 251) as u8)
        .collect()
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl Sim {
    /// Signed v1 URL for `call` with `params` (api_* added), as the S3 doc's curl does.
    pub fn v1_url(&self, call: &str, params: &[(&str, &str)]) -> String {
        self.v1_url_at(call, params, now_secs())
    }

    pub fn v1_url_at(&self, call: &str, params: &[(&str, &str)], ts: u64) -> String {
        let ts = ts.to_string();
        let mut pairs: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        pairs.push(("api_key".into(), self.config.api_key.clone()));
        pairs.push(("api_nonce".into(), format!("{:08}", rand_nonce())));
        pairs.push(("api_timestamp".into(), ts));
        let sig = jw_platform_sim::v1_signature(&pairs, &self.config.api_secret);
        pairs.push(("api_signature".into(), sig));
        let q: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        format!("{}/v1/{call}?{}", self.url, q.join("&"))
    }

    /// POST a signed v1 call with a JSON body (not signed), returns (status, json).
    pub async fn v1_json(&self, call: &str, params: &[(&str, &str)], body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.v1_url(call, params))
            .json(&body)
            .send()
            .await
            .unwrap();
        let st = r.status().as_u16();
        (st, r.json().await.unwrap())
    }

    /// `videos/create` with `upload_method` (None = form), returns the reply.
    pub async fn create_video(&self, method: Option<&str>) -> Value {
        let mut body = serde_json::json!({"title": "My Uploaded Video"});
        if let Some(m) = method {
            body["upload_method"] = m.into();
        }
        let (st, v) = self.v1_json("videos/create", &[], body).await;
        assert_eq!(st, 200, "{v}");
        v
    }

    /// `/_sim/media/{key}?verify=true`; checks that the MD5 re-read from disk is the recorded one.
    pub async fn admin_media(&self, key: &str) -> Value {
        let r = self
            .http
            .get(format!("{}/_sim/media/{key}?verify=true", self.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(
            v["disk_md5"], v["md5"],
            "file on disk differs from the recorded MD5: {v}"
        );
        v
    }

    pub async fn log(&self) -> Vec<Value> {
        let r = self
            .http
            .get(format!("{}/_sim/log", self.url))
            .send()
            .await
            .unwrap();
        r.json::<Vec<Value>>().await.unwrap()
    }

    pub async fn faults(&self, rules: Value) {
        let r = self
            .http
            .post(format!("{}/_sim/faults", self.url))
            .json(&serde_json::json!({"rules": rules, "seed": 7}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }

    pub async fn advance(&self, secs: i64) {
        let r = self
            .http
            .post(format!("{}/_sim/clock", self.url))
            .json(&serde_json::json!({"advance_secs": secs}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    pub async fn v2_get_media(&self, id: &str) -> Value {
        let r = self
            .http
            .get(format!(
                "{}/v2/sites/{}/media/{id}",
                self.url, self.config.site_id
            ))
            .bearer_auth(&self.config.v2_secret)
            .header("Content-Type", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Polls the v2 status until it is neither created nor processing.
    pub async fn wait_final(&self, id: &str) -> Value {
        for _ in 0..200 {
            let v = self.v2_get_media(id).await;
            if v["status"] != "processing" && v["status"] != "created" {
                return v;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("media {id} never finished processing");
    }
}

/// Upload URL from a link object, built exactly as the docs say.
pub fn link_url(link: &Value, extra: &str) -> String {
    let mut url = format!(
        "{}://{}{}",
        link["protocol"].as_str().unwrap(),
        link["address"].as_str().unwrap(),
        link["path"].as_str().unwrap()
    );
    let q = link["query"].as_object().unwrap();
    let mut parts: Vec<String> = Vec::new();
    if !extra.is_empty() {
        parts.push(extra.to_string());
    }
    for (k, v) in q {
        let v = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        parts.push(format!("{k}={}", enc(&v)));
    }
    url.push('?');
    url.push_str(&parts.join("&"));
    url
}

pub fn enc(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

fn rand_nonce() -> u32 {
    use rand::Rng;
    rand::thread_rng().gen_range(0..100_000_000)
}
