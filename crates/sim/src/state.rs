//! Shared simulator state: assets (media, images, ...), sessions, uploads, rate limits.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use serde_json::Value;

use crate::clock::Clock;
use crate::config::Config;
use crate::faults::Faults;
use crate::ranges::RangeSet;
use crate::records::{Log, Progress};

/// S3 access key id the sim signs links with.
pub const S3_ACCESS_KEY_ID: &str = "SIMAKIA0000000000000";
/// S3 bucket of the pre-signed links.
pub const S3_BUCKET: &str = "jwplatform-upload";
/// 5 MiB: minimum size of every multipart part but the last.
pub const MIN_PART: u64 = 5 * 1024 * 1024;
/// Highest part number.
pub const MAX_PARTS: u32 = 10_000;
/// 5 GiB: an S3 single PUT must be smaller ("less than 5GB"; the core's `S3_LIMIT`).
pub const MAX_S3_OBJECT: u64 = 5 * 1024 * 1024 * 1024;

/// What kind of object an asset is (the v1 resources).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    /// `videos` (v1 and v2 media).
    Video,
    /// `videos/thumbnails`.
    Thumbnail,
    /// `videos/tracks`.
    Track,
    /// `accounts/images`.
    Image,
    /// `accounts/skins`.
    Skin,
}

impl Resource {
    /// Object name in replies (`"video": {...}`).
    pub fn object_name(self) -> &'static str {
        match self {
            Resource::Video => "video",
            Resource::Thumbnail => "thumbnail",
            Resource::Track => "track",
            Resource::Image => "image",
            Resource::Skin => "skin",
        }
    }

    /// Name of the object's key parameter (`video_key`, `track_key`, ...; thumbnails use the
    /// video's).
    pub fn key_param(self) -> &'static str {
        match self {
            Resource::Video | Resource::Thumbnail => "video_key",
            Resource::Track => "track_key",
            Resource::Image => "image_key",
            Resource::Skin => "skin_key",
        }
    }

    /// Form upload path.
    pub fn upload_path(self) -> &'static str {
        match self {
            Resource::Video => "/v1/videos/upload",
            Resource::Thumbnail => "/v1/videos/thumbnails/upload",
            Resource::Track => "/v1/videos/tracks/upload",
            Resource::Image => "/v1/accounts/images/upload",
            Resource::Skin => "/v1/accounts/skins/upload",
        }
    }

    /// The resource a form upload path belongs to.
    pub fn from_upload_path(path: &str) -> Option<Resource> {
        [
            Resource::Video,
            Resource::Thumbnail,
            Resource::Track,
            Resource::Image,
            Resource::Skin,
        ]
        .into_iter()
        .find(|r| r.upload_path() == path)
    }
}

/// Bytes of a finished upload (several files for multipart, concatenated in order).
#[derive(Clone, Debug)]
pub struct StoredFile {
    /// Files whose concatenation is the upload.
    pub paths: Vec<PathBuf>,
    /// Total size.
    pub size: u64,
    /// MD5 hex of the concatenation.
    pub md5: String,
    /// MP4 duration when the sim could parse it.
    pub duration: Option<f64>,
}

/// Lifecycle of an asset's bytes.
#[derive(Clone, Debug)]
pub enum Phase {
    /// Waiting for bytes.
    Created,
    /// Bytes all in at `at_ms`; `fail` says why processing will fail.
    Complete { at_ms: u64, fail: Option<String> },
    /// Failed before processing (fetch error).
    Failed(String),
}

/// A resumable upload session.
#[derive(Clone, Debug)]
pub struct Session {
    /// Declared total size.
    pub total: u64,
    /// Bytes received so far.
    pub ranges: RangeSet,
    /// Sparse file the chunks are written into.
    pub path: PathBuf,
}

/// One uploadable object: a video/media, thumbnail, track, image or skin.
#[derive(Clone, Debug)]
pub struct Asset {
    /// Kind of object.
    pub resource: Resource,
    /// Object key (media id).
    pub key: String,
    /// `link.query.key`: the upload key (distinct from the media key, as in the docs).
    pub upload_key: String,
    /// Form upload token.
    pub token: String,
    /// Token expiry (sim secs).
    pub token_expires: u64,
    /// Resumable session id.
    pub session_id: String,
    /// Upload method: s3, form, resumable, multipart, fetch (v1), direct (v2).
    pub method: String,
    /// S3 link expiry (sim secs).
    pub s3_expires: u64,
    /// Metadata given at creation (title, ...).
    pub metadata: Value,
    /// Creation time (sim secs).
    pub created: u64,
    /// Stored bytes once complete.
    pub file: Option<StoredFile>,
    /// Processing phase.
    pub phase: Phase,
    /// Resumable session state, once the first chunk arrived.
    pub session: Option<Session>,
    /// v2 multipart upload id.
    pub upload_id: Option<String>,
}

/// One stored multipart part.
#[derive(Clone, Debug)]
pub struct PartInfo {
    /// Size in bytes.
    pub size: u64,
    /// MD5 hex.
    pub md5: String,
    /// File holding it.
    pub path: PathBuf,
}

/// A v2 multipart upload.
#[derive(Clone, Debug)]
pub struct Upload {
    /// The media (asset upload key) it fills.
    pub asset: String,
    /// Parts stored so far.
    pub parts: BTreeMap<u32, PartInfo>,
    /// Completed (idempotent complete).
    pub completed: bool,
    /// Parts whose links an `expire` fault made stale: refused, as an expired S3 link stays
    /// refused, until a listing issues the part fresh links.
    pub stale_links: BTreeSet<u32>,
}

/// Everything mutable, behind one mutex (never held across an await).
#[derive(Default, Debug)]
pub struct Db {
    /// Assets by upload key.
    pub assets: HashMap<String, Asset>,
    /// (resource, object key) -> upload key.
    pub by_key: HashMap<(Resource, String), String>,
    /// form token -> upload key.
    pub by_token: HashMap<String, String>,
    /// resumable session id -> upload key.
    pub by_session: HashMap<String, String>,
    /// multipart uploads by id.
    pub uploads: HashMap<String, Upload>,
    /// upload token -> (upload id, expiry secs).
    pub upload_tokens: HashMap<String, (String, u64)>,
    /// v1 rate limit: key -> (window start secs, count).
    pub rate: HashMap<String, (u64, u32)>,
    /// form token -> progress.
    pub progress: HashMap<String, Arc<Progress>>,
}

impl Db {
    /// Asset by object key, for a resource.
    pub fn asset_by_key(&self, resource: Resource, key: &str) -> Option<&Asset> {
        self.by_key
            .get(&(resource, key.to_string()))
            .and_then(|u| self.assets.get(u))
    }

    /// Inserts an asset and its indexes.
    pub fn insert(&mut self, asset: Asset) {
        self.by_key.insert(
            (asset.resource, asset.key.clone()),
            asset.upload_key.clone(),
        );
        self.by_token
            .insert(asset.token.clone(), asset.upload_key.clone());
        self.by_session
            .insert(asset.session_id.clone(), asset.upload_key.clone());
        self.assets.insert(asset.upload_key.clone(), asset);
    }
}

/// Cheaply clonable handle to the simulator state.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The shared state behind [`AppState`].
pub struct Inner {
    config: Config,
    /// Sim clock.
    pub clock: Clock,
    db: Mutex<Db>,
    /// Request log.
    pub log: Log,
    /// Fault rules.
    pub faults: Faults,
    bound: OnceLock<SocketAddr>,
    /// HTTP client for fetch uploads.
    pub http: reqwest::Client,
    /// Server start (log `at_ms` is relative to it).
    pub started: Instant,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Fresh state for `config`.
    pub fn new(config: Config) -> AppState {
        AppState(Arc::new(Inner {
            config,
            clock: Clock::default(),
            db: Mutex::new(Db::default()),
            log: Log::default(),
            faults: Faults::default(),
            bound: OnceLock::new(),
            http: reqwest::Client::new(),
            started: Instant::now(),
        }))
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// Records the address actually bound (for `link.address`).
    pub fn set_bound(&self, addr: SocketAddr) {
        let _ = self.0.bound.set(addr);
    }

    /// `link.address`: the public address, else the bound `host:port` (loopback for 0.0.0.0).
    pub fn link_address(&self) -> String {
        if let Some(a) = &self.0.config.public_address {
            return a.clone();
        }
        let mut addr = self.0.bound.get().copied().unwrap_or(self.0.config.listen);
        if addr.ip().is_unspecified() {
            // Listening on 0.0.0.0 or [::]: browsers reach it on loopback.
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        addr.to_string()
    }

    /// Locks the database (poisoning is ignored: the data stays usable).
    pub fn db(&self) -> MutexGuard<'_, Db> {
        self.0.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Directory for uploaded files (created on demand).
    pub fn files_dir(&self) -> PathBuf {
        self.0.config.data_dir.join("files")
    }

    /// Directory for multipart parts of `upload_id`.
    pub fn parts_dir(&self, upload_id: &str) -> PathBuf {
        self.0.config.data_dir.join("parts").join(upload_id)
    }

    /// S3 signing secret (derived from the v1 secret).
    pub fn s3_secret(&self) -> String {
        format!("s3:{}", self.0.config.api_secret)
    }
}
