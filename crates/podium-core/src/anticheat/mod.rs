//! Anti-cheat detections (game-boards spec §5), as pure code over in-memory state: the eight
//! detections, the thresholds per trust tier with a game's overrides, and the rule that the
//! most severe action wins. [`Detector`] holds the per-identity and per-board counters the
//! detections need, each updated in O(1) amortised (bounded queues) so that no submission
//! scans a table; [`BoardStats`] (median and quartiles of a board's live values) comes from the
//! ranking engine in O(log n). [`sim`] measures precision and recall on simulated players.
//!
//! The detector does not decide what a flag does to an entry or store anything: the scoring
//! pipeline asks it for a [`Verdict`], acts on the action, then tells it what was accepted.

mod detector;
pub mod sim;

use serde::Serialize;

pub use detector::{Attempt, Detector, Submission};

use crate::model::{AntiCheatSettings, TrustTier};
pub use crate::model::{Confidence, FlagType};

/// What happens to a submission, from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Accepted, entry `active`.
    Accept,
    /// Accepted, entry `active`, a flag recorded for analysis.
    Log,
    /// Accepted and ranked, entry `under_review`, a pending flag.
    Flag,
    /// Not ranked; the client gets 403.
    Reject,
}

impl Confidence {
    /// The action a detection of this confidence calls for.
    pub fn action(self) -> Action {
        match self {
            Self::High => Action::Reject,
            Self::Medium => Action::Flag,
            Self::Low => Action::Log,
        }
    }
}

/// One detection that fired, with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// Which detection.
    pub flag_type: FlagType,
    /// How sure.
    pub confidence: Confidence,
    /// What it observed, against which threshold, over which window.
    pub evidence: serde_json::Value,
}

/// Every detection that fired and the resulting action (the most severe).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The action.
    pub action: Action,
    /// What fired (empty when accepted cleanly).
    pub detections: Vec<Detection>,
}

impl Verdict {
    /// Builds a verdict: the most severe action among the detections wins.
    pub fn of(detections: Vec<Detection>) -> Self {
        let action = detections.iter().map(|d| d.confidence.action()).max().unwrap_or(Action::Accept);
        Self { action, detections }
    }

    /// Whether `flag_type` fired.
    pub fn fired(&self, flag_type: FlagType) -> bool {
        self.detections.iter().any(|d| d.flag_type == flag_type)
    }
}

/// A board's live distribution, summarised for the outlier detection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoardStats {
    /// Ranked entries.
    pub count: usize,
    /// Median value.
    pub median: f64,
    /// First quartile.
    pub q1: f64,
    /// Third quartile.
    pub q3: f64,
}

/// The thresholds in force for one trust tier of one game.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// `rate_limit`: most accepted submissions per identity and board in a sliding hour.
    pub rate_limit_per_hour: u32,
    /// `velocity`: least seconds since the identity's previous submission to the board.
    pub velocity_min_seconds: f64,
    /// `duplicate`: window for an identical value.
    pub duplicate_window_seconds: f64,
    /// `outlier`: robust z-score limit.
    pub outlier_z_score: f64,
    /// `outlier`: entries needed before the check applies.
    pub outlier_min_entries: u32,
    /// `progression`: largest improvement over the previous best, in percent.
    pub progression_max_percent: f64,
    /// `pattern`: values inspected.
    pub pattern_history: usize,
    /// `pattern`: what counts as round.
    pub pattern_round_multiple: f64,
    /// `cluster`: distinct identities with the identical value.
    pub cluster_min_identities: u32,
    /// `cluster`: window.
    pub cluster_window_seconds: f64,
    /// `impossible_value`: whether COUNTER deltas may be negative.
    pub allow_negative_counter_deltas: bool,
}

fn tiered(t: Option<crate::model::anti_cheat::TierThresholds>, tier: TrustTier, defaults: [f64; 3]) -> f64 {
    let [a, b, c] = defaults;
    match tier {
        TrustTier::A => t.and_then(|t| t.a).unwrap_or(a),
        TrustTier::B => t.and_then(|t| t.b).unwrap_or(b),
        TrustTier::C => t.and_then(|t| t.c).unwrap_or(c),
    }
}

impl Thresholds {
    /// The spec's defaults for `tier`, with the game's overrides applied.
    pub fn resolve(settings: &AntiCheatSettings, tier: TrustTier) -> Self {
        let s = settings;
        Self {
            rate_limit_per_hour: tiered(s.rate_limit_per_hour, tier, [100.0, 50.0, 20.0]) as u32,
            velocity_min_seconds: tiered(s.velocity_min_seconds, tier, [2.0, 2.0, 5.0]),
            duplicate_window_seconds: s.duplicate_window_seconds.unwrap_or(300.0),
            outlier_z_score: tiered(s.outlier_z_score, tier, [4.0, 3.0, 2.5]),
            outlier_min_entries: s.outlier_min_entries.unwrap_or(10.0) as u32,
            progression_max_percent: tiered(s.progression_max_percent, tier, [500.0, 300.0, 200.0]),
            pattern_history: s.pattern_history.unwrap_or(5.0) as usize,
            pattern_round_multiple: s.pattern_round_multiple.unwrap_or(1000.0),
            cluster_min_identities: s.cluster_min_identities.unwrap_or(3.0) as u32,
            cluster_window_seconds: s.cluster_window_seconds.unwrap_or(60.0),
            allow_negative_counter_deltas: s.allow_negative_counter_deltas.unwrap_or(false),
        }
    }
}

/// Microseconds in a day: identities younger than this are tier C.
pub const NEW_IDENTITY_MICROS: i64 = 24 * 3600 * 1_000_000;
/// Accepted submissions an identity needs to leave tier C.
pub const ESTABLISHED_SUBMISSIONS: u64 = 5;

/// The trust tier of an identity (spec §5): an admin's override, else `C` while younger than
/// 24 h or with fewer than 5 accepted submissions, else `B`.
pub fn trust_tier(override_tier: Option<TrustTier>, created_micros: i64, accepted: u64, now_micros: i64) -> TrustTier {
    match override_tier {
        Some(t) => t,
        None if now_micros - created_micros < NEW_IDENTITY_MICROS || accepted < ESTABLISHED_SUBMISSIONS => TrustTier::C,
        None => TrustTier::B,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_severe_action_wins() {
        let d = |flag_type, confidence| Detection { flag_type, confidence, evidence: serde_json::Value::Null };
        assert_eq!(Verdict::of(vec![]).action, Action::Accept);
        let v = Verdict::of(vec![d(FlagType::Pattern, Confidence::Low), d(FlagType::Velocity, Confidence::Medium)]);
        assert_eq!(v.action, Action::Flag);
        let v = Verdict::of(vec![d(FlagType::Velocity, Confidence::Medium), d(FlagType::RateLimit, Confidence::High)]);
        assert_eq!(v.action, Action::Reject);
        assert!(v.fired(FlagType::Velocity) && v.fired(FlagType::RateLimit) && !v.fired(FlagType::Cluster));
    }

    #[test]
    fn tiers_follow_age_submissions_and_overrides() {
        let day = NEW_IDENTITY_MICROS;
        assert_eq!(trust_tier(None, 0, 100, day - 1), TrustTier::C);
        assert_eq!(trust_tier(None, 0, 4, 2 * day), TrustTier::C);
        assert_eq!(trust_tier(None, 0, 5, 2 * day), TrustTier::B);
        assert_eq!(trust_tier(Some(TrustTier::A), 0, 0, 0), TrustTier::A);
        assert_eq!(trust_tier(Some(TrustTier::C), 0, 100, 2 * day), TrustTier::C);
    }

    #[test]
    fn overrides_replace_only_what_they_name() {
        let s: AntiCheatSettings = serde_json::from_str(r#"{"rate_limit_per_hour": {"c": 7}}"#).unwrap();
        assert_eq!(Thresholds::resolve(&s, TrustTier::C).rate_limit_per_hour, 7);
        assert_eq!(Thresholds::resolve(&s, TrustTier::B).rate_limit_per_hour, 50);
        let d = Thresholds::resolve(&AntiCheatSettings::default(), TrustTier::A);
        assert_eq!((d.rate_limit_per_hour, d.velocity_min_seconds, d.outlier_z_score), (100, 2.0, 4.0));
        assert_eq!((d.duplicate_window_seconds, d.cluster_min_identities), (300.0, 3));
    }
}
