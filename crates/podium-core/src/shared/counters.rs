//! Anti-cheat's counters behind one trait: a submission is judged and counted in one step (so
//! two concurrent submissions of one player are judged one after the other), and the counters
//! are rebuilt at start-up by replaying recent events. [`LocalCounters`] is the [`Detector`]
//! behind a mutex; [`FedCounters`] is the same detector fed by every node: each attempt judged
//! here goes to the other nodes through the change feed, and theirs are recorded here, so a
//! player spreading submissions over several nodes gets no more than on one (within the feed's
//! lag, milliseconds).

use std::sync::{Arc, Mutex, Weak};

use crate::anticheat::{Attempt, BoardStats, Detector, Submission, Verdict};
use crate::id::IdentityId;
use crate::shared::{Change, ChangeFeed, Subscriber};

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

/// Several nodes: this node's detector, fed with the attempts every node judges.
pub struct FedCounters {
    local: LocalCounters,
    feed: Weak<dyn ChangeFeed>,
}

impl FedCounters {
    /// Counters that share each attempt through `feed` and record the other nodes' (they
    /// subscribe to it).
    pub fn start(feed: &Arc<dyn ChangeFeed>) -> Arc<Self> {
        let counters = Arc::new(Self { local: LocalCounters::default(), feed: Arc::downgrade(feed) });
        feed.subscribe(counters.clone());
        counters
    }
}

impl AntiCheatCounters for FedCounters {
    fn judge<'a>(
        &self,
        identity: IdentityId,
        submission: &dyn Fn(u64) -> Submission<'a>,
        stats: Option<BoardStats>,
    ) -> Verdict {
        let (verdict, attempt) = {
            let mut detector = self.local.lock();
            let sub = submission(detector.accepted_total(identity));
            let verdict = detector.judge(&sub, stats);
            let accepted = verdict.action != crate::anticheat::Action::Reject;
            (verdict, Attempt::of(&sub, accepted))
        };
        if let Some(feed) = self.feed.upgrade() {
            feed.share(Change::Attempts(Arc::new(vec![attempt])));
        }
        verdict
    }

    fn replay(&self, submission: &Submission<'_>) {
        self.local.replay(submission);
    }

    fn set_totals(&self, totals: Vec<(IdentityId, u64)>) {
        self.local.set_totals(totals);
    }
}

impl Subscriber for FedCounters {
    fn apply(&self, change: &Change) {
        // Only other nodes' attempts arrive here: this node's are shared, not published.
        if let Change::Attempts(attempts) = change {
            let mut detector = self.local.lock();
            for a in attempts.iter() {
                detector.record_attempt(a);
            }
        }
    }
}
