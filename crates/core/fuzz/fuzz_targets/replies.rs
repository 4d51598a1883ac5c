//! Fuzzes every platform reply parser (credentials, form/resumable result, parts page,
//! media status, error shapes) and the HTTP date / Retry-After parsers.
#![no_main]

use jw_upload_core::reply::{Credentials, MediaStatus, PartsPage, PlatformError, UploadedReply};
use jw_upload_core::retry::{parse_http_date_ms, parse_retry_after};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Credentials::parse(s);
    let _ = UploadedReply::parse(s);
    let _ = PartsPage::parse(s);
    let _ = MediaStatus::parse(s);
    let e = PlatformError::parse(s);
    let _ = e.is_expired();
    let _ = parse_http_date_ms(s);
    let _ = parse_retry_after(s, Some(1_795_305_600_000));
});
