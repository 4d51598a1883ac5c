//! form runs against the scripted peer: the whole file in one POST, md5 check, token renewal,
//! other resources, status following after the upload.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

use harness::servers::{Fault, FormServer, Target};
use harness::{credentials_call, Harness};
use jw_upload_core::{
    Body, Config, ErrorCode, Event, Method, Millis, RequestKind, Resource, Response, State,
    StatusConfig, Task, Upload,
};

const SIZE: u64 = 200_003;

fn cfg() -> Config {
    Config::new(SIZE, "clip.mp4", "video/mp4").with_method(Method::Form)
}

fn posts(h: &Harness<FormServer>) -> usize {
    h.count(|r| r.kind == RequestKind::FormPost)
}

#[test]
fn uploads_in_one_post() {
    let mut h = Harness::new(cfg(), FormServer::new(SIZE));
    assert_eq!(h.run(), State::Done);
    assert_eq!(posts(&h), 1);
    let req = &h.sent[0].req;
    assert_eq!(
        req.url,
        "http://sim/v1/videos/upload?api_format=json&key=K1&token=tok1"
    );
    assert_eq!(
        req.body,
        Body::Form {
            field: "file".into(),
            range: 0..SIZE,
            filename: "clip.mp4".into(),
            content_type: "video/mp4".into()
        }
    );
    h.check_content();
    h.check_progress();
    let md5 = h.src.md5(&(0..SIZE));
    assert_eq!(h.up.result().unwrap().md5, Some(md5));
}

#[test]
fn survives_faults_and_renews_the_token() {
    let mut s = FormServer::new(SIZE);
    s.faults
        .add(Target::Form, 1, 1, Fault::Status(502, None))
        .add(Target::Form, 2, 1, Fault::Reset(5000))
        .add(Target::Form, 3, 1, Fault::LoseReply)
        .add(Target::Form, 4, 1, Fault::Expire)
        .add(Target::Form, 5, 1, Fault::WrongEtag);
    let mut h = Harness::new(cfg(), s);
    assert_eq!(h.run(), State::Done, "{:?}", h.error());
    assert_eq!(posts(&h), 6);
    assert!(h.sent[5].req.url.ends_with("token=tok2"));
    // Two lost requests in a row make the token suspect (renewed once), then it expires.
    assert_eq!(h.cred_requests, 3);
    h.check_content();
}

#[test]
fn lost_requests_apart_do_not_renew_the_token() {
    // A reply between two lost requests shows the token still works: no renewal (as for s3).
    let mut s = FormServer::new(SIZE);
    s.faults
        .add(Target::Form, 1, 1, Fault::Reset(5000))
        .add(Target::Form, 2, 1, Fault::Status(502, None))
        .add(Target::Form, 3, 1, Fault::Reset(5000));
    let mut h = Harness::new(cfg(), s);
    assert_eq!(h.run(), State::Done, "{:?}", h.error());
    assert_eq!(posts(&h), 4);
    assert_eq!(h.cred_requests, 1, "the first token is kept");
    h.check_content();
}

#[test]
fn second_md5_mismatch_fails() {
    let mut s = FormServer::new(SIZE);
    s.faults.add(Target::Form, 1, 2, Fault::WrongEtag);
    let mut h = Harness::new(cfg(), s);
    assert_eq!(h.run(), State::Failed);
    assert_eq!(h.error().unwrap().code, ErrorCode::Integrity);
    assert!(h.up.result().is_none());
}

#[test]
fn images_go_by_form_with_their_own_reply_object() {
    let mut c = Config::new(SIZE, "logo.png", "image/png");
    c.resource = Resource::Image;
    let mut s = FormServer::new(SIZE);
    s.object = "image";
    let mut h = Harness::new(c, s);
    assert_eq!(h.up.method(), Method::Form);
    assert_eq!(h.run(), State::Done);
    assert_eq!(h.up.result().unwrap().media_id, "K1");
}

#[test]
fn follows_processing_until_ready() {
    let mut c = cfg();
    c.status = Some(StatusConfig::new("http://backend/api/media/{id}"));
    let mut h = Harness::new(c, FormServer::new(SIZE));
    h.status_script = vec![
        Response::new(503, ""),
        Response::new(200, r#"{"id":"K1","status":"processing"}"#),
        Response::new(
            200,
            r#"{"id":"K1","status":"ready","duration":12.5,"size":200003}"#,
        ),
    ];
    assert_eq!(h.run(), State::Done);
    let polls: Vec<_> = h
        .sent
        .iter()
        .filter(|s| s.req.kind == RequestKind::MediaStatus)
        .collect();
    assert_eq!(polls.len(), 3);
    assert_eq!(polls[0].req.url, "http://backend/api/media/K1");
    assert!(
        polls[1].at.0 - polls[0].at.0 >= 3000,
        "backoff between polls"
    );
    let states = h.states();
    assert_eq!(&states[states.len() - 2..], ["processing", "done"]);
    assert!(h.events.iter().any(|e| matches!(e, Event::Ready(_))));
    assert!(h.events.iter().any(|e| matches!(e, Event::Processing(_))));
}

#[test]
fn processing_failure_is_reported() {
    let mut c = cfg();
    c.status = Some(StatusConfig::new("http://backend/api/media/{id}"));
    let mut h = Harness::new(c, FormServer::new(SIZE));
    h.status_script = vec![Response::new(
        200,
        r#"{"id":"K1","status":"failed","error_message":"Video is shorter than 2 seconds"}"#,
    )];
    assert_eq!(h.run(), State::Failed);
    assert!(h.events.iter().any(|e| matches!(e, Event::Finished(_))));
    assert_eq!(h.error().unwrap().code, ErrorCode::TooShort);
}

#[test]
fn fetch_needs_no_bytes() {
    let mut up = Upload::new(Config::fetch("http://127.0.0.1:8000/x.mp4"), Millis(0)).unwrap();
    assert_eq!(up.method(), Method::Fetch);
    assert_eq!(
        up.poll_event(),
        Some(Event::Started {
            method: Method::Fetch
        })
    );
    let Some(Task::Credentials {
        id,
        method: Method::Fetch,
        ..
    }) = up.poll_task()
    else {
        panic!("credentials for a fetch are asked first");
    };
    up.handle_response(
        id,
        Response::new(200, r#"{"id":"F1","type":"media","status":"created"}"#),
        Millis(1),
    );
    assert_eq!(up.state(), State::Done);
    assert_eq!(up.result().unwrap().media_id, "F1");
    assert_eq!(up.poll_request(Millis(2)), None);
}

#[test]
fn refused_credentials_fail_with_the_platform_message() {
    let mut up = Upload::new(cfg(), Millis(0)).unwrap();
    let id = credentials_call(&mut up);
    up.handle_response(
        id,
        Response::new(
            403,
            r#"{"status":"error","code":"PermissionDenied","message":"bad key"}"#,
        ),
        Millis(1),
    );
    assert_eq!(up.state(), State::Failed);
    let e = std::iter::from_fn(|| up.poll_event())
        .find_map(|e| match e {
            Event::Error(e) => Some(e),
            _ => None,
        })
        .unwrap();
    assert_eq!((e.code, e.status), (ErrorCode::ServerRejected, Some(403)));
    assert_eq!(e.platform_message.as_deref(), Some("bad key"));
}

#[test]
fn busy_backend_is_asked_again_after_a_pause() {
    let mut up = Upload::new(cfg(), Millis(0)).unwrap();
    let id = credentials_call(&mut up);
    up.handle_response(
        id,
        Response::new(429, "").with_header("Retry-After", "2"),
        Millis(10),
    );
    let asks = |up: &mut Upload| {
        std::iter::from_fn(|| up.poll_task())
            .filter(|t| matches!(t, Task::Credentials { .. }))
            .count()
    };
    assert_eq!(asks(&mut up), 0);
    assert_eq!(up.poll_timeout(), Some(Millis(2010)));
    up.handle_timeout(Millis(2010));
    assert_eq!(asks(&mut up), 1);
}

#[test]
fn cancel_while_processing_only_stops_following() {
    let mut c = cfg();
    c.status = Some(StatusConfig::new("http://backend/api/media/{id}"));
    let mut h = Harness::new(c, FormServer::new(SIZE));
    h.status_script = vec![Response::new(200, r#"{"id":"K1","status":"processing"}"#)];
    h.run_until(|h| h.up.state() == State::Processing);
    let now = h.now;
    h.up.cancel(now);
    assert_eq!(h.run(), State::Done);
    assert!(h.error().is_none());
    assert_eq!(h.up.result().unwrap().media_id, "K1");
}

#[test]
fn restoring_a_finished_upload_only_follows_processing() {
    let mut c = cfg();
    c.status = Some(StatusConfig::new("http://backend/api/media/{id}"));
    let mut h = Harness::new(c.clone(), FormServer::new(SIZE));
    h.status_script = vec![Response::new(200, r#"{"id":"K1","status":"processing"}"#)];
    h.run_until(|h| h.up.state() == State::Processing);
    let snap = serde_json::to_string(&h.up.snapshot()).unwrap();
    let mut up = Upload::restore(c, serde_json::from_str(&snap).unwrap(), Millis(0)).unwrap();
    assert_eq!(up.state(), State::Processing);
    assert_eq!(up.result().unwrap().media_id, "K1");
    let polls = std::iter::from_fn(|| up.poll_request(Millis(5000))).collect::<Vec<_>>();
    assert_eq!(polls.len(), 1);
    assert_eq!(polls[0].kind, RequestKind::MediaStatus);
}
