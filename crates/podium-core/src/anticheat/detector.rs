//! The detector: the state the eight detections need and the detections themselves.
//!
//! Per identity and board: accepted submissions per minute of the last hour (60 counters), the
//! time of the last attempt, the values of the duplicate window (at most 64), the best value,
//! the last few values. Per board: for each value of the cluster window, its most recent
//! distinct identities (at most the cluster threshold), expired from the front of one queue. Every update is O(1) amortised and every list is bounded by a threshold or a time
//! window, so a flood cannot grow them past what the thresholds allow. On COUNTER boards the value is a delta, so the detections about a value's
//! shape (duplicate, outlier, progression, pattern, cluster) do not apply there; rate limit,
//! impossible value and velocity do.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::json;
use smallvec::SmallVec;

use super::{BoardStats, Confidence, Detection, FlagType, Thresholds, Verdict};
use crate::id::{BoardId, IdentityId};
use crate::model::{Board, BoardType, SortDirection};

/// Most identities remembered per value in a board's cluster window (only "at least N" matters).
const CLUSTER_CAP: usize = 64;
/// Longest pattern history kept.
const HISTORY_CAP: usize = 100;

fn micros(seconds: f64) -> i64 {
    (seconds * 1e6) as i64
}

/// One submission as the detections see it.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    /// The player.
    pub identity: IdentityId,
    /// The board.
    pub board: &'a Board,
    /// The submitted value (a delta on COUNTER boards).
    pub value: f64,
    /// When (microseconds).
    pub at_micros: i64,
    /// The thresholds for the player's trust tier and the game's overrides.
    pub thresholds: Thresholds,
}

/// What recording a judged submission needs, without the board: what the change feed carries
/// to the other nodes' detectors, so that a player's submissions through any node count on
/// every node.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Attempt {
    /// The player.
    pub identity: IdentityId,
    /// The board.
    pub board: crate::id::BoardId,
    /// Whether the board is a COUNTER board (only the rate counts).
    pub counter: bool,
    /// The board's sort (which value is a best).
    pub direction: crate::model::SortDirection,
    /// The submitted value.
    #[serde(with = "crate::shared::wire::any_float")]
    pub value: f64,
    /// When (microseconds).
    pub at_micros: i64,
    /// Whether the verdict accepted it.
    pub accepted: bool,
    /// The thresholds' pattern history length.
    pub pattern_history: usize,
    /// The thresholds' cluster size.
    pub cluster_min_identities: u32,
    /// The thresholds' cluster window.
    pub cluster_window_seconds: f64,
}

impl Attempt {
    /// The attempt `s` was, with its verdict.
    pub fn of(s: &Submission<'_>, accepted: bool) -> Self {
        Self {
            identity: s.identity,
            board: s.board.id,
            counter: s.board.board_type == BoardType::Counter,
            direction: s.board.sort_direction,
            value: s.value,
            at_micros: s.at_micros,
            accepted,
            pattern_history: s.thresholds.pattern_history,
            cluster_min_identities: s.thresholds.cluster_min_identities,
            cluster_window_seconds: s.thresholds.cluster_window_seconds,
        }
    }
}

/// Accepted submissions per minute over the last hour: 60 counters whatever the rate, so a
/// generous rate limit costs no more memory than a strict one, and a running total, so that a
/// check reads one counter instead of summing sixty (the sum touched a dozen cache lines per
/// submission, the largest part of judging one). The sliding hour is counted at minute
/// resolution: the latest minute seen and the 59 before it.
#[derive(Debug)]
struct HourCounter {
    /// Accepted submissions in minute `m` at `counts[m % 60]`, for the 60 minutes ending at
    /// `latest`; older slots are cleared as the clock moves on.
    counts: [u32; 60],
    /// The latest minute (since the epoch) seen; `None` until the first submission.
    latest: Option<i64>,
    /// The sum of `counts`.
    total: u64,
}

impl Default for HourCounter {
    fn default() -> Self {
        Self { counts: [0; 60], latest: None, total: 0 }
    }
}

impl HourCounter {
    fn minute(at_micros: i64) -> i64 {
        at_micros.div_euclid(60 * 1_000_000)
    }

    /// Moves the window so that it ends at `at_micros`'s minute (never backwards: a time a few
    /// microseconds older than one already seen counts in the current window) and returns the
    /// window's last minute.
    fn advance(&mut self, at_micros: i64) -> i64 {
        let now = Self::minute(at_micros);
        match self.latest {
            Some(latest) if now <= latest => return latest,
            Some(latest) if now - latest < 60 => {
                for m in latest + 1..=now {
                    let slot = &mut self.counts[m.rem_euclid(60) as usize];
                    self.total -= u64::from(*slot);
                    *slot = 0;
                }
            }
            Some(_) => {
                self.counts = [0; 60];
                self.total = 0;
            }
            None => {}
        }
        self.latest = Some(now);
        now
    }

    /// Accepted submissions in the hour ending at `at_micros`.
    fn in_hour(&mut self, at_micros: i64) -> u64 {
        self.advance(at_micros);
        self.total
    }

    /// Counts one accepted submission (one older than the window is not counted; one a little
    /// older than the latest minute counts in the latest minute).
    fn add(&mut self, at_micros: i64) {
        let latest = self.advance(at_micros);
        if latest - Self::minute(at_micros) >= 60 {
            return;
        }
        let slot = &mut self.counts[latest.rem_euclid(60) as usize];
        if *slot < u32::MAX {
            *slot += 1;
            self.total += 1;
        }
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// A fast hasher for maps keyed by IDs the server generated (128 random-enough bits each):
/// the submission path looks them up several times per submission, and SipHash's protection
/// against chosen keys is not needed for keys clients cannot choose. (Maps keyed by submitted
/// values keep the standard hasher.)
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
}

type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// Values remembered per player and board for the duplicate check (more within the window
/// means a flood that the rate limit and velocity checks already catch).
const RECENT_CAP: usize = 64;

#[derive(Debug, Default)]
struct Track {
    accepted: HourCounter,
    last_at: Option<i64>,
    recent: VecDeque<(i64, f64)>,
    best: Option<f64>,
    history: VecDeque<f64>,
}

/// The most recent distinct identities behind one value on a board, each with the time of its
/// latest submission of that value, oldest first. Only "at least N distinct identities inside
/// the window" matters, so at most N are kept (N = the cluster threshold, capped at
/// [`CLUSTER_CAP`]): the N most recent are all inside the window exactly when at least N
/// distinct identities are. Three entries (the default threshold) live inline in the map; a
/// heap block per distinct value made the allocator's free lists the largest cost anti-cheat
/// added to a submission.
type Seen = SmallVec<[(i64, IdentityId); 3]>;

/// A board's cluster window: values seen recently, and the (time, value) of every recording
/// in the window, oldest first, so that expired values leave in O(1) amortised per recording
/// (a periodic sweep of the whole map instead held the detector's lock for milliseconds).
#[derive(Debug, Default)]
struct BoardTrack {
    queue: VecDeque<(i64, u64)>,
    by_value: HashMap<u64, Seen>,
}

impl BoardTrack {
    /// Forgets what was recorded before `before`.
    fn expire(&mut self, before: i64) {
        while let Some(&(at, bits)) = self.queue.front() {
            if at >= before {
                break;
            }
            self.queue.pop_front();
            if let Some(ids) = self.by_value.get_mut(&bits) {
                let old = ids.iter().take_while(|(t, _)| *t < before).count();
                ids.drain(..old);
                if ids.is_empty() {
                    self.by_value.remove(&bits);
                }
            }
        }
    }

    /// Remembers that `identity` submitted the value `bits` at `at`, keeping at most `cap`
    /// identities for the value.
    fn record(&mut self, bits: u64, at: i64, identity: IdentityId, cap: usize, before: i64) {
        self.expire(before);
        self.queue.push_back((at, bits));
        let ids = self.by_value.entry(bits).or_default();
        if let Some(pos) = ids.iter().position(|(_, id)| *id == identity) {
            ids.remove(pos);
        }
        ids.push((at, identity));
        if ids.len() > cap {
            let extra = ids.len() - cap;
            ids.drain(..extra);
        }
    }
}

/// Distinct identities among `seen` and `also`, counted without allocating (at most
/// [`CLUSTER_CAP`] + 1 of them).
fn distinct_identities(seen: &[(i64, IdentityId)], also: IdentityId) -> usize {
    let others = seen
        .iter()
        .enumerate()
        .filter(|(i, (_, id))| *id != also && !seen[..*i].iter().any(|(_, earlier)| earlier == id))
        .count();
    others + 1
}

/// Whether `new` is better than `old` in the board's direction.
fn better(direction: SortDirection, new: f64, old: f64) -> bool {
    match direction {
        SortDirection::Descending => new > old,
        SortDirection::Ascending => new < old,
    }
}

/// The counters of every identity and board seen (rebuilt from stored events at start-up).
#[derive(Debug, Default)]
pub struct Detector {
    tracks: IdMap<(IdentityId, BoardId), Track>,
    boards: IdMap<BoardId, BoardTrack>,
    totals: IdMap<IdentityId, u64>,
}

impl Detector {
    /// An empty detector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs every detection on a submission (without recording it). `stats` summarises the
    /// board's live entries (for the outlier detection).
    pub fn evaluate(&mut self, s: &Submission<'_>, stats: Option<BoardStats>) -> Verdict {
        let t = &s.thresholds;
        let board = s.board;
        let counter = board.board_type == BoardType::Counter;
        let mut found = Vec::new();
        let mut fire = |flag_type, confidence, evidence| found.push(Detection { flag_type, confidence, evidence });

        // impossible_value (HIGH)
        let out_of_bounds =
            board.min_value.is_some_and(|m| s.value < m) || board.max_value.is_some_and(|m| s.value > m);
        if !s.value.is_finite() || out_of_bounds || (counter && s.value < 0.0 && !t.allow_negative_counter_deltas) {
            fire(
                FlagType::ImpossibleValue,
                Confidence::High,
                json!({"value": if s.value.is_finite() { json!(s.value) } else { json!(s.value.to_string()) },
                       "min_value": board.min_value, "max_value": board.max_value,
                       "negative_counter_delta": counter && s.value < 0.0}),
            );
        }

        let track = self.tracks.entry((s.identity, board.id)).or_default();
        // rate_limit (HIGH): accepted submissions in the sliding hour.
        let in_hour = track.accepted.in_hour(s.at_micros);
        if in_hour >= u64::from(t.rate_limit_per_hour) {
            fire(
                FlagType::RateLimit,
                Confidence::High,
                json!({"accepted_in_window": in_hour, "threshold": t.rate_limit_per_hour, "window_seconds": 3600}),
            );
        }
        // velocity (MEDIUM): time since the previous attempt.
        if let Some(last) = track.last_at {
            let gap = (s.at_micros - last) as f64 / 1e6;
            if gap < t.velocity_min_seconds {
                fire(
                    FlagType::Velocity,
                    Confidence::Medium,
                    json!({"seconds_since_previous": gap, "threshold_seconds": t.velocity_min_seconds}),
                );
            }
        }
        if !counter {
            // duplicate (MEDIUM): the identical value within the window.
            let window = micros(t.duplicate_window_seconds);
            while track.recent.front().is_some_and(|(at, _)| *at <= s.at_micros - window) {
                track.recent.pop_front();
            }
            if let Some((at, _)) = track.recent.iter().rev().find(|(_, v)| v.to_bits() == s.value.to_bits()) {
                fire(
                    FlagType::Duplicate,
                    Confidence::Medium,
                    json!({"value": s.value, "seconds_since_same_value": (s.at_micros - at) as f64 / 1e6,
                           "window_seconds": t.duplicate_window_seconds}),
                );
            }
            // progression (MEDIUM): improvement over the previous best, in percent.
            if let Some(best) = track.best
                && better(board.sort_direction, s.value, best)
                && best > 0.0
                && s.value > 0.0
            {
                let ratio = match board.sort_direction {
                    SortDirection::Descending => s.value / best,
                    SortDirection::Ascending => best / s.value,
                };
                let percent = (ratio - 1.0) * 100.0;
                if percent > t.progression_max_percent {
                    fire(
                        FlagType::Progression,
                        Confidence::Medium,
                        json!({"previous_best": best, "value": s.value, "improvement_percent": percent,
                               "threshold_percent": t.progression_max_percent}),
                    );
                }
            }
            // pattern (LOW): the last values all round, or an exact arithmetic sequence.
            // Checked over the history in place; the values are copied out only as evidence.
            let need = t.pattern_history.max(2);
            if track.history.len() + 1 >= need {
                let skip = track.history.len() + 1 - need;
                let last = || track.history.iter().skip(skip).copied().chain(std::iter::once(s.value));
                let round = last().all(|v| v != 0.0 && (v % t.pattern_round_multiple) == 0.0);
                let mut pairs = last().zip(last().skip(1)).map(|(a, b)| b - a);
                let step = pairs.next().unwrap_or(0.0);
                let arithmetic = step != 0.0 && pairs.all(|d| d == step);
                if round || arithmetic {
                    let values: Vec<f64> = last().collect();
                    fire(
                        FlagType::Pattern,
                        Confidence::Low,
                        json!({"values": values, "all_round": round, "arithmetic_step": arithmetic.then_some(step),
                               "round_multiple": t.pattern_round_multiple}),
                    );
                }
            }
            // outlier (MEDIUM): robust z-score against the board's live entries, in the
            // board's better direction (IQR / 1.349 estimates the spread).
            if let Some(st) = stats
                && st.count >= t.outlier_min_entries as usize
                && st.q3 > st.q1
            {
                let sigma = (st.q3 - st.q1) / 1.349;
                let z = match board.sort_direction {
                    SortDirection::Descending => (s.value - st.median) / sigma,
                    SortDirection::Ascending => (st.median - s.value) / sigma,
                };
                if z > t.outlier_z_score {
                    fire(
                        FlagType::Outlier,
                        Confidence::Medium,
                        json!({"value": s.value, "median": st.median, "q1": st.q1, "q3": st.q3,
                               "robust_z": z, "threshold": t.outlier_z_score, "entries": st.count}),
                    );
                }
            }
            // cluster (MEDIUM): distinct identities with this exact value in the window.
            let before = s.at_micros - micros(t.cluster_window_seconds);
            if let Some(ids) = self.boards.get(&board.id).and_then(|bt| bt.by_value.get(&s.value.to_bits())) {
                let recent = ids.iter().position(|(at, _)| *at >= before).unwrap_or(ids.len());
                let distinct = distinct_identities(&ids[recent..], s.identity);
                if distinct as u32 >= t.cluster_min_identities {
                    fire(
                        FlagType::Cluster,
                        Confidence::Medium,
                        json!({"value": s.value, "identities": distinct, "threshold": t.cluster_min_identities,
                               "window_seconds": t.cluster_window_seconds}),
                    );
                }
            }
        }
        Verdict::of(found)
    }

    /// Evaluates a submission and records it (accepted unless the verdict rejects it).
    pub fn judge(&mut self, s: &Submission<'_>, stats: Option<BoardStats>) -> Verdict {
        let verdict = self.evaluate(s, stats);
        self.record(s, verdict.action != super::Action::Reject);
        verdict
    }

    /// Records a submission after its verdict: every attempt moves the velocity clock; only an
    /// accepted one counts towards the rate limit and the value-based detections.
    pub fn record(&mut self, s: &Submission<'_>, accepted: bool) {
        self.record_attempt(&Attempt::of(s, accepted));
    }

    /// Records an attempt judged here or, on another node, carried by the change feed.
    pub fn record_attempt(&mut self, a: &Attempt) {
        let track = self.tracks.entry((a.identity, a.board)).or_default();
        track.last_at = Some(track.last_at.map_or(a.at_micros, |t| t.max(a.at_micros)));
        if !a.accepted {
            return;
        }
        *self.totals.entry(a.identity).or_insert(0) += 1;
        track.accepted.add(a.at_micros);
        if a.counter {
            return;
        }
        track.recent.push_back((a.at_micros, a.value));
        if track.recent.len() > RECENT_CAP {
            track.recent.pop_front();
        }
        if track.best.is_none_or(|b| better(a.direction, a.value, b)) {
            track.best = Some(a.value);
        }
        track.history.push_back(a.value);
        while track.history.len() > HISTORY_CAP.min(a.pattern_history.max(2)) {
            track.history.pop_front();
        }
        let cap = (a.cluster_min_identities as usize).clamp(1, CLUSTER_CAP);
        let before = a.at_micros - micros(a.cluster_window_seconds);
        self.boards.entry(a.board).or_default().record(a.value.to_bits(), a.at_micros, a.identity, cap, before);
    }

    /// Accepted submissions of an identity (for its trust tier).
    pub fn accepted_total(&self, identity: IdentityId) -> u64 {
        self.totals.get(&identity).copied().unwrap_or(0)
    }

    /// Replaces the accepted totals (after a restart, from the store).
    pub fn set_totals(&mut self, totals: impl IntoIterator<Item = (IdentityId, u64)>) {
        self.totals = totals.into_iter().collect();
    }

    /// Identity-board pairs tracked (for memory checks).
    pub fn tracked(&self) -> usize {
        self.tracks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AntiCheatSettings, TrustTier};

    fn board(board_type: BoardType) -> Board {
        Board::unsaved(board_type, SortDirection::Descending, None, Some(1_000_000.0))
    }

    fn sub<'a>(b: &'a Board, who: u128, value: f64, at_s: f64) -> Submission<'a> {
        Submission {
            identity: IdentityId::from_bits(who),
            board: b,
            value,
            at_micros: micros(at_s),
            thresholds: Thresholds::resolve(&AntiCheatSettings::default(), TrustTier::B),
        }
    }

    fn run(d: &mut Detector, s: &Submission<'_>, stats: Option<BoardStats>) -> Verdict {
        let v = d.evaluate(s, stats);
        d.record(s, v.action != super::super::Action::Reject);
        v
    }

    #[test]
    fn each_detection_fires_on_its_own_kind_of_cheat() {
        let b = board(BoardType::RunIdentity);
        let mut d = Detector::new();
        assert!(run(&mut d, &sub(&b, 1, 2e6, 0.0), None).fired(FlagType::ImpossibleValue));
        assert!(run(&mut d, &sub(&b, 1, f64::NAN, 10.0), None).fired(FlagType::ImpossibleValue));
        let mut d = Detector::new();
        for i in 0..50 {
            assert!(
                !run(&mut d, &sub(&b, 2, 100.0 + f64::from(i), f64::from(i) * 60.0), None).fired(FlagType::RateLimit)
            );
        }
        assert!(run(&mut d, &sub(&b, 2, 7.0, 50.0 * 60.0), None).fired(FlagType::RateLimit));
        // An hour after the first, the window has room again.
        assert!(!run(&mut d, &sub(&b, 2, 8.0, 3600.0 + 61.0), None).fired(FlagType::RateLimit));
        let mut d = Detector::new();
        run(&mut d, &sub(&b, 3, 10.0, 0.0), None);
        assert!(run(&mut d, &sub(&b, 3, 11.0, 1.0), None).fired(FlagType::Velocity));
        assert!(!run(&mut d, &sub(&b, 3, 12.0, 10.0), None).fired(FlagType::Velocity));
        assert!(run(&mut d, &sub(&b, 3, 12.0, 100.0), None).fired(FlagType::Duplicate));
        assert!(!run(&mut d, &sub(&b, 3, 12.0, 500.0), None).fired(FlagType::Duplicate));
        let mut d = Detector::new();
        run(&mut d, &sub(&b, 4, 100.0, 0.0), None);
        assert!(!run(&mut d, &sub(&b, 4, 390.0, 100.0), None).fired(FlagType::Progression));
        assert!(run(&mut d, &sub(&b, 4, 2000.0, 200.0), None).fired(FlagType::Progression));
        let mut d = Detector::new();
        for (i, v) in [1000.0, 3000.0, 2000.0, 5000.0].iter().enumerate() {
            assert!(!run(&mut d, &sub(&b, 5, *v, i as f64 * 100.0), None).fired(FlagType::Pattern));
        }
        assert!(run(&mut d, &sub(&b, 5, 4000.0, 900.0), None).fired(FlagType::Pattern));
        let mut d = Detector::new();
        for (i, v) in [10.0, 17.0, 24.0, 31.0].iter().enumerate() {
            run(&mut d, &sub(&b, 6, *v, i as f64 * 100.0), None);
        }
        assert!(run(&mut d, &sub(&b, 6, 38.0, 900.0), None).fired(FlagType::Pattern));
        let mut d = Detector::new();
        run(&mut d, &sub(&b, 7, 4242.0, 0.0), None);
        assert!(!run(&mut d, &sub(&b, 8, 4242.0, 10.0), None).fired(FlagType::Cluster));
        assert!(run(&mut d, &sub(&b, 9, 4242.0, 20.0), None).fired(FlagType::Cluster));
        assert!(!run(&mut d, &sub(&b, 10, 4242.0, 200.0), None).fired(FlagType::Cluster), "window passed");
        let stats = BoardStats { count: 100, median: 500.0, q1: 400.0, q3: 600.0 };
        let mut d = Detector::new();
        assert!(!run(&mut d, &sub(&b, 11, 700.0, 0.0), Some(stats)).fired(FlagType::Outlier));
        // sd ≈ IQR / 1.349 ≈ 148: 1000 is z ≈ 3.4 (over tier B's 3.0), 700 only 1.3.
        assert!(run(&mut d, &sub(&b, 12, 1000.0, 0.0), Some(stats)).fired(FlagType::Outlier));
        let few = BoardStats { count: 9, ..stats };
        assert!(!run(&mut d, &sub(&b, 13, 5000.0, 0.0), Some(few)).fired(FlagType::Outlier));
    }

    #[test]
    fn a_cluster_counts_distinct_identities_not_repeats() {
        let b = board(BoardType::RunIdentity);
        let mut d = Detector::new();
        // One player repeating a value is no cluster.
        for i in 0..5 {
            assert!(!run(&mut d, &sub(&b, 1, 777.0, f64::from(i) * 5.0), None).fired(FlagType::Cluster));
        }
        assert!(!run(&mut d, &sub(&b, 2, 777.0, 26.0), None).fired(FlagType::Cluster));
        assert!(run(&mut d, &sub(&b, 3, 777.0, 27.0), None).fired(FlagType::Cluster));
        let id = IdentityId::from_bits;
        assert_eq!(distinct_identities(&[(0, id(1)), (1, id(2)), (2, id(1)), (3, id(3))], id(2)), 3);
        assert_eq!(distinct_identities(&[], id(9)), 1);
    }

    proptest::proptest! {
        /// The cluster detection against a naive model: every accepted submission kept, the
        /// distinct identities with the same value inside the window counted from scratch.
        #[test]
        fn cluster_detection_matches_a_naive_count(
            steps in proptest::collection::vec((0u128..6, 0u8..4, 1i64..40), 1..150),
            threshold in 2u32..6, // the API refuses thresholds under 2
        ) {
            let b = board(BoardType::RunIdentity);
            let mut d = Detector::new();
            let mut accepted: Vec<(i64, u128, f64)> = Vec::new();
            let mut at = 0i64;
            for (who, value, gap) in steps {
                at += gap * 1_000_000;
                let value = 100.0 + f64::from(value);
                let mut s = Submission { at_micros: at, ..sub(&b, who, value, 0.0) };
                s.thresholds.cluster_min_identities = threshold;
                let window = micros(s.thresholds.cluster_window_seconds);
                let mut ids: Vec<u128> = accepted
                    .iter()
                    .filter(|(t, _, v)| *t >= at - window && *v == value)
                    .map(|(_, i, _)| *i)
                    .chain([who])
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                let v = run(&mut d, &s, None);
                proptest::prop_assert_eq!(
                    v.fired(FlagType::Cluster),
                    ids.len() as u32 >= s.thresholds.cluster_min_identities
                );
                if v.action != super::super::Action::Reject {
                    accepted.push((at, who, value));
                }
            }
        }
    }

    /// One player's history in the naive models: every attempt `(at, value, accepted)`.
    type Attempts = Vec<(i64, f64, bool)>;

    /// Values drawn so that repeats, round numbers, steady steps and big jumps all happen.
    fn model_value() -> impl proptest::strategy::Strategy<Value = f64> {
        use proptest::prelude::*;
        prop_oneof![
            3 => (1u8..6).prop_map(|k| 1000.0 * f64::from(k)),
            3 => (0u8..6).prop_map(|k| 100.0 + 10.0 * f64::from(k)),
            2 => (1u16..2000).prop_map(f64::from),
            1 => Just(0.0),
        ]
    }

    /// Steps of the naive models: who submits, what, how many seconds after the previous step.
    fn model_steps() -> impl proptest::strategy::Strategy<Value = Vec<(u128, f64, i64)>> {
        proptest::collection::vec((0u128..4, model_value(), 0i64..400), 1..120)
    }

    /// Runs `steps` through a detector with `tune` applied to the default tier-B thresholds,
    /// and checks `detection` on every step against `naive(history of the player, value, now,
    /// thresholds)`.
    fn detection_matches_model(
        steps: Vec<(u128, f64, i64)>,
        direction: SortDirection,
        detection: FlagType,
        tune: impl Fn(&mut Thresholds),
        naive: impl Fn(&Attempts, f64, i64, &Thresholds) -> bool,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let b = Board::unsaved(BoardType::RunIdentity, direction, None, Some(1_000_000.0));
        let mut d = Detector::new();
        let mut history: std::collections::HashMap<u128, Attempts> = std::collections::HashMap::new();
        let mut at = 0i64;
        for (who, value, gap) in steps {
            at += gap * 1_000_000 / 10;
            let mut s = Submission { at_micros: at, ..sub(&b, who, value, 0.0) };
            tune(&mut s.thresholds);
            let mine = history.entry(who).or_default();
            let expected = naive(mine, value, at, &s.thresholds);
            let v = run(&mut d, &s, None);
            proptest::prop_assert_eq!(
                v.fired(detection),
                expected,
                "{:?} at {} of {:?}: {:?}",
                detection,
                at,
                value,
                v
            );
            mine.push((at, value, v.action != super::super::Action::Reject));
        }
        Ok(())
    }

    fn accepted_values(h: &Attempts) -> impl DoubleEndedIterator<Item = (i64, f64)> + '_ {
        h.iter().filter(|(_, _, ok)| *ok).map(|(t, v, _)| (*t, *v))
    }

    proptest::proptest! {
        /// velocity: fires when the player's previous attempt (accepted or not) is less than
        /// the threshold ago.
        #[test]
        fn velocity_matches_a_naive_model(steps in model_steps(), min_s in 1u8..30) {
            detection_matches_model(steps, SortDirection::Descending, FlagType::Velocity,
                |t| t.velocity_min_seconds = f64::from(min_s),
                |h, _, now, t| h.iter().map(|(at, _, _)| *at).max().is_some_and(|last| ((now - last) as f64 / 1e6) < t.velocity_min_seconds))?;
        }

        /// duplicate: fires when one of the player's last 64 accepted values inside the window
        /// is identical.
        #[test]
        fn duplicate_matches_a_naive_model(steps in model_steps(), window_s in 1u16..120) {
            detection_matches_model(steps, SortDirection::Descending, FlagType::Duplicate,
                |t| t.duplicate_window_seconds = f64::from(window_s),
                |h, value, now, t| {
                    let window = (t.duplicate_window_seconds * 1e6) as i64;
                    let accepted: Vec<(i64, f64)> = accepted_values(h).collect();
                    accepted.iter().skip(accepted.len().saturating_sub(RECENT_CAP))
                        .any(|(at, v)| *at > now - window && v.to_bits() == value.to_bits())
                })?;
        }

        /// progression: fires when the value beats the player's best accepted value, in the
        /// board's direction, by more than the threshold (both positive).
        #[test]
        fn progression_matches_a_naive_model(steps in model_steps(), ascending in proptest::bool::ANY, percent in 5u16..400) {
            let direction = if ascending { SortDirection::Ascending } else { SortDirection::Descending };
            detection_matches_model(steps, direction, FlagType::Progression,
                |t| t.progression_max_percent = f64::from(percent),
                |h, value, _, t| {
                    let values: Vec<f64> = accepted_values(h).map(|(_, v)| v).collect();
                    let best = if ascending { values.iter().copied().reduce(f64::min) } else { values.iter().copied().reduce(f64::max) };
                    best.is_some_and(|best| {
                        let improves = if ascending { value < best } else { value > best };
                        let gain = if ascending { best / value } else { value / best };
                        improves && best > 0.0 && value > 0.0 && (gain - 1.0) * 100.0 > t.progression_max_percent
                    })
                })?;
        }

        /// pattern: fires when the player's last `history` values, this one included, are all
        /// round (non-zero multiples of the round multiple) or an arithmetic sequence with a
        /// non-zero step.
        #[test]
        fn pattern_matches_a_naive_model(steps in model_steps(), need in 2usize..6) {
            detection_matches_model(steps, SortDirection::Descending, FlagType::Pattern,
                |t| t.pattern_history = need,
                |h, value, _, t| {
                    let mut last: Vec<f64> = accepted_values(h).map(|(_, v)| v).collect();
                    last.push(value);
                    if last.len() < need {
                        return false;
                    }
                    let last = &last[last.len() - need..];
                    let round = last.iter().all(|v| *v != 0.0 && v % t.pattern_round_multiple == 0.0);
                    let step = last[1] - last[0];
                    let arithmetic = step != 0.0 && last.windows(2).all(|w| w[1] - w[0] == step);
                    round || arithmetic
                })?;
        }
    }

    /// Gaps between steps: mostly seconds, but also jumps of hours and days and steps back in
    /// time (clocks of other nodes, replays), in seconds.
    fn clock_steps() -> impl proptest::strategy::Strategy<Value = i64> {
        use proptest::prelude::*;
        prop_oneof![
            6 => 0i64..200,
            2 => 3_000i64..4_000,
            1 => 86_400i64..400_000,
            2 => -400i64..0,
            1 => -8_000i64..-3_000,
        ]
    }

    proptest::proptest! {
        /// The hour counter against a naive model of its documented rule: every accepted time
        /// kept, counted in the latest minute seen so far (a time older than that counts in it;
        /// one over an hour older is dropped), and the hour being the 60 minutes ending at the
        /// latest minute seen — checked through jumps ahead and steps back in time.
        #[test]
        fn the_hour_counter_matches_a_naive_count(steps in proptest::collection::vec((clock_steps(), proptest::bool::ANY), 1..300)) {
            let mut c = HourCounter::default();
            let mut recorded: Vec<i64> = Vec::new();
            let mut latest: Option<i64> = None;
            let mut at = 1_000_000_000_000i64;
            for (gap_seconds, add) in steps {
                at += gap_seconds * 1_000_000;
                let minute = at.div_euclid(60_000_000);
                let end = latest.map_or(minute, |l: i64| l.max(minute));
                latest = Some(end);
                let naive = recorded.iter().filter(|m| end - **m < 60).count() as u64;
                proptest::prop_assert_eq!(c.in_hour(at), naive);
                if add {
                    c.add(at);
                    if end - minute < 60 {
                        recorded.push(end);
                    }
                }
            }
        }
    }

    #[test]
    fn counters_allow_repeated_deltas_but_not_negative_ones() {
        let b = board(BoardType::Counter);
        let mut d = Detector::new();
        for i in 0..10 {
            let v = run(&mut d, &sub(&b, 1, 1.0, f64::from(i) * 10.0), None);
            assert!(v.detections.is_empty(), "{v:?}");
        }
        assert!(run(&mut d, &sub(&b, 1, -5.0, 200.0), None).fired(FlagType::ImpossibleValue));
    }

    #[test]
    fn rejected_attempts_do_not_count_towards_the_rate_limit_and_queues_stay_bounded() {
        let b = board(BoardType::RunIdentity);
        let mut d = Detector::new();
        for i in 0..100_000 {
            let s = sub(&b, 1, 1e9, f64::from(i) * 0.001);
            let v = run(&mut d, &s, None);
            assert_eq!(v.action, super::super::Action::Reject);
        }
        let track = &d.tracks[&(IdentityId::from_bits(1), b.id)];
        assert!(track.accepted.is_empty() && track.recent.is_empty() && track.history.is_empty());
        assert!(std::mem::size_of::<Track>() < 1024, "a track's size does not depend on the rate");
    }
}
