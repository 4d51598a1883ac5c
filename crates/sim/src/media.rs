//! Media lifecycle: completing an upload (MD5, duration, 2-second rule), status views (v2 and
//! admin), and fetch uploads that the sim downloads itself from loopback hosts.

use std::path::PathBuf;

use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::state::{AppState, Asset, Phase, Resource, StoredFile};

/// Marks the asset's bytes as all in; processing starts now.
pub async fn finish(
    state: &AppState,
    upload_key: &str,
    paths: Vec<PathBuf>,
    size: u64,
    md5: String,
) {
    let is_video = state
        .db()
        .assets
        .get(upload_key)
        .is_some_and(|a| a.resource == Resource::Video);
    let duration = if size > 0 {
        crate::store::probe_duration(paths.clone()).await
    } else {
        None
    };
    let fail = if !is_video {
        None
    } else if size == 0 {
        Some("The uploaded file is empty.".to_string())
    } else if duration.is_some_and(|d| d < 2.0) {
        Some("The video is shorter than the minimum duration of 2 seconds.".to_string())
    } else {
        None
    };
    let at_ms = state.clock.now_ms();
    tracing::info!(
        "upload {upload_key} complete: {size} bytes, md5 {md5}{}",
        fail.as_deref()
            .map(|f| format!(", will fail: {f}"))
            .unwrap_or_default()
    );
    if let Some(a) = state.db().assets.get_mut(upload_key) {
        a.file = Some(StoredFile {
            paths,
            size,
            md5,
            duration,
        });
        a.phase = Phase::Complete { at_ms, fail };
    }
}

/// Marks the asset failed (fetch errors).
pub fn fail(state: &AppState, upload_key: &str, message: String) {
    tracing::info!("media {upload_key} failed: {message}");
    if let Some(a) = state.db().assets.get_mut(upload_key) {
        a.phase = Phase::Failed(message);
    }
}

/// Status and error message at `now_ms`.
pub fn status_of(a: &Asset, now_ms: u64, processing_ms: u64) -> (&'static str, Option<String>) {
    match &a.phase {
        // The platform is downloading a fetch: `processing` from the create reply on.
        Phase::Created if a.method == "fetch" => ("processing", None),
        Phase::Created => ("created", None),
        Phase::Failed(m) => ("failed", Some(m.clone())),
        Phase::Complete { at_ms, fail } => {
            if now_ms < at_ms.saturating_add(processing_ms) {
                ("processing", None)
            } else if let Some(m) = fail {
                ("failed", Some(m.clone()))
            } else {
                ("ready", None)
            }
        }
    }
}

/// The v2 media reply.
pub fn v2_view(state: &AppState, a: &Asset) -> Value {
    let (status, err) = status_of(a, state.clock.now_ms(), state.config().processing_ms);
    let f = a.file.as_ref();
    json!({
        "id": a.key, "type": "media", "status": status, "error_message": err,
        "duration": f.and_then(|f| f.duration),
        "size": f.map(|f| f.size), "md5": f.map(|f| f.md5.clone()),
        "metadata": a.metadata, "created": crate::util::rfc3339(a.created),
    })
}

/// `/_sim/media/{key}`: by media key, then upload key, then other resources' keys; also the
/// stored files, if any.
pub fn admin_view(
    state: &AppState,
    key: &str,
    resource: Option<Resource>,
) -> Option<(Value, Option<Vec<PathBuf>>)> {
    let db = state.db();
    // A thumbnail shares its video's key: `?resource=thumbnail` picks it.
    let a = resource
        .and_then(|r| db.asset_by_key(r, key))
        .or_else(|| db.asset_by_key(Resource::Video, key))
        .or_else(|| db.assets.get(key))
        .or_else(|| {
            [
                Resource::Track,
                Resource::Image,
                Resource::Skin,
                Resource::Thumbnail,
            ]
            .into_iter()
            .find_map(|r| db.asset_by_key(r, key))
        })?;
    let (status, err) = status_of(a, state.clock.now_ms(), state.config().processing_ms);
    let f = a.file.as_ref();
    let received = a.session.as_ref().map(|s| s.ranges.len());
    let view = json!({
        "key": a.key, "upload_key": a.upload_key, "resource": a.resource.object_name(),
        "size": f.map(|f| f.size), "md5": f.map(|f| f.md5.clone()),
        "status": status, "error_message": err, "method": a.method,
        "duration": f.and_then(|f| f.duration), "resumable_received": received,
        "metadata": a.metadata,
    });
    Some((view, f.map(|f| f.paths.clone())))
}

/// Whether the URL's host is loopback (the only hosts the sim fetches from).
fn loopback_host(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Starts a fetch upload: downloads `url` to disk in the background, then finishes or fails.
pub fn start_fetch(state: &AppState, upload_key: String, url: String) {
    let state = state.clone();
    tokio::spawn(async move {
        match fetch(&state, &upload_key, &url).await {
            Ok((path, size, md5)) => finish(&state, &upload_key, vec![path], size, md5).await,
            Err(m) => fail(&state, &upload_key, m),
        }
    });
}

/// The one failure text of a fetch upload: it never tells a closed port from a refused host
/// or an HTTP error (the details go to the simulator's log).
const FETCH_FAILED: &str = "The file could not be fetched from download_url.";

async fn fetch(
    state: &AppState,
    upload_key: &str,
    url: &str,
) -> Result<(PathBuf, u64, String), String> {
    let failed = |why: String| {
        tracing::info!(%why, "fetch upload failed");
        FETCH_FAILED.to_owned()
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| failed(format!("invalid URL: {e}")))?;
    // Loopback hosts only, and never the simulator itself (its /_sim admin endpoints).
    let own_port = state
        .link_address()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok());
    if !matches!(parsed.scheme(), "http" | "https")
        || !loopback_host(&parsed)
        || parsed.port_or_known_default() == own_port
    {
        return Err(failed(
            "not a loopback host, or the simulator itself".into(),
        ));
    }
    let resp = state
        .http
        .get(parsed)
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(failed(format!("HTTP {}", resp.status().as_u16())));
    }
    let path = state.files_dir().join(format!("{upload_key}.fetch"));
    let stream = resp.bytes_stream().boxed();
    let (size, md5) = crate::store::write_file(&path, stream, None, |_| {})
        .await
        .map_err(|e| failed(e.to_string()))?;
    Ok((path, size, md5))
}
