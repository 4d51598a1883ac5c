//! The upload's credentials as one state: the ones held (an upload token or signed link may have
//! expired since), and whether new ones are needed, asked for by a tracked call, or in use.

use crate::io::RequestId;
use crate::reply::Credentials;

/// Where the credentials stand.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// None yet, or the held ones expired: the engine asks when it may.
    Needed,
    /// Call `id` asks the customer's backend.
    Asked(RequestId),
    /// The held ones are in use.
    Held,
}

/// The credentials of one upload.
#[derive(Clone, Debug)]
pub(super) struct Creds {
    last: Option<Credentials>,
    phase: Phase,
}

impl Creds {
    /// None yet: they are needed.
    pub fn needed() -> Creds {
        Creds {
            last: None,
            phase: Phase::Needed,
        }
    }

    /// Credentials in use (a restored record of a finished upload).
    pub fn held(c: Option<Credentials>) -> Creds {
        Creds {
            last: c,
            phase: Phase::Held,
        }
    }

    /// The last credentials, current or expired.
    pub fn last(&self) -> Option<&Credentials> {
        self.last.as_ref()
    }

    /// Whether the upload waits for credentials (needed or asked for).
    pub fn awaiting(&self) -> bool {
        self.phase != Phase::Held
    }

    /// Whether the engine should ask now (needed, and no call is out).
    pub fn to_ask(&self) -> bool {
        self.phase == Phase::Needed
    }

    /// Call `id` now asks for them.
    pub fn asked(&mut self, id: RequestId) {
        self.phase = Phase::Asked(id);
    }

    /// The call ended without credentials (failed, refused for now, aborted): ask again later.
    pub fn unanswered(&mut self) {
        if matches!(self.phase, Phase::Asked(_)) {
            self.phase = Phase::Needed;
        }
    }

    /// The held ones expired (or are suspect): new ones are needed.
    pub fn renew(&mut self) {
        if self.phase == Phase::Held {
            self.phase = Phase::Needed;
        }
    }

    /// New credentials, accepted by the machine.
    pub fn install(&mut self, c: Credentials) {
        self.last = Some(c);
        self.phase = Phase::Held;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_call_at_a_time_and_asked_again_after_a_failure() {
        let mut c = Creds::needed();
        assert!(c.awaiting() && c.to_ask());
        c.asked(RequestId(7));
        assert!(c.awaiting() && !c.to_ask());
        c.renew(); // not held: nothing to renew
        assert!(!c.to_ask());
        c.unanswered();
        assert!(c.to_ask());
        assert!(c.last().is_none());
    }

    #[test]
    fn renewal_keeps_the_last_credentials() {
        let mut c = Creds::held(None);
        assert!(!c.awaiting());
        c.unanswered(); // no call out: nothing changes
        assert!(!c.awaiting());
        c.renew();
        assert!(c.to_ask());
        c.asked(RequestId(1));
        let reply = r#"{"id":"M1","type":"media","upload_id":"U","upload_token":"T"}"#;
        let Ok(creds) = Credentials::parse(reply) else {
            panic!("a v2 reply parses");
        };
        c.install(creds);
        assert!(!c.awaiting());
        assert_eq!(c.last().map(Credentials::media_id), Some("M1"));
    }
}
