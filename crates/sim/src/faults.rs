//! Fault rules: what `/_sim/faults` sets, matched per target (nth, seeded probability, times);
//! `inject.rs` applies them.

use std::sync::{Arc, Mutex};

use axum::http::Method;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::uplink::Uplink;

/// What a rule does to a matching request.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer `status` (after reading `after_bytes`), with an optional `Retry-After`.
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<Value>,
        #[serde(default)]
        after_bytes: u64,
    },
    /// Wait before handling.
    Delay { ms: u64 },
    /// Read the body no faster than this: each request on its own, or with `shared` all the
    /// bodies this rule matches together (one uplink).
    Bandwidth {
        bytes_per_sec: u64,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        shared: bool,
    },
    /// Read `after_bytes`, then RST.
    Reset {
        #[serde(default)]
        after_bytes: u64,
    },
    /// Read `after_bytes`, then FIN without a reply.
    Close {
        #[serde(default)]
        after_bytes: u64,
    },
    /// Read `after_bytes`, then stop reading for `ms` (default: forever).
    Stall {
        #[serde(default)]
        after_bytes: u64,
        #[serde(default)]
        ms: Option<u64>,
    },
    /// Treat the link or token as expired.
    Expire,
    /// Store the body, then drop the connection without a reply.
    LoseReply,
    /// (resumable) discard the chunk, answer truthfully.
    DropBody,
    /// (resumable) store the chunk, answer the `Range` of before it.
    StaleRange,
    /// (part, s3) answer an `ETag` that is not the MD5.
    WrongEtag,
}

impl Fault {
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Status { .. } => "status",
            Fault::Delay { .. } => "delay",
            Fault::Bandwidth { .. } => "bandwidth",
            Fault::Reset { .. } => "reset",
            Fault::Close { .. } => "close",
            Fault::Stall { .. } => "stall",
            Fault::Expire => "expire",
            Fault::LoseReply => "lose_reply",
            Fault::DropBody => "drop_body",
            Fault::StaleRange => "stale_range",
            Fault::WrongEtag => "wrong_etag",
        }
    }

    pub fn after_bytes(&self) -> Option<u64> {
        match self {
            Fault::Status { after_bytes, .. }
            | Fault::Reset { after_bytes }
            | Fault::Close { after_bytes }
            | Fault::Stall { after_bytes, .. } => Some(*after_bytes),
            _ => None,
        }
    }
}

/// One rule as posted to `/_sim/faults`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Rule {
    /// s3, form, resumable, part, parts_list, complete, v1_api, v2_api, progress, media, any.
    pub target: String,
    /// Fire from the n-th matching request on (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u64>,
    /// Fire with this probability (seeded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Fire at most this often (default 1 with `nth`, unlimited with `probability`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// The fault.
    pub fault: Fault,
}

/// Body of `POST /_sim/faults`.
#[derive(Debug, Deserialize)]
pub struct RuleSet {
    /// Rules, all evaluated for every request.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// RNG seed for probabilities.
    #[serde(default)]
    pub seed: u64,
}

struct Armed {
    rule: Rule,
    seen: u64,
    fired: u64,
    /// The rule's one link, for a shared `bandwidth`.
    uplink: Option<Arc<Uplink>>,
}

/// What fired for one request: the faults, and the shared links its body passes through.
#[derive(Debug, Default)]
pub struct Picked {
    pub faults: Vec<Fault>,
    pub uplinks: Vec<Arc<Uplink>>,
}

struct Inner {
    rules: Vec<Armed>,
    rng: StdRng,
    seed: u64,
}

/// The active fault rules and their counters.
pub struct Faults(Mutex<Inner>);

impl Default for Faults {
    fn default() -> Self {
        Faults(Mutex::new(Inner {
            rules: Vec::new(),
            rng: StdRng::seed_from_u64(0),
            seed: 0,
        }))
    }
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the rules.
    pub fn set(&self, set: RuleSet) {
        let mut g = self.lock();
        g.rules = set
            .rules
            .into_iter()
            .map(|rule| {
                let uplink = match rule.fault {
                    Fault::Bandwidth {
                        bytes_per_sec,
                        shared: true,
                    } => Some(Arc::new(Uplink::new(bytes_per_sec))),
                    _ => None,
                };
                Armed {
                    rule,
                    seen: 0,
                    fired: 0,
                    uplink,
                }
            })
            .collect();
        g.rng = StdRng::seed_from_u64(set.seed);
        g.seed = set.seed;
    }

    /// Rules with their counters.
    pub fn snapshot(&self) -> Value {
        let g = self.lock();
        let rules: Vec<Value> = g
            .rules
            .iter()
            .map(|a| json!({"rule": a.rule, "seen": a.seen, "fired": a.fired}))
            .collect();
        json!({"seed": g.seed, "rules": rules})
    }

    /// Faults firing for one request to `target`.
    pub fn pick(&self, target: &str) -> Picked {
        let mut g = self.lock();
        let Inner { rules, rng, .. } = &mut *g;
        let mut out = Picked::default();
        for a in rules.iter_mut() {
            if a.rule.target != target && a.rule.target != "any" {
                continue;
            }
            a.seen += 1;
            let fire = match (a.rule.probability, a.rule.nth) {
                (Some(p), _) => {
                    let limit = a.rule.times.unwrap_or(u64::MAX);
                    a.fired < limit
                        && a.seen >= a.rule.nth.unwrap_or(1)
                        && rng.gen_bool(p.clamp(0.0, 1.0))
                }
                (None, nth) => {
                    let limit = a.rule.times.unwrap_or(1);
                    a.fired < limit && a.seen >= nth.unwrap_or(1)
                }
            };
            if fire {
                a.fired += 1;
                out.faults.push(a.rule.fault.clone());
                out.uplinks.extend(a.uplink.clone());
            }
        }
        out
    }
}

/// Per-request flags a handler honours (set by the middleware).
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// Treat link/token as expired.
    pub expire: bool,
    /// Discard the resumable chunk.
    pub drop_body: bool,
    /// Answer the resumable `Range` of before the chunk.
    pub stale_range: bool,
    /// Answer a wrong `ETag`.
    pub wrong_etag: bool,
}

/// The fault target of a request.
pub fn classify(method: &Method, path: &str) -> &'static str {
    if path.starts_with("/_sim/") {
        return "admin";
    }
    if method == Method::OPTIONS {
        return "preflight";
    }
    // `/v2/.../` (the official client's form) is the same target as without the `/`.
    let trimmed = path.trim_start_matches('/');
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    let seg: Vec<&str> = trimmed.split('/').collect();
    match seg.as_slice() {
        ["v1", "videos", "upload", "resumable"] => "resumable",
        ["v1", .., "upload"] => "form",
        ["v1" | "v2", "uploads", _, "complete"] => "complete",
        ["v2", "uploads", _, "parts"] => "parts_list",
        ["v2", "uploads", _, "parts", _] => "part",
        ["v1", ..] => "v1_api",
        ["v2", "sites", _, "media", _] => "media",
        ["v2", ..] => "v2_api",
        ["progress"] => "progress",
        [_, _] if method == Method::PUT => "s3",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_targets() {
        let put = Method::PUT;
        let post = Method::POST;
        assert_eq!(classify(&post, "/v1/videos/upload/resumable"), "resumable");
        assert_eq!(classify(&post, "/v1/accounts/images/upload"), "form");
        assert_eq!(classify(&post, "/v1/videos/create"), "v1_api");
        assert_eq!(classify(&put, "/v1/uploads/x/complete"), "complete");
        assert_eq!(classify(&put, "/v2/uploads/x/parts/3"), "part");
        assert_eq!(classify(&Method::GET, "/v2/uploads/x/parts"), "parts_list");
        assert_eq!(classify(&post, "/v2/sites/s/media"), "v2_api");
        assert_eq!(classify(&Method::GET, "/v2/sites/s/media/m"), "media");
        assert_eq!(classify(&post, "/v2/sites/s/media/"), "v2_api");
        assert_eq!(classify(&Method::GET, "/v2/sites/s/media/m/"), "media");
        assert_eq!(classify(&Method::GET, "/v2/uploads/x/parts/"), "parts_list");
        assert_eq!(classify(&put, "/v2/uploads/x/complete/"), "complete");
        assert_eq!(classify(&put, "/jwplatform-upload/k"), "s3");
    }

    #[test]
    fn nth_and_times() {
        let f = Faults::default();
        f.set(RuleSet {
            rules: vec![Rule {
                target: "s3".into(),
                nth: Some(2),
                probability: None,
                times: Some(2),
                fault: Fault::Expire,
            }],
            seed: 1,
        });
        let fired: Vec<bool> = (0..5).map(|_| !f.pick("s3").faults.is_empty()).collect();
        assert_eq!(fired, vec![false, true, true, false, false]);
        assert!(f.pick("form").faults.is_empty());
    }
}
