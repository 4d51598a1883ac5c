//! Fake v2 upload API: parts pages, signed part links, complete.
#![allow(clippy::unwrap_used)]

use super::{generic, status, Acks, Fault, Faults, Target, S3_EXPIRED};
use crate::harness::{Outcome, Server, Source};
use jw_upload_core::{Body, Millis, Request, RequestKind, Response};
use std::collections::BTreeMap;
use std::ops::Range;

pub struct MultipartServer {
    pub size: u64,
    pub token_epoch: u32,
    pub token_expired: bool,
    pub link_epoch: u32,
    pub parts: BTreeMap<u32, Range<u64>>,
    pub completed: Option<Vec<Range<u64>>>,
    pub faults: Faults,
    pub acks: Acks,
    pub upload_id: String,
    /// Refuse expired links by dropping the connection before reading the body (what a
    /// browser reports as a network error) instead of answering 403.
    pub drop_on_expired: bool,
    /// Links carry `Expires` (Unix seconds on the server's clock) this long after the listing,
    /// and are refused (as above) once it has passed.
    pub link_ttl_secs: Option<u64>,
    /// The server's wall clock: engine milliseconds plus this.
    pub wall_offset_ms: u64,
    /// Part PUTs refused because their link had expired.
    pub refused_expired: usize,
    /// The replies to a refused token, a refused part link and a complete with parts missing
    /// (status, body): tests swap in codes and messages the engine has never seen.
    pub words: Words,
}

/// What the server answers when it refuses (status, body).
pub struct Words {
    pub token_refused: (u16, String),
    pub link_refused: (u16, String),
    pub missing_parts: (u16, String),
}

impl Default for Words {
    fn default() -> Self {
        Words {
            token_refused: (401, TOKEN_EXPIRED.into()),
            link_refused: (403, S3_EXPIRED.into()),
            missing_parts: (
                400,
                r#"{"errors":[{"code":"missing_parts","description":"gap"}]}"#.into(),
            ),
        }
    }
}

impl MultipartServer {
    pub fn new(size: u64) -> Self {
        MultipartServer {
            size,
            token_epoch: 1,
            token_expired: false,
            link_epoch: 1,
            parts: BTreeMap::new(),
            completed: None,
            faults: Faults::default(),
            acks: Acks::default(),
            upload_id: "U1".into(),
            drop_on_expired: false,
            link_ttl_secs: None,
            wall_offset_ms: 0,
            refused_expired: 0,
            words: Words::default(),
        }
    }

    fn refuse_token(&self) -> Outcome {
        let (code, body) = &self.words.token_refused;
        status(*code, None, body)
    }

    fn authorized(&self, req: &Request) -> bool {
        !self.token_expired
            && req.header("Authorization") == Some(format!("Bearer T{}", self.token_epoch).as_str())
    }

    fn query(url: &str, name: &str) -> Option<u32> {
        let q = url.split_once('?')?.1;
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == name).then(|| v.parse().ok()).flatten()
        })
    }
}

const TOKEN_EXPIRED: &str = r#"{"errors":[{"code":"token_expired","description":"expired"}]}"#;

impl Server for MultipartServer {
    fn credentials(&mut self, renewal: Option<&str>) -> Response {
        if renewal.is_some() && self.token_expired {
            self.token_epoch += 1;
            self.token_expired = false;
        }
        Response::new(
            200,
            format!(
                r#"{{"id":"M1","type":"media","status":"created","metadata":{{}},
                "upload_id":"{}","upload_token":"T{}"}}"#,
                self.upload_id, self.token_epoch
            ),
        )
    }

    fn handle(&mut self, req: &Request, src: &mut Source, now: Millis) -> Outcome {
        let wall_secs = (now.0 + self.wall_offset_ms) / 1000;
        match &req.kind {
            RequestKind::ListParts { page } => {
                let fault = self.faults.check(Target::List);
                assert!(
                    req.url.starts_with("http://api/v2/uploads/U1/parts?"),
                    "{}",
                    req.url
                );
                if matches!(fault, Some(Fault::Expire)) {
                    self.token_expired = true;
                }
                if !self.authorized(req) {
                    return self.refuse_token();
                }
                if let Some(o) = fault.as_ref().and_then(|f| generic(f, 0)) {
                    return o;
                }
                assert_eq!(Self::query(&req.url, "page"), Some(*page));
                let len = Self::query(&req.url, "page_length").unwrap();
                assert!((1..=10_000).contains(&len));
                let first = (page - 1) * len + 1;
                let last = (page * len).min(10_000);
                let mut parts = Vec::new();
                for n in first..=last {
                    match self.parts.get(&n) {
                        Some(r) => parts.push(format!(r#"{{"id":{n},"etag":"{}"}}"#, src.md5(r))),
                        None => parts.push(format!(
                            r#"{{"id":{n},"upload_link":"http://sim/v2/uploads/U1/parts/{n}?e={}{}&Signature=x"}}"#,
                            self.link_epoch,
                            self.link_ttl_secs
                                .map_or(String::new(), |t| format!("&Expires={}", wall_secs + t))
                        )),
                    }
                }
                Outcome::Reply(Response::new(
                    200,
                    format!(
                        r#"{{"page":{page},"page_length":{len},"total":10000,"parts":[{}]}}"#,
                        parts.join(",")
                    ),
                ))
            }
            RequestKind::PutPart { part } => {
                let range = match &req.body {
                    Body::Range(r) => r.clone(),
                    b => panic!("part body {b:?}"),
                };
                assert!(req.header("Content-Type").is_none());
                let path_part: u32 = req
                    .url
                    .split("/parts/")
                    .nth(1)
                    .and_then(|s| s.split('?').next())
                    .and_then(|s| s.parse().ok())
                    .unwrap();
                assert_eq!(path_part, *part, "PUT goes to the part's own link");
                let len = range.end - range.start;
                let fault = self.faults.check(Target::Part);
                if matches!(fault, Some(Fault::Expire)) {
                    self.link_epoch += 1;
                }
                let past =
                    Self::query(&req.url, "Expires").is_some_and(|e| u64::from(e) < wall_secs);
                if Self::query(&req.url, "e") != Some(self.link_epoch) || past {
                    self.refused_expired += 1;
                    if self.drop_on_expired {
                        return Outcome::Drop { after_bytes: 0 };
                    }
                    let (code, body) = &self.words.link_refused;
                    return Outcome::Reply(Response::new(*code, body.as_str()));
                }
                let mut etag = src.md5(&range);
                match &fault {
                    Some(Fault::LoseReply) => {
                        self.parts.insert(*part, range);
                        return Outcome::Drop { after_bytes: len };
                    }
                    Some(Fault::WrongEtag) => etag = "00000000000000000000000000000000".into(),
                    Some(f) => {
                        if let Some(o) = generic(f, len) {
                            return o;
                        }
                    }
                    None => {}
                }
                self.parts.insert(*part, range.clone());
                if !matches!(fault, Some(Fault::WrongEtag)) {
                    self.acks.0.push((req.id, range));
                }
                let mut r = Response::new(200, "");
                if !matches!(fault, Some(Fault::NoEtag)) {
                    r = r.with_header("ETag", format!("\"{etag}\""));
                }
                Outcome::Reply(r)
            }
            RequestKind::Complete => {
                assert_eq!(req.url, "http://api/v2/uploads/U1/complete");
                let fault = self.faults.check(Target::Complete);
                if matches!(fault, Some(Fault::Expire)) {
                    self.token_expired = true;
                }
                if !self.authorized(req) {
                    return self.refuse_token();
                }
                if let Some(Fault::ForgetPart(n)) = fault {
                    self.parts.remove(&n);
                }
                if let Some(o) = fault.as_ref().and_then(|f| generic(f, 0)) {
                    return o;
                }
                let max = self.parts.keys().last().copied().unwrap_or(0);
                if (1..=max).any(|n| !self.parts.contains_key(&n)) {
                    let (code, body) = &self.words.missing_parts;
                    return status(*code, None, body);
                }
                let ranges: Vec<Range<u64>> = self.parts.values().cloned().collect();
                for r in &ranges[..ranges.len().saturating_sub(1)] {
                    if r.end - r.start < 5 * 1024 * 1024 {
                        return status(400, None, r#"{"errors":[{"code":"part_too_small"}]}"#);
                    }
                }
                self.completed = Some(ranges);
                if matches!(fault, Some(Fault::LoseReply)) {
                    return Outcome::Drop { after_bytes: 0 };
                }
                Outcome::Reply(Response::new(200, "{}"))
            }
            k => panic!("multipart request {k:?}"),
        }
    }

    fn fired(&self) -> usize {
        self.faults.fired
    }

    fn acks(&self) -> &Acks {
        &self.acks
    }

    fn assembled(&self) -> Option<Vec<Range<u64>>> {
        self.completed.clone()
    }
}
