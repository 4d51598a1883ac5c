//! Per-client rate limits on the routes that mint media: a fixed one-minute window per client
//! address, counted in this process (each instance behind a load balancer counts its own).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

use crate::error::ApiError;

const WINDOW: Duration = Duration::from_secs(60);
/// Clients remembered before expired windows are swept.
const SWEEP_AT: usize = 10_000;

/// Counts minting requests per client address.
#[derive(Debug)]
pub struct RateLimit {
    per_minute: u32,
    windows: Mutex<HashMap<Option<IpAddr>, (Instant, u32)>>,
}

impl RateLimit {
    /// `per_minute` requests per client per minute; 0 turns the limit off.
    pub fn new(per_minute: u32) -> RateLimit {
        RateLimit {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// The client address: the socket peer (set by the served binary). Requests without one
    /// (an app serving the router itself without connect info) share one window.
    pub fn client(parts: &Parts) -> Option<IpAddr> {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    }

    /// Counts one request from `client` at `now`; a 429 with `Retry-After` when over.
    pub fn check(&self, client: Option<IpAddr>, now: Instant) -> Result<(), ApiError> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let mut windows = match self.windows.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry(client).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_minute {
            let left = WINDOW.saturating_sub(now.duration_since(entry.0));
            return Err(ApiError::rate_limited(left.as_secs().max(1)));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_refuses_then_resets() {
        let limit = RateLimit::new(2);
        let t0 = Instant::now();
        let a = Some(IpAddr::from([10, 0, 0, 1]));
        let b = Some(IpAddr::from([10, 0, 0, 2]));
        assert!(limit.check(a, t0).is_ok());
        assert!(limit.check(a, t0).is_ok());
        let refused = limit.check(a, t0 + Duration::from_secs(10));
        assert_eq!(refused.err().and_then(|e| e.retry_after), Some(50));
        assert!(
            limit.check(b, t0).is_ok(),
            "another client has its own window"
        );
        assert!(limit.check(a, t0 + WINDOW).is_ok());
    }
}
