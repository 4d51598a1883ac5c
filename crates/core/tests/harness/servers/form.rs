//! Fake form upload endpoint.
#![allow(clippy::unwrap_used)]

use super::{renew_epoch, status, whole_fault, Acks, Fault, Faults, Target};
use crate::harness::{Outcome, Server, Source};
use jw_upload_core::{Body, Millis, Request, RequestKind, Response};
use std::ops::Range;

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
        renew_epoch(renewal, &mut self.epoch, &mut self.expired);
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
        let fault = self.faults.check(Target::Form);
        if !req.url.ends_with(&format!("token=tok{}", self.epoch)) || self.expired {
            return status(
                403,
                None,
                r#"{"status":"error","code":"TokenExpired","message":"expired"}"#,
            );
        }
        let mut md5 = src.md5(&range);
        if let Some(o) = whole_fault(&fault, &range, &mut self.expired, &mut self.stored, || {
            status(
                403,
                None,
                r#"{"status":"error","code":"TokenExpired","message":"expired"}"#,
            )
        }) {
            return o;
        }
        if matches!(fault, Some(Fault::WrongEtag)) {
            md5 = "ffffffffffffffffffffffffffffffff".into();
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
