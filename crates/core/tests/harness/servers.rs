//! In-memory fake platform servers (s3, form, resumable, multipart) with fault rules.
#![allow(dead_code, clippy::unwrap_used)]

use super::{Outcome, Server, Source};
use jw_upload_core::range::{content_range, RangeReport, RangeSet};
use jw_upload_core::{Body, Millis, Request, RequestId, RequestKind, Response};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

/// Which requests a fault rule counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    S3,
    Form,
    Chunk,
    List,
    Part,
    Complete,
}

#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer this status (with an optional `Retry-After`).
    Status(u16, Option<String>),
    /// Reset the connection after this many body bytes.
    Reset(u64),
    /// Stop reading after this many body bytes.
    Stall(u64),
    /// Store the body, then drop the connection.
    LoseReply,
    /// Store, answer a wrong ETag / md5.
    WrongEtag,
    /// Expire the link or token.
    Expire,
    /// (resumable) discard the chunk, answer 201 truthfully.
    DropBody,
    /// (resumable) store, answer the Range of before.
    StaleRange,
    /// (complete) the server lost part n: answer missing_parts.
    ForgetPart(u32),
    /// Answer success without an ETag header (CORS did not expose it).
    NoEtag,
}

/// Fault rules: fire on the `nth` .. `nth + times - 1` request of a target (1-based).
#[derive(Default)]
pub struct Faults {
    rules: Vec<(Target, usize, usize, Fault)>,
    counts: HashMap<Target, usize>,
    pub fired: usize,
}

impl Faults {
    pub fn add(&mut self, t: Target, nth: usize, times: usize, f: Fault) -> &mut Self {
        self.rules.push((t, nth, times, f));
        self
    }

    fn check(&mut self, t: Target) -> Option<Fault> {
        let n = {
            let c = self.counts.entry(t).or_insert(0);
            *c += 1;
            *c
        };
        let hit = self
            .rules
            .iter()
            .find(|(rt, nth, times, _)| *rt == t && n >= *nth && n < nth + times)
            .map(|r| r.3.clone());
        if hit.is_some() {
            self.fired += 1;
        }
        hit
    }
}

fn status(s: u16, ra: Option<String>, body: &str) -> Outcome {
    let mut r = Response::new(s, body);
    if let Some(v) = ra {
        r = r.with_header("Retry-After", v);
    }
    Outcome::Reply(r)
}

fn generic(f: &Fault, len: u64) -> Option<Outcome> {
    Some(match f {
        Fault::Status(s, ra) => status(*s, ra.clone(), r#"{"status":"error","code":"Busy"}"#),
        Fault::Reset(n) => Outcome::Drop { after_bytes: *n },
        Fault::Stall(n) => Outcome::Stall {
            after_bytes: (*n).min(len),
        },
        _ => return None,
    })
}

const S3_EXPIRED: &str =
    "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";

/// Records what the server acknowledged, per request.
#[derive(Default)]
pub struct Acks(pub Vec<(RequestId, Range<u64>)>);

// ---------------------------------------------------------------------------------------------

pub struct S3Server {
    pub size: u64,
    pub epoch: u32,
    pub expired: bool,
    pub stored: Option<Range<u64>>,
    pub faults: Faults,
    pub acks: Acks,
}

impl S3Server {
    pub fn new(size: u64) -> Self {
        S3Server {
            size,
            epoch: 1,
            expired: false,
            stored: None,
            faults: Faults::default(),
            acks: Acks::default(),
        }
    }
}

impl Server for S3Server {
    fn credentials(&mut self, renewal: Option<&str>) -> Response {
        if renewal.is_some() && self.expired {
            self.epoch += 1;
            self.expired = false;
        }
        Response::new(
            200,
            format!(
                r#"{{"status":"ok","media":{{"type":"video","key":"K1"}},"link":{{"protocol":"http",
                "address":"sim","path":"/jwplatform-upload/K1","query":{{"AWSAccessKeyId":"AK",
                "Expires":{},"Signature":"sig{}/+="}}}},"rate_limit":{{"reset":1,"limit":60,"remaining":59}}}}"#,
                100 + self.epoch,
                self.epoch
            ),
        )
    }

    fn handle(&mut self, req: &Request, src: &mut Source, _now: Millis) -> Outcome {
        assert_eq!(req.kind, RequestKind::S3Put);
        assert!(
            req.header("Content-Type").is_none(),
            "s3 PUT carries no Content-Type"
        );
        let range = match &req.body {
            Body::Range(r) => r.clone(),
            b => panic!("s3 body {b:?}"),
        };
        assert_eq!(range, 0..self.size);
        let len = range.end - range.start;
        let fault = self.faults.check(Target::S3);
        if !req
            .url
            .contains(&format!("Signature=sig{}%2F%2B%3D", self.epoch))
            || self.expired
        {
            return Outcome::Reply(Response::new(403, S3_EXPIRED));
        }
        let md5 = src.md5(&range);
        let mut etag = md5;
        match &fault {
            Some(Fault::Expire) => {
                self.expired = true;
                return Outcome::Reply(Response::new(403, S3_EXPIRED));
            }
            Some(Fault::LoseReply) => {
                self.stored = Some(range);
                return Outcome::Drop { after_bytes: len };
            }
            Some(Fault::WrongEtag) => etag = "0123456789abcdef0123456789abcdef".into(),
            Some(f) => {
                if let Some(o) = generic(f, len) {
                    return o;
                }
            }
            None => {}
        }
        self.stored = Some(range.clone());
        let mut r = Response::new(200, "");
        if !matches!(fault, Some(Fault::NoEtag)) {
            r = r.with_header("ETag", format!("\"{etag}\""));
        }
        if !matches!(fault, Some(Fault::WrongEtag)) {
            self.acks.0.push((req.id, range));
        }
        Outcome::Reply(r)
    }

    fn acks(&self) -> &Acks {
        &self.acks
    }

    fn assembled(&self) -> Option<Vec<Range<u64>>> {
        self.stored.clone().map(|r| vec![r])
    }
}

// ---------------------------------------------------------------------------------------------

pub struct FormServer {
    pub size: u64,
    pub epoch: u32,
    pub expired: bool,
    pub stored: Option<Range<u64>>,
    pub faults: Faults,
    pub acks: Acks,
    pub object: &'static str,
}

impl FormServer {
    pub fn new(size: u64) -> Self {
        FormServer {
            size,
            epoch: 1,
            expired: false,
            stored: None,
            faults: Faults::default(),
            acks: Acks::default(),
            object: "video",
        }
    }
}

impl Server for FormServer {
    fn credentials(&mut self, renewal: Option<&str>) -> Response {
        if renewal.is_some() && self.expired {
            self.epoch += 1;
            self.expired = false;
        }
        Response::new(
            200,
            format!(
                r#"{{"status":"ok","media":{{"type":"video","key":"K1"}},"link":{{"protocol":"http",
                "address":"sim","path":"/v1/videos/upload","query":{{"key":"K1","token":"tok{}"}}}},
                "session_id":"S1"}}"#,
                self.epoch
            ),
        )
    }

    fn handle(&mut self, req: &Request, src: &mut Source, _now: Millis) -> Outcome {
        assert_eq!(req.kind, RequestKind::FormPost);
        let range = match &req.body {
            Body::Form { field, range, .. } => {
                assert_eq!(field, "file");
                range.clone()
            }
            b => panic!("form body {b:?}"),
        };
        assert_eq!(range, 0..self.size);
        assert!(req.url.contains("api_format=json&key=K1"), "{}", req.url);
        let len = self.size;
        let fault = self.faults.check(Target::Form);
        if !req.url.ends_with(&format!("token=tok{}", self.epoch)) || self.expired {
            return status(
                403,
                None,
                r#"{"status":"error","code":"TokenExpired","message":"expired"}"#,
            );
        }
        let mut md5 = src.md5(&range);
        match &fault {
            Some(Fault::Expire) => {
                self.expired = true;
                return status(
                    403,
                    None,
                    r#"{"status":"error","code":"TokenExpired","message":"expired"}"#,
                );
            }
            Some(Fault::LoseReply) => {
                self.stored = Some(range);
                return Outcome::Drop { after_bytes: len };
            }
            Some(Fault::WrongEtag) => md5 = "ffffffffffffffffffffffffffffffff".into(),
            Some(f) => {
                if let Some(o) = generic(f, len) {
                    return o;
                }
            }
            None => {}
        }
        self.stored = Some(range.clone());
        if !matches!(fault, Some(Fault::WrongEtag)) {
            self.acks.0.push((req.id, range));
        }
        Outcome::Reply(Response::new(
            200,
            format!(
                r#"{{"status":"ok","{}":{{"key":"K1","md5":"{md5}","size":"{}"}}}}"#,
                self.object, self.size
            ),
        ))
    }

    fn acks(&self) -> &Acks {
        &self.acks
    }

    fn assembled(&self) -> Option<Vec<Range<u64>>> {
        self.stored.clone().map(|r| vec![r])
    }
}

// ---------------------------------------------------------------------------------------------

pub struct ResumableServer {
    pub size: u64,
    pub have: RangeSet,
    pub faults: Faults,
    pub acks: Acks,
    pub session: String,
    pub lost_session: bool,
}

impl ResumableServer {
    pub fn new(size: u64) -> Self {
        ResumableServer {
            size,
            have: RangeSet::new(),
            faults: Faults::default(),
            acks: Acks::default(),
            session: "S1".into(),
            lost_session: false,
        }
    }

    fn report(&self, have: &RangeSet) -> String {
        RangeReport {
            have: have.clone(),
            total: self.size,
        }
        .to_string()
    }
}

impl Server for ResumableServer {
    fn credentials(&mut self, _renewal: Option<&str>) -> Response {
        self.lost_session = false;
        Response::new(
            200,
            format!(
                r#"{{"status":"ok","media":{{"type":"video","key":"K1"}},"link":{{"protocol":"http",
                "address":"sim","path":"/v1/videos/upload/resumable","query":{{"key":"K1","token":"x"}}}},
                "session_id":"{}"}}"#,
                self.session
            ),
        )
    }

    fn handle(&mut self, req: &Request, _src: &mut Source, _now: Millis) -> Outcome {
        let range = match (&req.kind, &req.body) {
            (RequestKind::Chunk { range }, Body::Range(b)) => {
                assert_eq!(range, b);
                b.clone()
            }
            other => panic!("resumable request {other:?}"),
        };
        assert_eq!(
            req.header("X-Content-Range").unwrap(),
            content_range(&range, self.size)
        );
        assert_eq!(req.header("X-Session-ID"), Some(self.session.as_str()));
        assert!(req
            .header("Content-Disposition")
            .unwrap()
            .starts_with("attachment; filename=\""));
        assert!(
            req.url
                .ends_with("/v1/videos/upload/resumable?api_format=json&key=K1"),
            "{}",
            req.url
        );
        let len = range.end - range.start;
        let fault = self.faults.check(Target::Chunk);
        if self.lost_session {
            return status(404, None, r#"{"status":"error","code":"NotFound"}"#);
        }
        let before = self.have.clone();
        let mut shown = None;
        match &fault {
            Some(Fault::Expire) => {
                self.lost_session = true;
                return status(404, None, r#"{"status":"error","code":"NotFound"}"#);
            }
            Some(Fault::LoseReply) => {
                self.have.insert(range);
                return Outcome::Drop { after_bytes: len };
            }
            Some(Fault::DropBody) => {}
            Some(Fault::StaleRange) => {
                self.have.insert(range);
                shown = Some(before);
            }
            Some(f) => {
                if let Some(o) = generic(f, len) {
                    return o;
                }
                self.have.insert(range);
            }
            None => self.have.insert(range),
        }
        let shown = shown.unwrap_or_else(|| self.have.clone());
        for r in shown.iter() {
            self.acks.0.push((req.id, r));
        }
        if self.have.is_complete(self.size) && shown.is_complete(self.size) {
            return Outcome::Reply(Response::new(
                200,
                format!(
                    r#"{{"status":"ok","video":{{"key":"K1","size":{}}}}}"#,
                    self.size
                ),
            ));
        }
        let text = self.report(&shown);
        Outcome::Reply(Response::new(201, text.clone()).with_header("Range", text))
    }

    fn acks(&self) -> &Acks {
        &self.acks
    }

    fn assembled(&self) -> Option<Vec<Range<u64>>> {
        self.have
            .is_complete(self.size)
            .then(|| self.have.iter().collect())
    }
}

// ---------------------------------------------------------------------------------------------

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
        }
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

    fn handle(&mut self, req: &Request, src: &mut Source, _now: Millis) -> Outcome {
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
                    return status(401, None, TOKEN_EXPIRED);
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
                            r#"{{"id":{n},"upload_link":"http://sim/v2/uploads/U1/parts/{n}?e={}&Signature=x"}}"#,
                            self.link_epoch
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
                if Self::query(&req.url, "e") != Some(self.link_epoch) {
                    return Outcome::Reply(Response::new(403, S3_EXPIRED));
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
                    return status(401, None, TOKEN_EXPIRED);
                }
                if let Some(Fault::ForgetPart(n)) = fault {
                    self.parts.remove(&n);
                }
                if let Some(o) = fault.as_ref().and_then(|f| generic(f, 0)) {
                    return o;
                }
                let max = self.parts.keys().last().copied().unwrap_or(0);
                if (1..=max).any(|n| !self.parts.contains_key(&n)) {
                    return status(
                        400,
                        None,
                        r#"{"errors":[{"code":"missing_parts","description":"gap"}]}"#,
                    );
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

    fn acks(&self) -> &Acks {
        &self.acks
    }

    fn assembled(&self) -> Option<Vec<Range<u64>>> {
        self.completed.clone()
    }
}

/// Asserts no data request re-sent bytes an earlier *delivered* acknowledgement covered.
pub fn assert_no_resend(
    sent: &[super::Sent],
    acks: &Acks,
    delivered_before: impl Fn(RequestId, u64) -> bool,
) {
    for s in sent {
        let Some(r) = s.req.body.source_range() else {
            continue;
        };
        for (id, a) in &acks.0 {
            if *id != s.req.id && delivered_before(*id, s.order) {
                let overlap = r.end.min(a.end).saturating_sub(r.start.max(a.start));
                assert_eq!(
                    overlap, 0,
                    "request {} re-sent {r:?}, acknowledged by {id} as {a:?}",
                    s.req.id
                );
            }
        }
    }
}
