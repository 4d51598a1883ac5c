//! Fake v2 direct: a create reply with a top-level `upload_link`, one PUT of the whole file with
//! no `Content-Type`; each create is a new media with a new link (a renewal is a new create).
#![allow(clippy::unwrap_used)]

use super::{whole_fault, Acks, Fault, Faults, Target, S3_EXPIRED};
use crate::harness::{Outcome, Server, Source};
use jw_upload_core::{Body, Millis, Request, RequestKind, Response};
use std::ops::Range;

pub struct DirectServer {
    pub size: u64,
    /// Creates so far: media `D{n}` with link `.../D{n}?sig=s{n}`; only the last link is valid.
    pub creates: u32,
    pub expired: bool,
    pub stored: Option<Range<u64>>,
    pub faults: Faults,
    pub acks: Acks,
    /// What a refused or expired link gets (status, body).
    pub refused: (u16, String),
    /// Renewals asked with a media id (a direct link is renewed by a new create: none).
    pub renewals_with_id: u32,
}

impl DirectServer {
    pub fn new(size: u64) -> Self {
        DirectServer {
            size,
            creates: 0,
            expired: false,
            stored: None,
            faults: Faults::default(),
            acks: Acks::default(),
            refused: (403, S3_EXPIRED.into()),
            renewals_with_id: 0,
        }
    }
}

impl Server for DirectServer {
    fn credentials(&mut self, renewal: Option<&str>) -> Response {
        if renewal.is_some() {
            self.renewals_with_id += 1;
        }
        self.creates += 1;
        self.expired = false;
        let n = self.creates;
        Response::new(
            200,
            format!(
                r#"{{"id":"D{n}","type":"media","status":"created","metadata":{{}},
                "upload_link":"http://s3/jw/D{n}?X-Amz-Expires=3600&X-Amz-Signature=s{n}"}}"#
            ),
        )
    }

    fn handle(&mut self, req: &Request, src: &mut Source, _now: Millis) -> Outcome {
        assert_eq!(req.kind, RequestKind::DirectPut);
        assert!(
            req.header("Content-Type").is_none(),
            "the create sent no mime_type: the PUT carries no Content-Type"
        );
        let range = match &req.body {
            Body::Range(r) => r.clone(),
            b => panic!("direct body {b:?}"),
        };
        assert_eq!(range, 0..self.size);
        let fault = self.faults.check(Target::Direct);
        let current = format!("X-Amz-Signature=s{}", self.creates);
        let refused = Response::new(self.refused.0, self.refused.1.as_str());
        if !req.url.ends_with(&current) || self.expired {
            return Outcome::Reply(refused);
        }
        let mut etag = src.md5(&range);
        if let Some(o) = whole_fault(&fault, &range, &mut self.expired, &mut self.stored, || {
            Outcome::Reply(refused)
        }) {
            return o;
        }
        if matches!(fault, Some(Fault::WrongEtag)) {
            etag = "0123456789abcdef0123456789abcdef".into();
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
