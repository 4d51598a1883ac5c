//! v1 management API: `videos/create|update`, thumbnails, tracks, images and skins; signed calls,
//! replies with upload links (s3, form, resumable) or fetch uploads, JSON or XML.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::error::{reply, v1_body, AppError, Format};
use crate::state::{AppState, Asset, Phase, Resource, S3_ACCESS_KEY_ID, S3_BUCKET};
use crate::util::{get, parse_pairs, random_hex, random_key};

/// Parameters that are protocol, not metadata.
const RESERVED: &[&str] = &[
    "api_key",
    "api_nonce",
    "api_timestamp",
    "api_signature",
    "api_format",
    "api_kit",
    "upload_method",
    "download_url",
    "video_key",
    "image_key",
    "skin_key",
    "track_key",
];

/// Any `/v1/...` call that is not an upload endpoint.
pub async fn call(
    State(state): State<AppState>,
    Path(call): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut signed = parse_pairs(uri.query().unwrap_or_default());
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut unsigned = Vec::new();
    if ctype.starts_with("application/x-www-form-urlencoded") {
        signed.extend(parse_pairs(&String::from_utf8_lossy(&body)));
    } else if ctype.starts_with("application/json") && !body.is_empty() {
        let v: Value = serde_json::from_slice(&body).map_err(|e| {
            let key = get(&signed, "api_key").unwrap_or_default();
            let (block, _, _) = crate::auth::rate_limit(&state, key, false);
            AppError::v1(
                StatusCode::BAD_REQUEST,
                "ParameterEncoding",
                format!("Invalid JSON body: {e}"),
            )
            .in_format(Format::parse(get(&signed, "api_format")))
            .with_rate_limit(block)
        })?;
        if let Value::Object(m) = v {
            for (k, v) in m {
                let s = match v {
                    Value::String(s) => s,
                    Value::Null => continue,
                    other => other.to_string(),
                };
                unsigned.push((k, s));
            }
        }
    }
    let format = Format::parse(get(&signed, "api_format").or(get(&unsigned, "api_format")));
    let rate = crate::auth::check_v1(&state, &signed, format)?;
    let mut params = signed;
    params.extend(unsigned);
    let ctx = Ctx {
        state: &state,
        params: &params,
        rate: &rate,
        format,
    };
    let result = match call.trim_end_matches('/') {
        "videos/create" => ctx.video(None),
        "videos/update" => ctx.video(Some(ctx.required("video_key")?)),
        "videos/thumbnails/update" => ctx.thumbnail(),
        "videos/tracks/create" => ctx.track(),
        "accounts/images/create" => ctx.other(Resource::Image, None),
        "accounts/images/update" => ctx.other(Resource::Image, Some(ctx.required("image_key")?)),
        "accounts/skins/create" => ctx.other(Resource::Skin, None),
        "accounts/skins/update" => ctx.other(Resource::Skin, Some(ctx.required("skin_key")?)),
        other => Err(AppError::v1(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("Unknown API call /v1/{other}."),
        )),
    };
    result.map_err(|e| e.in_format(format).with_rate_limit(rate.clone()))
}

struct Ctx<'a> {
    state: &'a AppState,
    params: &'a [(String, String)],
    rate: &'a Value,
    format: Format,
}

/// Fresh asset with new upload key, token and session.
fn new_asset(
    state: &AppState,
    resource: Resource,
    key: String,
    method: &str,
    metadata: Value,
) -> Asset {
    let now = state.clock.now_secs();
    let cfg = state.config();
    Asset {
        resource,
        key,
        upload_key: random_key(8),
        token: random_hex(40),
        token_expires: now + cfg.form_token_ttl_secs,
        session_id: random_key(40),
        method: method.to_string(),
        s3_expires: now + cfg.s3_link_ttl_secs,
        metadata,
        created: now,
        file: None,
        phase: Phase::Created,
        session: None,
        upload_id: None,
    }
}

/// Gives an existing asset fresh credentials; a finished asset starts a new upload.
fn renew(state: &AppState, a: &mut Asset, method: &str) {
    let now = state.clock.now_secs();
    let cfg = state.config();
    let finished = !matches!(a.phase, Phase::Created);
    if finished {
        a.file = None;
        a.phase = Phase::Created;
        a.session = None;
        a.session_id = random_key(40);
    }
    a.token = random_hex(40);
    a.token_expires = now + cfg.form_token_ttl_secs;
    a.s3_expires = now + cfg.s3_link_ttl_secs;
    a.method = method.to_string();
}

impl Ctx<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        get(self.params, name).filter(|v| !v.is_empty())
    }

    fn required(&self, name: &str) -> Result<String, AppError> {
        self.param(name).map(str::to_string).ok_or_else(|| {
            AppError::v1(
                StatusCode::BAD_REQUEST,
                "ParameterMissing",
                format!("Missing parameter {name}."),
            )
        })
    }

    fn metadata(&self) -> Value {
        let m: Map<String, Value> = self
            .params
            .iter()
            .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        Value::Object(m)
    }

    fn not_found(&self, what: &str, key: &str) -> AppError {
        AppError::v1(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("No {what} with key {key}."),
        )
    }

    /// Stores the asset (new or renewed) and returns a copy.
    fn upsert(
        &self,
        resource: Resource,
        key: Option<String>,
        method: &str,
        lookup: Option<&str>,
    ) -> Result<Asset, AppError> {
        let mut db = self.state.db();
        if let Some(k) = lookup {
            let upload_key = db
                .by_key
                .get(&(resource, k.to_string()))
                .cloned()
                .ok_or_else(|| self.not_found(resource.object_name(), k))?;
            let old_token = db.assets.get(&upload_key).map(|a| a.token.clone());
            let a = db
                .assets
                .get_mut(&upload_key)
                .ok_or_else(|| self.not_found(resource.object_name(), k))?;
            renew(self.state, a, method);
            let a = a.clone();
            if let Some(t) = old_token {
                db.by_token.remove(&t);
            }
            db.by_token.insert(a.token.clone(), a.upload_key.clone());
            db.by_session
                .insert(a.session_id.clone(), a.upload_key.clone());
            return Ok(a);
        }
        let key = key.unwrap_or_else(|| random_key(8));
        let a = new_asset(self.state, resource, key, method, self.metadata());
        db.insert(a.clone());
        Ok(a)
    }

    fn video(&self, update: Option<String>) -> Result<Response, AppError> {
        if let Some(url) = self.param("download_url") {
            let a = self.upsert(Resource::Video, None, "fetch", update.as_deref())?;
            crate::media::start_fetch(self.state, a.upload_key.clone(), url.to_string());
            let v =
                json!({"status":"ok","media":{"type":"video","key":a.key},"rate_limit":self.rate});
            let x = json!({"status":"ok","video":{"key":a.key},"rate_limit":self.rate});
            return Ok(self.reply(v, x));
        }
        let method = match self.param("upload_method") {
            // `single` and `multipart` are the names the official Python client's examples use
            // for the form upload and for the chunked `X-Session-ID` protocol.
            None | Some("form" | "single") => "form",
            Some("s3") => "s3",
            Some("resumable" | "multipart") => "resumable",
            Some(other) => {
                return Err(AppError::v1(
                    StatusCode::BAD_REQUEST,
                    "ParameterInvalid",
                    format!("Unknown upload_method {other}."),
                ))
            }
        };
        let a = self.upsert(Resource::Video, None, method, update.as_deref())?;
        let addr = self.state.link_address();
        let (link, session) = match method {
            "s3" => {
                let sig = crate::s3::sign(&self.state.s3_secret(), "", "", a.s3_expires, &a.key);
                let link = json!({"protocol":"http","address":addr,"path":format!("/{S3_BUCKET}/{}", a.key),
                    "query":{"AWSAccessKeyId":S3_ACCESS_KEY_ID,"Expires":a.s3_expires,"Signature":sig}});
                (link, None)
            }
            "resumable" => (
                json!({"protocol":"http","address":addr,"path":"/v1/videos/upload/resumable",
                    "query":{"key":a.upload_key,"token":a.token}}),
                Some(a.session_id.clone()),
            ),
            _ => (self.form_link(&a), Some(a.session_id.clone())),
        };
        Ok(self.link_reply("video", &a, link, session, Some("video")))
    }

    fn form_link(&self, a: &Asset) -> Value {
        json!({"protocol":"http","address":self.state.link_address(),"path":a.resource.upload_path(),
            "query":{"key":a.upload_key,"token":a.token}})
    }

    /// `{"status":"ok","media"|name:{...},"link":..,"session_id"?:..,"rate_limit":..}` (+ XML form).
    fn link_reply(
        &self,
        name: &str,
        a: &Asset,
        link: Value,
        session: Option<String>,
        media_type: Option<&str>,
    ) -> Response {
        let mut v = Map::new();
        v.insert("status".into(), json!("ok"));
        match media_type {
            Some(t) => v.insert("media".into(), json!({"type":t,"key":a.key})),
            None => v.insert(name.into(), json!({"key":a.key})),
        };
        v.insert("link".into(), link.clone());
        if let Some(s) = &session {
            v.insert("session_id".into(), json!(s));
        }
        v.insert("rate_limit".into(), self.rate.clone());
        let mut inner = Map::new();
        inner.insert("key".into(), json!(a.key));
        inner.insert("link".into(), link);
        if let Some(s) = session {
            inner.insert("session_id".into(), json!(s));
        }
        let x = json!({"status":"ok", name: Value::Object(inner), "rate_limit": self.rate});
        self.reply(Value::Object(v), x)
    }

    fn reply(&self, json_value: Value, xml_value: Value) -> Response {
        let value = match self.format {
            Format::Json => json_value,
            Format::Xml => xml_value,
        };
        let (ct, body) = v1_body(&value, self.format);
        reply(StatusCode::OK, ct, body, None).into_response()
    }

    fn video_exists(&self, key: &str) -> Result<(), AppError> {
        match self.state.db().asset_by_key(Resource::Video, key) {
            Some(_) => Ok(()),
            None => Err(self.not_found("video", key)),
        }
    }

    fn thumbnail(&self) -> Result<Response, AppError> {
        let video = self.required("video_key")?;
        self.video_exists(&video)?;
        let exists = self
            .state
            .db()
            .asset_by_key(Resource::Thumbnail, &video)
            .is_some();
        let lookup = exists.then_some(video.as_str());
        let a = self.upsert(Resource::Thumbnail, Some(video.clone()), "form", lookup)?;
        let link = self.form_link(&a);
        Ok(self.link_reply("thumbnail", &a, link, None, None))
    }

    fn track(&self) -> Result<Response, AppError> {
        let video = self.required("video_key")?;
        self.video_exists(&video)?;
        let a = self.upsert(Resource::Track, None, "form", None)?;
        let link = self.form_link(&a);
        Ok(self.link_reply("track", &a, link, None, None))
    }

    fn other(&self, resource: Resource, update: Option<String>) -> Result<Response, AppError> {
        let a = self.upsert(resource, None, "form", update.as_deref())?;
        let link = self.form_link(&a);
        Ok(self.link_reply(resource.object_name(), &a, link, None, None))
    }
}
