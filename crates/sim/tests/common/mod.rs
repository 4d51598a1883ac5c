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

    /// The fault rules with their `seen` and `fired` counters (`GET /_sim/faults`).
    pub async fn fault_rules(&self) -> Value {
        let url = format!("{}/_sim/faults", self.url);
        let r = self.http.get(url).send().await.unwrap();
        r.json().await.unwrap()
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

/// The S3 upload URL from a link object, concatenated exactly as the S3 doc does.
pub fn s3_url(link: &Value) -> String {
    format!(
        "{}://{}{}?AWSAccessKeyId={}&Expires={}&Signature={}",
        link["protocol"].as_str().unwrap(),
        link["address"].as_str().unwrap(),
        link["path"].as_str().unwrap(),
        link["query"]["AWSAccessKeyId"].as_str().unwrap(),
        link["query"]["Expires"],
        enc(link["query"]["Signature"].as_str().unwrap())
    )
}

/// A multipart/form-data body with the given (field name, filename?, content) parts:
/// returns (Content-Type, body).
pub fn form_body(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----jwsimboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, file, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The Part URLs of a parts list (empty string for a part without one).
pub fn links(list: &Value) -> Vec<String> {
    list["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["upload_link"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Asserts an S3-style XML error: the status and `<Code>{code}</Code>` in the body.
pub async fn assert_s3_error(r: reqwest::Response, status: u16, code: &str) {
    assert_eq!(r.status().as_u16(), status);
    let body = r.text().await.unwrap();
    assert!(body.contains(&format!("<Code>{code}</Code>")), "{body}");
}

/// Asserts a v2 API error: the status and `errors[0].code`; returns the JSON reply.
pub async fn assert_v2_error(r: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["errors"][0]["code"], code, "{e}");
    e
}

/// Opens a raw TCP connection to the sim and writes a request head for `url`'s path
/// (`extra_headers` are whole `Name: value\r\n` lines).
pub async fn raw_head(
    sim: &Sim,
    method: &str,
    url: &str,
    extra_headers: &str,
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let path = url.split_once(&sim.server.addr.to_string()).unwrap().1;
    let mut s = tokio::net::TcpStream::connect(sim.server.addr)
        .await
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\n{extra_headers}\r\n",
        sim.server.addr
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

impl Sim {
    /// PUT `body` to `url` (an S3 link or a Part URL), as `curl -XPUT --data-binary`.
    pub async fn put(&self, url: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.http.put(url).body(body).send().await.unwrap()
    }

    /// POST with no body (a signed v1 URL).
    pub async fn post(&self, url: &str) -> reqwest::Response {
        self.http.post(url).send().await.unwrap()
    }

    /// POST a form body with its Content-Type.
    pub async fn post_form(
        &self,
        url: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.http
            .post(url)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// A form upload of `parts` (see [`form_body`]) to `url`.
    pub async fn form_upload(
        &self,
        url: &str,
        parts: &[(&str, Option<&str>, &[u8])],
    ) -> reqwest::Response {
        let (ct, body) = form_body(parts);
        self.post_form(url, &ct, body).await
    }

    /// One resumable chunk, with the headers the resumable doc lists.
    pub async fn resumable_chunk(
        &self,
        url: &str,
        session: &str,
        range: &str,
        data: &[u8],
    ) -> reqwest::Response {
        self.http
            .post(url)
            .header("Content-Disposition", "attachment; filename=\"video.mpeg\"")
            .header("Content-Type", "application/octet-stream")
            .header("X-Content-Range", range)
            .header("X-Session-ID", session)
            .body(data.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// `videos/create` for S3: returns (upload URL, media key).
    pub async fn s3_link(&self) -> (String, String) {
        let v = self.create_video(Some("s3")).await;
        (
            s3_url(&v["link"]),
            v["media"]["key"].as_str().unwrap().to_string(),
        )
    }

    /// `/v2/sites/{site_id}/media`.
    pub fn v2_media_url(&self) -> String {
        format!("{}/v2/sites/{}/media", self.url, self.config.site_id)
    }

    /// POST /v2/sites/{site_id}/media with the v2 secret and a JSON `body`.
    pub async fn v2_create(&self, body: Value) -> reqwest::Response {
        self.http
            .post(self.v2_media_url())
            .bearer_auth(&self.config.v2_secret)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A multipart upload created as the doc's curl does; asserts 200, returns the reply.
    pub async fn create_multipart(&self) -> Value {
        let r = self
            .http
            .post(self.v2_media_url())
            .bearer_auth(&self.config.v2_secret)
            .header("Content-Type", "application/json")
            .body(r#"{ "upload": { "method": "multipart" }, "metadata": {"title": "My Multipart Upload Video"} }"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// An upload API call, `/{ver}/uploads/{upload_id}/{rest}`, with the upload's token.
    async fn upload_call(
        &self,
        method: reqwest::Method,
        ver: &str,
        m: &Value,
        rest: &str,
    ) -> reqwest::Response {
        self.http
            .request(
                method,
                format!(
                    "{}/{ver}/uploads/{}/{rest}",
                    self.url,
                    m["upload_id"].as_str().unwrap()
                ),
            )
            .bearer_auth(m["upload_token"].as_str().unwrap())
            .header("Content-Type", "application/json")
            .send()
            .await
            .unwrap()
    }

    /// GET a page of a multipart upload's parts with its upload token.
    pub async fn parts(&self, m: &Value, page: u64, len: u64) -> reqwest::Response {
        let rest = format!("parts?page={page}&page_length={len}");
        self.upload_call(reqwest::Method::GET, "v2", m, &rest).await
    }

    /// A page of parts as JSON.
    pub async fn list_parts(&self, m: &Value, page: u64, len: u64) -> Value {
        self.parts(m, page, len).await.json().await.unwrap()
    }

    /// PUT /v{1,2}/uploads/{upload_id}/complete with the upload token.
    pub async fn complete(&self, m: &Value, v1_path: bool) -> reqwest::Response {
        let ver = if v1_path { "v1" } else { "v2" };
        self.upload_call(reqwest::Method::PUT, ver, m, "complete")
            .await
    }
}

/// Asserts a v1-style JSON error: the status and `code`; returns the JSON reply.
pub async fn assert_v1_error(r: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["code"], code, "{e}");
    e
}
