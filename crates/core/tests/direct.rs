//! v2 direct runs against the scripted peer: one PUT to the `upload_link`, the ETag checked,
//! faults retried, a refused link re-minted (a new create) whatever its code says, a restore
//! starting over, and the bounds on renewals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

use harness::servers::{DirectServer, Fault, Target};
use harness::Harness;
use jw_upload_core::{Config, ErrorCode, Method, Millis, RequestKind, State, Task, Upload};

const SIZE: u64 = 300_000;

fn cfg() -> Config {
    let mut c = Config::new(SIZE, "clip.mp4", "video/mp4");
    c.method = Some(Method::Direct);
    c.upload_api_base = "http://api".into();
    c
}

fn puts(h: &Harness<DirectServer>) -> usize {
    h.count(|r| r.kind == RequestKind::DirectPut)
}

fn renewal_ids(h: &Harness<DirectServer>) -> Vec<Option<String>> {
    (h.tasks.iter())
        .filter_map(|t| match t {
            Task::Credentials { media_id, .. } => Some(media_id.clone()),
            Task::Digest { .. } => None,
        })
        .collect()
}

#[test]
fn uploads_in_one_put_to_the_upload_link() {
    let mut h = Harness::new(cfg(), DirectServer::new(SIZE));
    assert_eq!(h.up.method(), Method::Direct);
    assert_eq!(h.run(), State::Done, "{:?}", h.error());
    assert_eq!(puts(&h), 1);
    assert_eq!(
        h.sent[0].req.url,
        "http://s3/jw/D1?X-Amz-Expires=3600&X-Amz-Signature=s1"
    );
    h.check_content();
    h.check_progress();
    h.check_no_resend();
    let r = h.up.result().unwrap().clone();
    assert_eq!((r.media_id.as_str(), r.method), ("D1", Method::Direct));
    assert_eq!(r.md5, Some(h.src.md5(&(0..SIZE))));
}

#[test]
fn auto_picks_direct_when_the_backend_mints_v2_only() {
    let mut c = cfg();
    c.method = None;
    c.available_methods = Some(vec![Method::Direct, Method::Multipart, Method::Fetch]);
    let h = Harness::new(c.clone(), DirectServer::new(SIZE));
    assert_eq!(h.up.method(), Method::Direct);
    c.method = Some(Method::S3);
    let refused = Upload::new(c, Millis(0)).err().unwrap();
    assert_eq!(refused.code, ErrorCode::InvalidConfig);
}

#[test]
fn survives_5xx_reset_429_stall_and_lost_reply() {
    let mut s = DirectServer::new(SIZE);
    s.faults
        .add(Target::Direct, 1, 1, Fault::Status(503, None))
        .add(Target::Direct, 2, 1, Fault::Reset(100_000))
        .add(Target::Direct, 3, 1, Fault::Status(429, Some("3".into())))
        .add(Target::Direct, 4, 1, Fault::Stall(1000))
        .add(Target::Direct, 5, 1, Fault::LoseReply);
    let mut h = Harness::new(cfg(), s);
    assert_eq!(h.run(), State::Done, "{:?}", h.error());
    assert_eq!(puts(&h), 6);
    h.check_content();
    h.check_progress();
}

#[test]
fn a_refused_link_is_reminted_whatever_its_code_says() {
    for (status, body) in [
        (
            403,
            "<Error><Code>Qwzx</Code><Message>nothing we know</Message></Error>",
        ),
        (
            401,
            r#"{"errors":[{"code":"frobnicated","description":"?"}]}"#,
        ),
        (403, ""),
    ] {
        let mut s = DirectServer::new(SIZE);
        s.refused = (status, body.into());
        s.faults.add(Target::Direct, 1, 1, Fault::Expire);
        let mut h = Harness::new(cfg(), s);
        assert_eq!(h.run(), State::Done, "{status} {body}: {:?}", h.error());
        assert_eq!(h.cred_requests, 2);
        // A new create, not a renewal of D1: v2 has no call that re-signs a direct link.
        assert_eq!(renewal_ids(&h), [None, None]);
        assert_eq!(h.server.renewals_with_id, 0);
        assert!(h.sent[1].req.url.ends_with("X-Amz-Signature=s2"));
        assert_eq!(h.up.result().unwrap().media_id, "D2");
        h.check_content();
    }
}

#[test]
fn a_link_refused_after_every_renewal_fails_within_the_bound() {
    let mut s = DirectServer::new(SIZE);
    s.refused = (403, "<Error><Code>Zzyzx</Code></Error>".into());
    s.faults.add(Target::Direct, 1, 100, Fault::Expire);
    let mut h = Harness::new(cfg(), s);
    assert_eq!(h.run(), State::Failed);
    let max = cfg().max_renewals as usize;
    assert_eq!(puts(&h), max + 1);
    assert_eq!(h.cred_requests, max + 1);
    let e = h.error().unwrap();
    assert_eq!(
        (e.code, e.status),
        (ErrorCode::CredentialsExpired, Some(403))
    );
    assert_eq!(e.platform_code.as_deref(), Some("Zzyzx"));
}

#[test]
fn wrong_etag_resends_once_then_fails() {
    let mut s = DirectServer::new(SIZE);
    s.faults.add(Target::Direct, 1, 2, Fault::WrongEtag);
    let mut h = Harness::new(cfg(), s);
    assert_eq!(h.run(), State::Failed);
    assert_eq!(puts(&h), 2);
    assert_eq!(h.error().unwrap().code, ErrorCode::Integrity);
}

#[test]
fn a_restored_upload_starts_the_file_over() {
    let mut h = Harness::new(cfg(), DirectServer::new(SIZE));
    h.run_until(|h| !h.sent.is_empty());
    let snap = h.up.snapshot();
    let up = Upload::restore(cfg(), snap, Millis(0)).unwrap();
    let mut h2 = Harness::with_upload(up, DirectServer::new(SIZE), h.src.clone(), Millis(0));
    // The stored link is for another server's media: refused, re-minted, sent whole.
    assert_eq!(h2.run(), State::Done, "{:?}", h2.error());
    let sent: Vec<_> = (h2.sent.iter())
        .filter(|s| s.req.kind == RequestKind::DirectPut)
        .map(|s| s.req.body.source_range())
        .collect();
    assert_eq!(sent.last(), Some(&Some(0..SIZE)));
    h2.check_content();
}
