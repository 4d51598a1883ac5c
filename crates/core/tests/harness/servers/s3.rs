//! Fake s3: one signed PUT.
#![allow(clippy::unwrap_used)]

use super::{renew_epoch, whole_fault, Acks, Fault, Faults, Target, S3_EXPIRED};
use crate::harness::{Outcome, Server, Source};
use jw_upload_core::{Body, Millis, Request, RequestKind, Response};
use std::ops::Range;

pub struct S3Server {
    pub size: u64,
    pub epoch: u32,
    pub expired: bool,
    pub stored: Option<Range<u64>>,
    pub faults: Faults,
    pub acks: Acks,
    /// What an expired or refused link gets (status, body).
    pub refused: (u16, String),
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
            refused: (403, S3_EXPIRED.into()),
        }
    }
}

impl Server for S3Server {
    fn credentials(&mut self, renewal: Option<&str>) -> Response {
        renew_epoch(renewal, &mut self.epoch, &mut self.expired);
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
        let fault = self.faults.check(Target::S3);
        if !req
            .url
            .contains(&format!("Signature=sig{}%2F%2B%3D", self.epoch))
            || self.expired
        {
            return Outcome::Reply(Response::new(self.refused.0, self.refused.1.as_str()));
        }
        let md5 = src.md5(&range);
        let mut etag = md5;
        let refused = Response::new(self.refused.0, self.refused.1.as_str());
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

    fn fired(&self) -> usize {
        self.faults.fired
    }

    fn acks(&self) -> &Acks {
        &self.acks
    }

    fn assembled(&self) -> Option<Vec<Range<u64>>> {
        self.stored.clone().map(|r| vec![r])
    }
}
