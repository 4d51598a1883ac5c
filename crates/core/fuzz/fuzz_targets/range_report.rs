//! Fuzzes the resumable `Range` parser: never panics; what parses prints back to itself.
#![no_main]

use jw_upload_core::range::RangeReport;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = RangeReport::parse(s) {
        assert!(r.have.iter().all(|x| x.start < x.end && x.end <= r.total));
        let again = RangeReport::parse(&r.to_string()).expect("printed report parses");
        assert_eq!(again, r);
        let gaps = r.have.gaps(r.total);
        let missing: u64 = gaps.iter().map(|g| g.end - g.start).sum();
        assert_eq!(missing + r.have.len_bytes(), r.total);
    }
});
