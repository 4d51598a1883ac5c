//! multipart (v2 upload API): paged part listing for signed links (and, on resume, the parts the
//! server already holds), N part PUTs in flight, each ETag checked against the part's MD5, then
//! `complete`; a refused complete is reconciled by listing again. Expired part links are
//! refreshed by listing (before use when the link's own expiry has passed, after a 403, after a
//! PUT lost without a reply); an expired upload token asks the driver for credentials.

mod replies;

use super::{Ctx, Outgoing, Phase};
use crate::config::Config;
use crate::error::UploadError;
use crate::io::{Body, HttpMethod, RequestKind};
use crate::link::{complete_url, link_expired, parts_url};
use crate::plan::{PartPlan, MAX_PARTS};
use crate::reply::Credentials;
use crate::sorted::{Map, SortedSet};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum PartState {
    /// To send (or to find on the server).
    Pending,
    /// A PUT is in flight.
    InFlight,
    /// The server holds it; its ETag is not checked yet.
    Stored { etag: Option<String> },
    /// The server holds it and it matches (or checking is off).
    Verified { etag: Option<String> },
}

/// A part's signed link from a listing, with its expiry when the URL says it and the clock agrees.
#[derive(Clone, Debug)]
struct PartLink {
    url: String,
    expires_ms: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Part {
    state: PartState,
    mismatches: u8,
}

/// Counts of the parts by state, kept as parts change state, so no input scans every part.
#[derive(Clone, Debug, Default)]
struct Tally {
    /// Parts to send (or to find on the server), by number.
    pending: SortedSet<u32>,
    in_flight: usize,
    /// Parts the server holds (verified or not).
    stored: u32,
    verified: u32,
    /// Bytes of the parts the server holds.
    committed: u64,
    /// Stored parts whose ETag is not known yet.
    no_etag: SortedSet<u32>,
}

impl Tally {
    fn count(&mut self, n: u32, state: &PartState, len: u64, add: bool) {
        let step = |v: &mut u32| *v = if add { *v + 1 } else { v.saturating_sub(1) };
        match state {
            PartState::Pending if add => drop(self.pending.insert(n)),
            PartState::Pending => drop(self.pending.remove(&n)),
            PartState::InFlight if add => self.in_flight += 1,
            PartState::InFlight => self.in_flight = self.in_flight.saturating_sub(1),
            PartState::Stored { etag } | PartState::Verified { etag } => {
                step(&mut self.stored);
                if matches!(state, PartState::Verified { .. }) {
                    step(&mut self.verified);
                } else if etag.is_none() && add {
                    self.no_etag.insert(n);
                } else if etag.is_none() {
                    self.no_etag.remove(&n);
                }
                self.committed = if add {
                    self.committed + len
                } else {
                    self.committed.saturating_sub(len)
                };
            }
        }
    }
}

/// Most complete/reconcile rounds before giving up.
const MAX_RECONCILES: u8 = 3;

/// A refused complete being reconciled: the refusal, and whether the listing found a part the
/// server does not hold after all.
#[derive(Clone, Debug)]
struct Reconcile {
    refusal: UploadError,
    missing: bool,
}

/// The multipart machine.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Multipart {
    plan: PartPlan,
    parts: Vec<Part>,
    media_id: Option<String>,
    upload_id: Option<String>,
    token: Option<String>,
    page_length: u32,
    /// Parts `1..=begun` were sent or found on the server; only later ones may be re-cut.
    begun: u32,
    adaptive: bool,
    reconciles: u8,
    done: bool,
    #[serde(skip)]
    links: Map<u32, PartLink>,
    #[serde(skip)]
    listed: SortedSet<u32>,
    #[serde(skip)]
    want: SortedSet<u32>,
    #[serde(skip)]
    listing: Option<u32>,
    #[serde(skip)]
    completing: bool,
    #[serde(skip)]
    reconciling: Option<Box<Reconcile>>,
    /// Rebuilt from `parts` whenever they are replaced (new, restored, re-cut).
    #[serde(skip)]
    tally: Tally,
}

fn pending() -> Part {
    Part {
        state: PartState::Pending,
        mismatches: 0,
    }
}

impl Multipart {
    pub fn new(cfg: &Config) -> Result<Multipart, UploadError> {
        let plan = match cfg.fixed_part_size {
            Some(p) => PartPlan::exact(cfg.size, p)?,
            None => PartPlan::new(cfg.size, cfg.part_sizing.size_for(None))?,
        };
        let page_length = cfg
            .list_page_length
            .clamp(1, MAX_PARTS as u32)
            .min(plan.len().max(1));
        let mut m = Multipart {
            parts: vec![pending(); plan.len() as usize],
            plan,
            media_id: None,
            upload_id: None,
            token: None,
            page_length,
            begun: 0,
            adaptive: cfg.fixed_part_size.is_none(),
            reconciles: 0,
            done: false,
            links: Map::new(),
            listed: SortedSet::default(),
            want: SortedSet::default(),
            listing: None,
            completing: false,
            reconciling: None,
            tally: Tally::default(),
        };
        m.retally();
        Ok(m)
    }

    /// Counts every part again (after `parts` was replaced).
    fn retally(&mut self) {
        self.tally = Tally::default();
        for (i, (p, r)) in self.parts.iter().zip(self.plan.iter()).enumerate() {
            self.tally
                .count(i as u32 + 1, &p.state, r.end - r.start, true);
        }
    }

    /// Moves part `n` to `state`, keeping the counts.
    fn set(&mut self, n: u32, state: PartState) {
        let Some(i) = (n as usize).checked_sub(1) else {
            return;
        };
        let Some(p) = self.parts.get_mut(i) else {
            return;
        };
        let len = self.plan.part(n).map_or(0, |r| r.end - r.start);
        self.tally.count(n, &p.state, len, false);
        self.tally.count(n, &state, len, true);
        p.state = state;
    }

    pub fn install(&mut self, creds: &Credentials, _ctx: &mut Ctx<'_>) -> Result<(), UploadError> {
        let Credentials::V2(r) = creds else {
            return Err(UploadError::invalid_reply(
                "multipart needs a v2 media reply",
            ));
        };
        let (Some(id), Some(token)) = (&r.upload_id, &r.upload_token) else {
            return Err(UploadError::invalid_reply(
                "the v2 reply has no upload_id or upload_token",
            ));
        };
        if self.upload_id.as_ref().is_some_and(|old| old != id) {
            // A different upload: nothing the old one held counts.
            self.parts = vec![pending(); self.plan.len() as usize];
            self.retally();
            self.links.clear();
            self.listed.clear();
            self.want.clear();
            self.begun = 0;
        }
        if !r.id.is_empty() || self.media_id.is_none() {
            self.media_id = Some(r.id.clone());
        }
        self.upload_id = Some(id.clone());
        self.token = Some(token.clone());
        Ok(())
    }

    /// After a restore: the server's listing is the truth, links are gone, no re-cutting.
    /// A record that does not fit the file is refused.
    pub fn restored(&mut self, cfg: &Config) -> Result<(), UploadError> {
        self.plan.validate()?;
        if self.plan.size() != cfg.size {
            return Err(UploadError::invalid_reply(
                "the stored plan is for another file",
            ));
        }
        self.parts = vec![pending(); self.plan.len() as usize];
        self.retally();
        self.page_length = self.page_length.clamp(1, MAX_PARTS as u32);
        self.begun = self.begun.min(self.plan.len());
        self.adaptive = false;
        self.links.clear();
        self.listed.clear();
        self.want.clear();
        self.listing = None;
        self.completing = false;
        self.reconciling = None;
        self.done = false; // complete is idempotent: a finished upload completes again
        Ok(())
    }

    fn page_of(&self, part: u32) -> u32 {
        (part - 1) / self.page_length + 1
    }

    fn auth(&self) -> Vec<(String, String)> {
        let token = self.token.clone().unwrap_or_default();
        vec![("Authorization".into(), format!("Bearer {token}"))]
    }

    fn committed(&self) -> u64 {
        self.tally.committed
    }

    fn all_verified(&self) -> bool {
        self.tally.verified as usize == self.parts.len()
    }

    fn all_stored(&self) -> bool {
        self.tally.stored as usize == self.parts.len()
    }

    pub fn phase(&self) -> Phase {
        if self.completing || (self.all_verified() && self.listing.is_none()) {
            Phase::Completing
        } else if self.all_stored() {
            Phase::Verifying
        } else {
            Phase::Transfer
        }
    }

    fn list(&mut self, page: u32, api_base: &str) -> Option<Outgoing> {
        self.listing = Some(page);
        Some(Outgoing {
            kind: RequestKind::ListParts { page },
            method: HttpMethod::Get,
            url: parts_url(api_base, self.upload_id.as_deref()?, page, self.page_length),
            headers: self.auth(),
            body: Body::Empty,
        })
    }

    /// Re-cuts the parts never begun to the size the measured throughput suggests.
    fn adapt(&mut self, ctx: &Ctx<'_>) {
        let first = self.begun + 1;
        let Some(current) = self.plan.part(first) else {
            return;
        };
        let len = current.end - current.start;
        let want = ctx
            .cfg
            .part_sizing
            .size_for(ctx.progress.bytes_per_second());
        if (want >= len.saturating_mul(2) || want.saturating_mul(2) <= len)
            && self.plan.recut_tail(first, want)
        {
            self.parts.truncate(self.begun as usize);
            self.parts.resize(self.plan.len() as usize, pending());
            self.retally();
        }
    }

    pub fn next(&mut self, ctx: &mut Ctx<'_>) -> Option<Outgoing> {
        if self.done || self.token.is_none() || self.upload_id.is_none() {
            return None;
        }
        let base = ctx.cfg.upload_api_base.clone();
        if self.listing.is_none() {
            if let Some(page) = self.want.pop_first() {
                return self.list(page, &base);
            }
        }
        if self.all_stored() {
            return self.next_completion(ctx);
        }
        if self.tally.in_flight >= ctx.cfg.part_parallel.max(1) {
            return None;
        }
        let mut from = 1;
        while let Some(&n) = self.tally.pending.first_from(&from) {
            if n > self.begun && self.adaptive {
                self.adapt(ctx);
            }
            let page = self.page_of(n);
            let wall = ctx.wall_ms();
            let stale = |l: &PartLink| {
                l.expires_ms
                    .zip(wall)
                    .is_some_and(|(e, w)| link_expired(e, w))
            };
            if self.links.get(&n).is_some_and(stale) {
                // Its link has expired (or is about to): a fresh listing, not a refused PUT.
                self.links.remove(&n);
                self.listed.remove(&page);
            }
            if let Some(url) = self.links.get(&n).map(|l| l.url.clone()) {
                let range = self.plan.part(n)?;
                let _ = ctx.digest(&range);
                self.set(n, PartState::InFlight);
                self.begun = self.begun.max(n);
                return Some(Outgoing {
                    kind: RequestKind::PutPart { part: n },
                    method: HttpMethod::Put,
                    url,
                    headers: Vec::new(),
                    body: Body::Range(range),
                });
            }
            if !self.listed.contains(&page) && self.listing != Some(page) {
                if self.listing.is_none() {
                    return self.list(page, &base);
                }
                self.want.insert(page);
            }
            // Skip the rest of this page: its links come with the listing.
            from = page.saturating_mul(self.page_length).saturating_add(1);
        }
        None
    }

    fn next_completion(&mut self, ctx: &mut Ctx<'_>) -> Option<Outgoing> {
        if self.completing || self.listing.is_some() {
            return None;
        }
        // Parts whose ETag could not be read: learn it from the listing.
        let unknown = (self.tally.no_etag.iter())
            .filter(|_| ctx.cfg.verify)
            .map(|&n| self.page_of(n))
            .find(|p| !self.listed.contains(p));
        if let Some(page) = unknown {
            return self.list(page, &ctx.cfg.upload_api_base.clone());
        }
        if !self.all_verified() {
            return None;
        }
        self.completing = true;
        Some(Outgoing {
            kind: RequestKind::Complete,
            method: HttpMethod::Put,
            url: complete_url(&ctx.cfg.upload_api_base, self.upload_id.as_deref()?),
            headers: {
                let mut h = self.auth();
                h.push(("Content-Type".into(), "application/json".into()));
                h
            },
            body: Body::Json("{}".into()),
        })
    }
}
