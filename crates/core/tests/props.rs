//! Property tests over whole runs: random fault schedules, pauses and offline spells on each
//! protocol. Every run ends; a finished run assembled exactly the source; progress is
//! monotonic and bounded; nothing acknowledged is sent again; requests stay within budget.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

use harness::servers::{Fault, FormServer, MultipartServer, ResumableServer, S3Server, Target};
use harness::{Harness, Server};
use jw_upload_core::plan::Sizing;
use jw_upload_core::{Config, Method, Millis, State};
use proptest::prelude::*;
use std::time::Duration;

fn fault(i: u8) -> Fault {
    match i % 10 {
        0 => Fault::Status(503, None),
        1 => Fault::Status(429, Some("1".into())),
        2 => Fault::Reset(3000),
        3 => Fault::Stall(2000),
        4 => Fault::LoseReply,
        5 => Fault::WrongEtag,
        6 => Fault::Expire,
        7 => Fault::DropBody,
        8 => Fault::StaleRange,
        _ => Fault::Status(500, None),
    }
}

#[derive(Debug, Clone)]
struct Script {
    faults: Vec<(usize, u8)>,
    pause_at: Option<u64>,
    offline_at: Option<u64>,
}

fn script() -> impl Strategy<Value = Script> {
    (
        prop::collection::vec((1usize..14, any::<u8>()), 0..6),
        prop::option::of(1u64..400),
        prop::option::of(1u64..400),
    )
        .prop_map(|(faults, pause_at, offline_at)| Script {
            faults,
            pause_at,
            offline_at,
        })
}

/// Runs with pause/resume and offline/online spells at the given times.
fn drive<S: Server>(h: &mut Harness<S>, sc: &Script) -> State {
    let mut paused = false;
    let mut offline = false;
    h.run_until(|h| {
        h.now >= Millis(sc.pause_at.unwrap_or(u64::MAX))
            || h.now >= Millis(sc.offline_at.unwrap_or(u64::MAX))
    });
    if sc.pause_at.is_some() {
        let now = h.now;
        h.up.pause(now);
        paused = true;
    }
    if sc.offline_at.is_some() {
        let now = h.now;
        h.up.set_online(false, now);
        offline = true;
    }
    h.run_until(|h| h.up.in_flight().count() == 0);
    h.now = Millis(h.now.0 + 5000);
    let now = h.now;
    if paused {
        h.up.resume(now);
    }
    if offline {
        h.up.set_online(true, now);
    }
    h.run()
}

fn check<S: Server>(h: &mut Harness<S>, st: State) {
    assert!(st.is_terminal(), "the run ends: {st:?}");
    h.check_progress();
    h.check_no_resend();
    if st == State::Done {
        h.check_content();
    } else {
        assert!(h.error().is_some());
    }
}

/// Cases per property: `PROPTEST_CASES` or `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(48)))]

    #[test]
    fn s3_runs_end_well(sc in script(), size in 1u64..200_000) {
        let mut s = S3Server::new(size);
        for (n, f) in &sc.faults { s.faults.add(Target::S3, *n, 1, fault(*f)); }
        let mut h = Harness::new(Config::new(size, "a.mp4", "video/mp4"), s);
        let st = drive(&mut h, &sc);
        check(&mut h, st);
        prop_assert!(h.sent.len() <= 1 + 2 * sc.faults.len() + 2);
    }

    #[test]
    fn form_runs_end_well(sc in script(), size in 1u64..200_000) {
        let mut s = FormServer::new(size);
        for (n, f) in &sc.faults { s.faults.add(Target::Form, *n, 1, fault(*f)); }
        let mut h = Harness::new(Config::new(size, "a.mp4", "video/mp4").with_method(Method::Form), s);
        let st = drive(&mut h, &sc);
        check(&mut h, st);
        prop_assert!(h.sent.len() <= 1 + 2 * sc.faults.len() + 2);
    }

    #[test]
    fn resumable_runs_end_well(sc in script(), size in 1u64..600_000, parallel in 1usize..4) {
        let mut s = ResumableServer::new(size);
        for (n, f) in &sc.faults { s.faults.add(Target::Chunk, *n, 1, fault(*f)); }
        let mut c = Config::new(size, "a.mp4", "video/mp4").with_method(Method::Resumable);
        c.chunk_parallel = parallel;
        c.chunk_sizing = Sizing { initial: 64 * 1024, min: 16 * 1024, max: 64 * 1024, target: Duration::from_secs(1), granule: 1024 };
        let mut h = Harness::new(c, s);
        let st = drive(&mut h, &sc);
        check(&mut h, st);
        let chunks = size.div_ceil(16 * 1024) as usize;
        prop_assert!(h.sent.len() <= chunks + 3 * sc.faults.len() + 2 * parallel + 2, "{} requests", h.sent.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(12)))]

    #[test]
    fn multipart_runs_end_well(sc in script(), extra in 0u64..(6 * 1024 * 1024), list_faults in prop::collection::vec((1usize..4, any::<u8>()), 0..2)) {
        let size = 10 * 1024 * 1024 + extra;
        let mut s = MultipartServer::new(size);
        for (n, f) in &sc.faults { s.faults.add(Target::Part, *n, 1, fault(*f)); }
        for (n, f) in &list_faults { s.faults.add(Target::List, *n, 1, fault(*f)); }
        let mut c = Config::new(size, "a.mp4", "video/mp4").with_method(Method::Multipart);
        c.upload_api_base = "http://api".into();
        c.fixed_part_size = Some(5 * 1024 * 1024);
        c.list_page_length = 2;
        let mut h = Harness::new(c, s);
        let st = drive(&mut h, &sc);
        check(&mut h, st);
        let faults = sc.faults.len() + list_faults.len();
        prop_assert!(h.sent.len() <= 4 + 4 * (faults + 2) + 4, "{} requests", h.sent.len());
    }
}
