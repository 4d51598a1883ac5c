//! Snapshots written by an earlier build (the fixtures were taken from the multipart, resumable
//! and s3 harness runs before the core's collections and reply types changed) are still read,
//! restored, and written back unchanged: the resume records in users' IndexedDB stay valid.
#![allow(clippy::unwrap_used)]

use jw_upload_core::plan::Sizing;
use jw_upload_core::{Config, Method, Millis, RequestKind, Snapshot, Upload};
use std::time::Duration;

const MIB: u64 = 1024 * 1024;

/// Restores `fixture` with `cfg`, checks it serializes back to the same JSON, and returns the
/// first request the restored upload makes.
fn restore(fixture: &str, cfg: Config) -> RequestKind {
    let snap: Snapshot = serde_json::from_str(fixture).unwrap();
    let again = serde_json::to_value(&snap).unwrap();
    let original: serde_json::Value = serde_json::from_str(fixture).unwrap();
    assert_eq!(
        again, original,
        "the snapshot is written back as it was read"
    );
    let mut up = Upload::restore(cfg, snap, Millis(0)).unwrap();
    while up.poll_task().is_some() {}
    let restored = serde_json::to_value(up.snapshot()).unwrap();
    // A restore asks the server what it holds, so the machine starts over; what was stored stays.
    for field in ["credentials", "digests", "media_id", "method", "size"] {
        assert_eq!(restored[field], original[field], "{field}");
    }
    up.poll_request(Millis(0)).unwrap().kind
}

#[test]
fn a_multipart_snapshot_lists_the_parts_again() {
    let size = 11 * MIB + 12_345;
    let mut c = Config::new(size, "big.mp4", "video/mp4").with_method(Method::Multipart);
    c.upload_api_base = "http://api".into();
    c.list_page_length = 2;
    c.part_sizing.initial = 5 * MIB;
    let kind = restore(include_str!("fixtures/snapshot-multipart.json"), c);
    assert_eq!(kind, RequestKind::ListParts { page: 1 });
}

#[test]
fn a_resumable_snapshot_probes_from_byte_zero() {
    let size = 3 * MIB + 5;
    let mut c = Config::new(size, "my \"clip\".mp4", "video/mp4").with_method(Method::Resumable);
    c.chunk_sizing = Sizing {
        initial: MIB,
        min: 64 * 1024,
        max: MIB,
        target: Duration::from_secs(10),
        granule: 1024,
    };
    let kind = restore(include_str!("fixtures/snapshot-resumable.json"), c);
    assert!(
        matches!(&kind, RequestKind::Chunk { range } if range.start == 0),
        "{kind:?}"
    );
}

#[test]
fn an_s3_snapshot_puts_with_its_stored_link() {
    let c = Config::new(1000, "a.mp4", "video/mp4").with_method(Method::S3);
    let kind = restore(include_str!("fixtures/snapshot-s3.json"), c);
    assert_eq!(kind, RequestKind::S3Put);
}
