//! Fuzzes resuming from a stored record (IndexedDB can hold anything): a tampered snapshot is
//! refused or resumed, never a panic, and the resumed engine only asks for bytes of the file.
#![no_main]

use jw_upload_core::{Config, Millis, Response, Snapshot, Task, Upload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(snap) = serde_json::from_slice::<Snapshot>(data) else {
        return;
    };
    let size = snap.size;
    let Ok(mut up) = Upload::restore(Config::new(size, "f", ""), snap, Millis(0)) else {
        return;
    };
    for t in 1..50u64 {
        while up.poll_abort().is_some() {}
        while let Some(task) = up.poll_task() {
            if let Task::Digest { range } = task {
                assert!(range.end <= size);
                up.handle_digest(range, "x", Millis(t));
            }
        }
        while up.poll_event().is_some() {}
        let Some(req) = up.poll_request(Millis(t)) else {
            return;
        };
        if let Some(r) = req.body.source_range() {
            assert!(r.start < r.end && r.end <= size, "range {r:?} of {size}");
        }
        up.handle_response(req.id, Response::new(201, "0-0/1"), Millis(t));
    }
});
