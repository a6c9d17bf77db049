//! Anti-cheat's counters behind one trait: a submission is judged and counted in one step (so
//! two concurrent submissions of one player are judged one after the other), and the counters
//! are rebuilt at start-up by replaying recent events. Today's implementation is the
//! [`Detector`] behind a mutex; a shared one keeps the same counters where every node sees
//! them, so a player spreading submissions over several nodes gets no more than on one.

use std::sync::Mutex;

use crate::anticheat::{BoardStats, Detector, Submission, Verdict};
use crate::id::IdentityId;

/// The detections' counters.
pub trait AntiCheatCounters: Send + Sync {
    /// Judges a submission of `identity` and counts it. `submission` builds it from the
    /// player's accepted total (which decides the trust tier, hence the thresholds).
    fn judge<'a>(
        &self,
        identity: IdentityId,
        submission: &dyn Fn(u64) -> Submission<'a>,
        stats: Option<BoardStats>,
    ) -> Verdict;
    /// Counts a past accepted submission without judging it (the start-up replay).
    fn replay(&self, submission: &Submission<'_>);
    /// Sets players' accepted totals (from the store, at start-up).
    fn set_totals(&self, totals: Vec<(IdentityId, u64)>);
}

/// One node: the detector in this process.
#[derive(Default)]
pub struct LocalCounters {
    detector: Mutex<Detector>,
}

impl LocalCounters {
    fn lock(&self) -> std::sync::MutexGuard<'_, Detector> {
        self.detector.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl AntiCheatCounters for LocalCounters {
    fn judge<'a>(
        &self,
        identity: IdentityId,
        submission: &dyn Fn(u64) -> Submission<'a>,
        stats: Option<BoardStats>,
    ) -> Verdict {
        let mut detector = self.lock();
        let sub = submission(detector.accepted_total(identity));
        detector.judge(&sub, stats)
    }

    fn replay(&self, submission: &Submission<'_>) {
        self.lock().record(submission, true);
    }

    fn set_totals(&self, totals: Vec<(IdentityId, u64)>) {
        self.lock().set_totals(totals);
    }
}
