//! A game's overrides of the anti-cheat thresholds (game-boards spec §5). Every key is
//! optional; an absent key means "use the default for the identity's trust tier". The
//! detections themselves live with the scoring pipeline; this type only holds and validates
//! the configuration so that a bad value is refused (422) when the game is saved.

use serde::{Deserialize, Serialize};

use crate::error::FieldCode;
use crate::error::FieldErrors;

/// One threshold per trust tier; absent tiers use the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierThresholds {
    /// Tier A (trusted, set by an admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a: Option<f64>,
    /// Tier B (established).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<f64>,
    /// Tier C (new).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c: Option<f64>,
}

/// Per-game anti-cheat overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AntiCheatSettings {
    /// `rate_limit`: most accepted submissions per identity and board in a sliding hour
    /// (defaults 100 / 50 / 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_hour: Option<TierThresholds>,
    /// `velocity`: least seconds between an identity's submissions to a board (2 / 2 / 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub velocity_min_seconds: Option<TierThresholds>,
    /// `duplicate`: window in seconds for an identical value (300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_window_seconds: Option<f64>,
    /// `outlier`: robust z-score above which a value is anomalous (4.0 / 3.0 / 2.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlier_z_score: Option<TierThresholds>,
    /// `outlier`: entries a board needs before the check applies (10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlier_min_entries: Option<f64>,
    /// `progression`: largest improvement over the previous best, in percent (500 / 300 / 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progression_max_percent: Option<TierThresholds>,
    /// `pattern`: how many recent values are inspected (5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern_history: Option<f64>,
    /// `pattern`: what counts as a round value (multiples of 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern_round_multiple: Option<f64>,
    /// `cluster`: distinct identities with the identical value (3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_min_identities: Option<f64>,
    /// `cluster`: window in seconds (60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_window_seconds: Option<f64>,
    /// `impossible_value`: accept negative deltas on COUNTER boards (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_negative_counter_deltas: Option<bool>,
}

impl AntiCheatSettings {
    /// Records a field error for every value that is not usable: thresholds must be finite
    /// and positive, counts whole numbers of at least 1.
    pub fn validate(&self, errors: &mut FieldErrors, field: &str) {
        let positive = |v: f64| v.is_finite() && v > 0.0;
        let count = |v: f64| v.is_finite() && v >= 1.0 && v.fract() == 0.0 && v <= 1_000_000.0;
        let mut check = |name: &str, value: Option<f64>, ok: &dyn Fn(f64) -> bool| {
            if let Some(v) = value
                && !ok(v)
            {
                errors.add(format!("{field}.{name}"), FieldCode::OutOfRange);
            }
        };
        let tiers = |t: &Option<TierThresholds>| t.map(|t| [("a", t.a), ("b", t.b), ("c", t.c)]);
        for (name, value, is_count) in [
            ("rate_limit_per_hour", &self.rate_limit_per_hour, true),
            ("velocity_min_seconds", &self.velocity_min_seconds, false),
            ("outlier_z_score", &self.outlier_z_score, false),
            ("progression_max_percent", &self.progression_max_percent, false),
        ] {
            for (tier, v) in tiers(value).into_iter().flatten() {
                check(&format!("{name}.{tier}"), v, if is_count { &count } else { &positive });
            }
        }
        check("duplicate_window_seconds", self.duplicate_window_seconds, &positive);
        check("outlier_min_entries", self.outlier_min_entries, &count);
        check("pattern_history", self.pattern_history, &|v| count(v) && (2.0..=100.0).contains(&v));
        check("pattern_round_multiple", self.pattern_round_multiple, &positive);
        check("cluster_min_identities", self.cluster_min_identities, &|v| count(v) && v >= 2.0);
        check("cluster_window_seconds", self.cluster_window_seconds, &positive);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(serde_json::from_str::<AntiCheatSettings>(r#"{"nope": 1}"#).is_err());
        let s: AntiCheatSettings =
            serde_json::from_str(r#"{"rate_limit_per_hour": {"c": 0.5}, "outlier_z_score": {"a": -1}}"#).unwrap();
        let mut e = FieldErrors::new();
        s.validate(&mut e, "anti_cheat");
        assert!(e.fields().contains_key("anti_cheat.rate_limit_per_hour.c"));
        assert!(e.fields().contains_key("anti_cheat.outlier_z_score.a"));
    }

    #[test]
    fn sensible_overrides_pass() {
        let s: AntiCheatSettings =
            serde_json::from_str(r#"{"rate_limit_per_hour": {"c": 10}, "duplicate_window_seconds": 60}"#).unwrap();
        let mut e = FieldErrors::new();
        s.validate(&mut e, "anti_cheat");
        assert!(e.is_empty(), "{e:?}");
    }
}
