//! multipart replies: the parts listing, part PUTs (ETag checked against the part's MD5; a link
//! refused with 401/403 listed again), complete (any 4xx but auth reconciled by listing again,
//! the listing deciding what to send); and the driver's digests.

use super::{Multipart, PartLink, PartState, Reconcile, MAX_RECONCILES};
use crate::error::UploadError;
use crate::event::{Event, RetryReason, UploadResult};
use crate::io::{RequestKind, Response};
use crate::link::trusted_expiry_ms;
use crate::method::Method;
use crate::plan::MAX_PARTS;
use crate::protocol::{fallback, rejected, Ctx, Verdict};
use crate::reply::{normalize_etag, PartsPage};
use crate::retry::is_retryable_status;
use std::ops::Range;

impl Multipart {
    /// Checks part `n` (Stored) against its digest.
    pub(super) fn verify(&mut self, n: u32, ctx: &mut Ctx<'_>) -> Verdict {
        let i = n as usize - 1;
        let PartState::Stored { etag } = self.parts[i].state.clone() else {
            return Verdict::Continue;
        };
        let Some(range) = self.plan.part(n) else {
            return Verdict::Continue;
        };
        if ctx.cfg.verify {
            let Some(etag) = &etag else {
                return Verdict::Continue; // learned from a listing before complete
            };
            let Some(digest) = ctx.digest(&range) else {
                return Verdict::Continue;
            };
            if !digest.is_empty() && !etag.eq_ignore_ascii_case(&digest) {
                self.parts[i].mismatches += 1;
                self.set(n, PartState::Pending);
                ctx.progress.set_committed(self.committed(), ctx.now);
                if self.parts[i].mismatches >= 2 {
                    return Verdict::Fail(UploadError::integrity(format!(
                        "part {n}: ETag {etag}, MD5 {digest}"
                    )));
                }
                return Verdict::Continue;
            }
        }
        self.set(n, PartState::Verified { etag: etag.clone() });
        ctx.events.push_back(Event::PartComplete {
            part: n,
            range,
            etag,
        });
        Verdict::Progress
    }

    /// Checks parts `parts` (those an input touched: never every part).
    fn verify_each(&mut self, parts: impl IntoIterator<Item = u32>, ctx: &mut Ctx<'_>) -> Verdict {
        let mut out = Verdict::Continue;
        for n in parts {
            match self.verify(n, ctx) {
                Verdict::Continue => {}
                Verdict::Progress => out = Verdict::Progress,
                other => return other,
            }
        }
        out
    }

    pub fn on_digest(&mut self, range: &Range<u64>, ctx: &mut Ctx<'_>) -> Verdict {
        let part = self.plan.find(range);
        self.verify_each(part, ctx)
    }

    /// Puts the work of a failed or aborted request back. A part PUT that failed without a
    /// reply may have hit an expired link (servers refuse it before reading the body and drop
    /// the connection): its page is listed again for a fresh link first.
    pub fn requeue(&mut self, kind: &RequestKind, failed: bool) {
        match kind {
            RequestKind::ListParts { page } => {
                if self.listing == Some(*page) {
                    self.listing = None;
                }
                self.want.insert(*page);
            }
            RequestKind::PutPart { part } => {
                let i = (*part as usize).saturating_sub(1);
                if self.parts.get(i).map(|p| &p.state) == Some(&PartState::InFlight) {
                    self.set(*part, PartState::Pending);
                }
                if failed {
                    self.links.remove(part);
                    let page = self.page_of(*part);
                    self.listed.remove(&page);
                    self.want.insert(page);
                }
            }
            RequestKind::Complete => self.completing = false,
            _ => {}
        }
    }

    pub fn on_response(
        &mut self,
        kind: &RequestKind,
        resp: &Response,
        ctx: &mut Ctx<'_>,
    ) -> Verdict {
        match kind {
            RequestKind::ListParts { page } => self.on_list(*page, resp, ctx),
            RequestKind::PutPart { part } => self.on_put(*part, resp, ctx),
            RequestKind::Complete => self.on_complete(resp, ctx),
            _ => Verdict::Continue,
        }
    }

    fn on_list(&mut self, page: u32, resp: &Response, ctx: &mut Ctx<'_>) -> Verdict {
        if !resp.is_success() {
            self.requeue(&RequestKind::ListParts { page }, true);
            return fallback(resp, ctx);
        }
        self.listing = None;
        let parsed = match PartsPage::parse(&resp.body) {
            Ok(p) => p,
            Err(e) => {
                self.want.insert(page);
                return Verdict::Retry {
                    reason: RetryReason::Status {
                        status: resp.status,
                    },
                    retry_after: None,
                    error: Some(e),
                };
            }
        };
        self.listed.insert(page);
        let wall = ctx.wall_ms();
        let mut touched = Vec::new();
        for entry in parsed.parts {
            if entry.id == 0 || u64::from(entry.id) > MAX_PARTS {
                continue;
            }
            if let Some(url) = entry.upload_link {
                let expires_ms = trusted_expiry_ms(&url, wall);
                self.links.insert(entry.id, PartLink { url, expires_ms });
            }
            let Some(p) = self.parts.get(entry.id as usize - 1) else {
                continue;
            };
            touched.push(entry.id);
            let stored = entry
                .etag
                .map(|etag| PartState::Stored { etag: Some(etag) });
            match (stored, &p.state) {
                (Some(s), PartState::Pending) => {
                    self.set(entry.id, s);
                    self.begun = self.begun.max(entry.id);
                }
                (Some(s), PartState::Stored { etag: None }) => self.set(entry.id, s),
                (None, PartState::Stored { .. } | PartState::Verified { .. }) => {
                    // The server does not hold it after all (a refused complete).
                    self.set(entry.id, PartState::Pending);
                    if let Some(r) = &mut self.reconciling {
                        r.missing = true;
                    }
                }
                _ => {}
            }
        }
        ctx.progress.set_committed(self.committed(), ctx.now);
        match self.verify_each(touched, ctx) {
            Verdict::Continue => self.reconciled().unwrap_or(Verdict::Continue),
            v => v,
        }
    }

    fn on_put(&mut self, n: u32, resp: &Response, ctx: &mut Ctx<'_>) -> Verdict {
        let i = n as usize - 1;
        if self.parts.get(i).map(|p| &p.state) != Some(&PartState::InFlight) {
            return Verdict::Continue;
        }
        if resp.is_success() {
            let etag = resp.header("ETag").map(normalize_etag);
            if etag.is_none() && ctx.cfg.verify {
                // The ETag was not readable (CORS): the listing will tell it.
                let page = self.page_of(n);
                self.listed.remove(&page);
            }
            self.set(n, PartState::Stored { etag });
            ctx.progress.set_committed(self.committed(), ctx.now);
            return match self.verify(n, ctx) {
                Verdict::Continue => Verdict::Progress,
                v => v,
            };
        }
        self.set(n, PartState::Pending);
        if matches!(resp.status, 401 | 403) {
            // The signed link expired or was refused (whatever the code or message says):
            // list its page again for a fresh one; the listing also shows whether the server
            // holds the part after all. A retry, so the attempts bound it.
            self.links.remove(&n);
            let page = self.page_of(n);
            self.listed.remove(&page);
            self.want.insert(page);
            return Verdict::Retry {
                reason: RetryReason::LinkExpired,
                retry_after: None,
                error: Some(rejected(resp)),
            };
        }
        fallback(resp, ctx)
    }

    fn on_complete(&mut self, resp: &Response, ctx: &mut Ctx<'_>) -> Verdict {
        self.completing = false;
        if resp.is_success() {
            self.done = true;
            ctx.progress.finish();
            return Verdict::Done(UploadResult {
                media_id: self.media_id.clone().unwrap_or_default(),
                size: Some(self.plan.size()),
                md5: None,
                method: Method::Multipart,
            });
        }
        // A refusal other than auth (401/403: the token, renewed by `fallback`) and the
        // retryable statuses: whatever its code says, ask the server what it holds, page by
        // page; the listing decides (missing parts are sent again, then complete; nothing
        // missing fails with this refusal). Bounded by MAX_RECONCILES.
        let refused = (400..500).contains(&resp.status)
            && !matches!(resp.status, 401 | 403)
            && !is_retryable_status(resp.status);
        if refused {
            self.reconciles += 1;
            if self.reconciles > MAX_RECONCILES {
                return Verdict::Fail(rejected(resp));
            }
            self.reconciling = Some(Box::new(Reconcile {
                refusal: rejected(resp),
                missing: false,
            }));
            self.listed.clear();
            let pages = self.page_of(self.plan.len());
            self.want.extend(1..=pages);
            return Verdict::Continue;
        }
        fallback(resp, ctx)
    }

    /// After a listing during a reconcile: once every page is listed, nothing found missing
    /// means the refused complete will not pass by sending parts again.
    fn reconciled(&mut self) -> Option<Verdict> {
        let pages = self.page_of(self.plan.len());
        let all_listed = (1..=pages).all(|p| self.listed.contains(&p));
        if self.reconciling.is_none() || !all_listed || self.listing.is_some() {
            return None;
        }
        let r = self.reconciling.take()?;
        if r.missing || !self.all_stored() {
            return None; // parts to send again, then complete again
        }
        let mut e = r.refusal;
        e.message = format!(
            "{} The parts listing shows every part stored, so sending parts again cannot help.",
            e.message
        );
        Some(Verdict::Fail(e))
    }
}
