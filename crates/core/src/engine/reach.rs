//! Origins never reached: a request that fails with a network error before any byte of it left
//! the browser, to an origin that has never answered this upload, is what a page's CSP
//! `connect-src` or a server's missing CORS headers look like to a page (the browser hides
//! which). Backing off eight times cannot fix either, so after a few such failures in a row the
//! upload fails at once with a message that says where to look.

use crate::error::{ErrorCode, UploadError};
use crate::sorted::{Map, SortedSet};
use crate::time::Millis;
use std::time::Duration;

/// Failures in a row, with no byte sent and no reply ever seen from the origin, that name it
/// unreachable. With the default backoff (0.5 s doubling, full jitter) the fourth failure
/// comes at most 3.5 s after the first, plus the time the failures themselves take.
pub const UNREACHABLE_FAILURES: u32 = 4;
/// ... or this long after the first such failure (slow failures: DNS, a dropped SYN), at the
/// next one: the upload is named unreachable within 10 s of its first request either way.
pub const UNREACHABLE_AFTER: Duration = Duration::from_secs(8);

/// What the engine knows about the origins it has talked to.
#[derive(Clone, Debug, Default)]
pub(super) struct Reach {
    /// The origin of each request in flight (credentials calls too, when the URL is known).
    origins: Map<u64, String>,
    /// Origins that answered (any status).
    answered: SortedSet<String>,
    /// Failures in a row per never-answered origin: how many, and when the first was.
    failing: Map<String, (u32, Millis)>,
}

/// `scheme://host[:port]` of an absolute URL, lower-cased; `None` for anything else.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if scheme.is_empty() || host.is_empty() {
        return None;
    }
    Some(format!("{}://{}", scheme, host).to_ascii_lowercase())
}

impl Reach {
    /// Request `id` goes to `url`.
    pub fn launched(&mut self, id: u64, url: Option<&str>) {
        if let Some(o) = url.and_then(origin_of) {
            self.origins.insert(id, o);
        }
    }

    /// Request `id` got a reply: its origin is reachable for good.
    pub fn answered(&mut self, id: u64) {
        if let Some(o) = self.origins.remove(&id) {
            self.failing.remove(&o);
            self.answered.insert(o);
        }
    }

    /// Request `id` ended another way (aborted, stalled, unreadable): forgotten.
    pub fn forget(&mut self, id: u64) {
        self.origins.remove(&id);
    }

    /// Request `id` failed with a network error, `sent_any` telling whether any byte of its
    /// body was reported sent. The error to fail the upload with once its origin is named
    /// unreachable.
    pub fn network_failure(&mut self, id: u64, sent_any: bool, now: Millis) -> Option<UploadError> {
        let origin = self.origins.remove(&id)?;
        if sent_any || self.answered.contains(&origin) {
            self.failing.remove(&origin);
            return None;
        }
        let (n, first) = self.failing.entry(origin.clone()).or_insert((0, now));
        *n += 1;
        if *n >= UNREACHABLE_FAILURES || now.since(*first) >= UNREACHABLE_AFTER {
            return Some(unreachable(&origin));
        }
        None
    }
}

/// "cannot reach HOST: check the page's CSP connect-src and the server's CORS".
pub fn unreachable(origin: &str) -> UploadError {
    let host = origin.split_once("://").map_or(origin, |(_, h)| h);
    UploadError::new(
        ErrorCode::Network,
        format!(
            "cannot reach {host}: check the page's CSP connect-src and the server's CORS \
             (it allows this page's origin), and that the server runs."
        ),
        true,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://User@S3.example:8443/b/k?x=1").as_deref(),
            Some("https://s3.example:8443")
        );
        assert_eq!(origin_of("/api/uploads"), None);
        assert_eq!(origin_of("http:///x"), None);
    }

    #[test]
    fn named_after_four_failures_or_eight_seconds_never_after_a_reply() {
        let mut r = Reach::default();
        let url = Some("http://blocked.example/up");
        for (i, t) in [0u64, 100, 300].into_iter().enumerate() {
            r.launched(i as u64, url);
            assert!(r.network_failure(i as u64, false, Millis(t)).is_none());
        }
        r.launched(9, url);
        let e = r.network_failure(9, false, Millis(700));
        let msg = e.map(|e| e.message).unwrap_or_default();
        assert!(msg.starts_with("cannot reach blocked.example: check the page's CSP connect-src and the server's CORS"), "{msg}");

        // Slow failures: the second one 8 s after the first names it too.
        let mut r = Reach::default();
        r.launched(1, url);
        assert!(r.network_failure(1, false, Millis(0)).is_none());
        r.launched(2, url);
        assert!(r.network_failure(2, false, Millis(8_000)).is_some());

        // Bytes left, or the origin answered once: a network failure like any other.
        let mut r = Reach::default();
        for i in 0..10 {
            r.launched(i, url);
            assert!(r.network_failure(i, true, Millis(i * 10)).is_none());
        }
        r.launched(20, url);
        r.answered(20);
        for i in 21..30 {
            r.launched(i, url);
            assert!(r.network_failure(i, false, Millis(i * 10_000)).is_none());
        }
        // A relative or unknown URL is never named.
        r.launched(40, None);
        assert!(r.network_failure(40, false, Millis(0)).is_none());
    }
}
