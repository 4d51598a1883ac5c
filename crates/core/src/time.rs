//! Engine time: a point on the driver's monotonic clock, in milliseconds since any epoch it likes.

use serde::{Deserialize, Serialize};
use std::ops::Add;
use std::time::Duration;

/// A point in time, milliseconds since an arbitrary epoch chosen by the driver.
///
/// The engine never reads a clock: every call that depends on time takes a `Millis`.
/// A browser driver typically passes `performance.now()` (rounded) or `Date.now()`.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Millis(pub u64);

impl Millis {
    /// Time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Millis) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Millis {
    type Output = Millis;
    fn add(self, d: Duration) -> Millis {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Millis(self.0.saturating_add(ms))
    }
}

/// Serializes a `Duration` as whole milliseconds (what JS wants): `#[serde(with = "ms")]`.
pub mod ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Writes milliseconds.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    /// Reads milliseconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// Serializes an `Option<Duration>` as milliseconds or null: `#[serde(with = "ms_opt")]`.
pub mod ms_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Writes milliseconds or null.
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::ms::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    /// Reads milliseconds or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_and_since_saturate() {
        assert_eq!(Millis(5) + Duration::from_millis(7), Millis(12));
        assert_eq!(Millis(u64::MAX) + Duration::from_secs(1), Millis(u64::MAX));
        assert_eq!(Millis(3).since(Millis(10)), Duration::ZERO);
        assert_eq!(Millis(10).since(Millis(3)), Duration::from_millis(7));
    }

    #[test]
    fn durations_serialize_as_ms() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct T {
            #[serde(with = "super::ms")]
            a: Duration,
            #[serde(with = "super::ms_opt")]
            b: Option<Duration>,
        }
        let t = T {
            a: Duration::from_millis(1500),
            b: None,
        };
        let j = serde_json::to_string(&t).unwrap_or_default();
        assert_eq!(j, r#"{"a":1500,"b":null}"#);
        assert_eq!(serde_json::from_str::<T>(&j).ok(), Some(t));
    }
}
