//! Fake resumable endpoint: keeps a range set, answers `Range`.
#![allow(clippy::unwrap_used)]

use super::{generic, status, Acks, Fault, Faults, Target};
use crate::harness::{Outcome, Server, Source};
use jw_upload_core::range::{content_range, RangeReport, RangeSet};
use jw_upload_core::{Body, Millis, Request, RequestKind, Response};
use std::ops::Range;

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

    fn fired(&self) -> usize {
        self.faults.fired
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
