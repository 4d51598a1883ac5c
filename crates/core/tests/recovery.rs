//! Recovery decided by status and by what a re-listing shows, never by a word: the scripted
//! peers answer with codes and messages the engine has never seen (a refused complete, a part
//! link or upload token refused, an s3 link refused), and the bounds that stop the loops.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

use harness::servers::{Fault, MultipartServer, S3Server, Target};
use harness::Harness;
use jw_upload_core::{Config, ErrorCode, Method, RequestKind, State};

const MIB: u64 = 1024 * 1024;
const SIZE: u64 = 11 * MIB + 12_345;

/// Codes and messages no platform document or simulator uses.
const UNSEEN: [(u16, &str); 4] = [
    (
        409,
        r#"{"errors":[{"code":"glorp","description":"the flux is out of phase"}]}"#,
    ),
    (
        422,
        "<Error><Code>Wibble</Code><Message>no idea</Message></Error>",
    ),
    (400, "plain text, no code at all"),
    (404, ""),
];

fn cfg() -> Config {
    let mut c = Config::new(SIZE, "big.mp4", "video/mp4").with_method(Method::Multipart);
    c.upload_api_base = "http://api".into();
    c.list_page_length = 2;
    c.part_sizing.initial = 5 * MIB;
    c
}

fn harness(server: MultipartServer) -> Harness<MultipartServer> {
    let mut h = Harness::new(cfg(), server);
    h.bytes_per_ms = 20_000;
    h
}

fn count(h: &Harness<MultipartServer>, f: impl Fn(&RequestKind) -> bool) -> usize {
    h.count(|r| f(&r.kind))
}

fn puts_of(h: &Harness<MultipartServer>, n: u32) -> usize {
    count(h, |k| *k == RequestKind::PutPart { part: n })
}

#[test]
fn a_refused_complete_with_an_unseen_code_relists_and_sends_what_is_missing() {
    for (status, body) in UNSEEN {
        let mut s = MultipartServer::new(SIZE);
        s.words.missing_parts = (status, body.into());
        s.faults.add(Target::Complete, 1, 1, Fault::ForgetPart(2));
        let mut h = harness(s);
        assert_eq!(h.run(), State::Done, "{status} {body}: {:?}", h.error());
        assert_eq!(count(&h, |k| *k == RequestKind::Complete), 2);
        assert_eq!(puts_of(&h, 2), 2, "part 2 sent again ({status})");
        assert_eq!(
            (puts_of(&h, 1), puts_of(&h, 3)),
            (1, 1),
            "nothing else resent"
        );
        h.check_content();
        h.check_progress();
    }
}

#[test]
fn a_refused_complete_with_nothing_missing_fails_after_one_listing() {
    let mut s = MultipartServer::new(SIZE);
    s.faults
        .add(Target::Complete, 1, 100, Fault::Status(409, None));
    let mut h = harness(s);
    assert_eq!(h.run(), State::Failed);
    assert_eq!(count(&h, |k| *k == RequestKind::Complete), 1);
    let lists_after = (h.sent.iter())
        .skip_while(|s| s.req.kind != RequestKind::Complete)
        .filter(|s| matches!(s.req.kind, RequestKind::ListParts { .. }))
        .count();
    assert_eq!(lists_after, 2, "both pages listed again");
    let e = h.error().unwrap();
    assert_eq!((e.code, e.status), (ErrorCode::ServerRejected, Some(409)));
    assert!(e.message.contains("every part stored"), "{}", e.message);
}

#[test]
fn a_complete_that_keeps_losing_parts_is_bounded() {
    let mut s = MultipartServer::new(SIZE);
    s.words.missing_parts = (409, r#"{"errors":[{"code":"zork"}]}"#.into());
    s.faults.add(Target::Complete, 1, 100, Fault::ForgetPart(2));
    let mut h = harness(s);
    assert_eq!(h.run(), State::Failed);
    // The first complete and three reconciles, then the refusal is final.
    assert_eq!(count(&h, |k| *k == RequestKind::Complete), 4);
    assert_eq!(h.error().unwrap().status, Some(409));
}

#[test]
fn a_part_link_refused_with_unseen_words_is_listed_again() {
    for (status, body) in [
        (
            403,
            "<Error><Code>Blorb</Code><Message>hmm</Message></Error>",
        ),
        (401, r#"{"errors":[{"code":"nope"}]}"#),
        (403, ""),
    ] {
        let mut s = MultipartServer::new(SIZE);
        s.words.link_refused = (status, body.into());
        s.faults.add(Target::Part, 1, 1, Fault::Expire);
        let mut h = harness(s);
        assert_eq!(h.run(), State::Done, "{status} {body}: {:?}", h.error());
        assert!(h.server.refused_expired >= 1);
        assert_eq!(h.cred_requests, 1, "a fresh link, not fresh credentials");
        h.check_content();
    }
}

#[test]
fn a_token_refused_with_unseen_words_renews_the_credentials() {
    for (status, body) in [
        (
            403,
            r#"{"errors":[{"code":"verboten","description":"who knows"}]}"#,
        ),
        (401, "<html>go away</html>"),
    ] {
        let mut s = MultipartServer::new(SIZE);
        s.words.token_refused = (status, body.into());
        s.faults.add(Target::List, 2, 1, Fault::Expire);
        let mut h = harness(s);
        assert_eq!(h.run(), State::Done, "{status} {body}: {:?}", h.error());
        assert_eq!(h.cred_requests, 2);
        h.check_content();
    }
}

#[test]
fn an_s3_link_refused_with_unseen_words_is_renewed() {
    let mut s = S3Server::new(300_000);
    s.refused = (403, "<Error><Code>Quux</Code></Error>".into());
    s.faults.add(Target::S3, 1, 1, Fault::Expire);
    let mut c = Config::new(300_000, "clip.mp4", "video/mp4");
    c.upload_api_base = "http://api".into();
    let mut h = Harness::new(c, s);
    assert_eq!(h.run(), State::Done, "{:?}", h.error());
    assert_eq!(h.cred_requests, 2);
    h.check_content();
}
