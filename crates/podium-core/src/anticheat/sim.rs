//! Measured efficacy: honest players and cheaters of every kind on a simulated clock, fed in
//! time order through the real [`Detector`] (with board statistics from the real ranking
//! engine), counting per detection its precision, its recall on its own kind of cheat, and its
//! false-positive rate on honest traffic. `podium anticheat-eval` prints the result.
//!
//! The world: one RUN_IDENTITY board, higher is better, integer scores, `max_value` 1 000 000.
//! Honest players have a skill (normal, mean 10 000, sd 2 000), score around it (sd 10%), and
//! come back after exponential pauses (mean 10 minutes, at least 10 s). Half of every group are
//! established players (tier B: 10 days old, 50 earlier submissions), half new (tier C). Each
//! cheater plays honestly except for its cheat; only the cheating submissions carry the cheat's
//! label (for example the spam beyond the hourly limit, the repeats of a value, the third and
//! later identity of a colluding group).

use serde::Serialize;

use super::{Action, BoardStats, Detector, FlagType, Submission, Thresholds, trust_tier};
use crate::id::IdentityId;
use crate::model::{AntiCheatSettings, Board, BoardType, SortDirection, TrustTier};
use crate::ranking::{RankKey, Ranking};

/// Who made a simulated submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Honest,
    /// A cheating submission of this kind.
    Cheat(FlagType),
    /// A cheater's honest-looking submission (counted neither as honest nor as a cheat).
    Cover,
}

#[derive(Debug, Clone, Copy)]
struct Event {
    at: i64,
    player: usize,
    value: f64,
    label: Label,
}

#[derive(Debug, Clone, Copy)]
struct Player {
    created: i64,
    prior_accepted: u64,
}

/// Sizes of a simulation.
#[derive(Debug, Clone, Copy)]
pub struct SimConfig {
    /// Honest players.
    pub honest: usize,
    /// Cheaters of each kind.
    pub cheaters_per_kind: usize,
    /// Simulated hours.
    pub hours: f64,
    /// Random seed.
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self { honest: 2000, cheaters_per_kind: 100, hours: 6.0, seed: 42 }
    }
}

/// One detection's figures.
#[derive(Debug, Clone, Serialize)]
pub struct DetectorRow {
    /// The detection.
    pub flag_type: FlagType,
    /// Cheating submissions of its kind.
    pub cheats: u64,
    /// Of those, how many it fired on.
    pub caught: u64,
    /// Submissions it fired on.
    pub fired: u64,
    /// Of those, how many were cheating (any kind).
    pub fired_on_cheats: u64,
    /// Honest submissions it fired on.
    pub fired_on_honest: u64,
    /// `caught / cheats`.
    pub recall: f64,
    /// `fired_on_cheats / fired` (1 when it never fired).
    pub precision: f64,
    /// `fired_on_honest / honest submissions`.
    pub false_positive_rate: f64,
}

/// The result of a simulation.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Honest submissions.
    pub honest_submissions: u64,
    /// Honest submissions any detection fired on.
    pub honest_flagged: u64,
    /// Honest submissions refused (HIGH).
    pub honest_rejected: u64,
    /// `honest_flagged / honest_submissions`.
    pub false_positive_rate: f64,
    /// Per detection.
    pub detectors: Vec<DetectorRow>,
}

pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        mean + sd * (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    fn pause(&mut self, mean_s: f64) -> i64 {
        ((-mean_s * self.unit().max(1e-12).ln()).max(10.0) * 1e6) as i64
    }
}

const SEC: i64 = 1_000_000;

/// The eight kinds, in the spec's order.
pub const KINDS: [FlagType; 8] = [
    FlagType::RateLimit,
    FlagType::ImpossibleValue,
    FlagType::Velocity,
    FlagType::Duplicate,
    FlagType::Outlier,
    FlagType::Progression,
    FlagType::Pattern,
    FlagType::Cluster,
];

struct World {
    rng: Rng,
    players: Vec<Player>,
    events: Vec<Event>,
    end: i64,
}

impl World {
    fn player(&mut self) -> usize {
        let established = self.players.len().is_multiple_of(2);
        self.players.push(if established {
            Player { created: -10 * 24 * 3600 * SEC, prior_accepted: 50 }
        } else {
            Player { created: 0, prior_accepted: 0 }
        });
        self.players.len() - 1
    }

    fn score(&mut self, skill: f64) -> f64 {
        self.rng.normal(skill, skill * 0.1).round().max(1.0)
    }

    /// An honest career from `start`: returns the times and values it produced.
    fn career(&mut self, p: usize, skill: f64, start: i64, label: Label) -> Vec<(i64, f64)> {
        let mut out = Vec::new();
        let mut at = start;
        while at < self.end {
            let v = self.score(skill);
            self.events.push(Event { at, player: p, value: v, label });
            out.push((at, v));
            at += self.rng.pause(600.0);
        }
        out
    }

    fn push(&mut self, at: i64, player: usize, value: f64, label: Label) {
        self.events.push(Event { at, player, value, label });
    }

    fn cheater(&mut self, kind: FlagType) {
        let p = self.player();
        let skill = self.rng.normal(10_000.0, 2_000.0).max(1_000.0);
        let start = (self.rng.unit() * (self.end as f64 * 0.5)) as i64;
        let limit = if self.players[p].prior_accepted > 0 { 50 } else { 20 };
        match kind {
            FlagType::RateLimit => {
                // Spam every 30 s for an hour: beyond the hourly limit, every one cheats.
                for i in 0..120 {
                    let v = self.score(skill);
                    let label = if i >= limit { Label::Cheat(kind) } else { Label::Cover };
                    self.push(start + i * 30 * SEC, p, v, label);
                }
            }
            FlagType::ImpossibleValue => {
                let history = self.career(p, skill, start, Label::Cover);
                let at = history.last().map_or(start, |(t, _)| *t) + 30 * SEC;
                let v = 1_000_000.0 + self.rng.unit() * 1e9;
                self.push(at, p, v, Label::Cheat(kind));
            }
            FlagType::Velocity => {
                // A bot firing a run a second.
                for i in 0..10 {
                    let v = self.score(skill);
                    let label = if i == 0 { Label::Cover } else { Label::Cheat(kind) };
                    self.push(start + i * SEC, p, v, label);
                }
            }
            FlagType::Duplicate => {
                // Replays its run a minute or two later.
                let v = self.score(skill);
                self.push(start, p, v, Label::Cover);
                for i in 1..4 {
                    let later = start + i * (60 + (self.rng.unit() * 60.0) as i64) * SEC;
                    self.push(later, p, v, Label::Cheat(kind));
                }
            }
            FlagType::Outlier => {
                // A first score far beyond anyone's reach.
                let v = (skill * 1.5).max(25_000.0) + self.rng.unit() * 10_000.0;
                self.push(start, p, v.round(), Label::Cheat(kind));
            }
            FlagType::Progression => {
                let mut at = start;
                for _ in 0..3 {
                    let v = self.score(skill * 0.5);
                    self.push(at, p, v, Label::Cover);
                    at += self.rng.pause(600.0);
                }
                let v = (skill * 0.5 * 8.0).round();
                self.push(at, p, v, Label::Cheat(kind));
            }
            FlagType::Pattern => {
                // A script posting round numbers.
                let mut at = start;
                for i in 0..10 {
                    let v = ((skill / 1000.0).round() + f64::from((self.rng.next() % 5) as u32)) * 1000.0;
                    let label = if i >= 4 { Label::Cheat(kind) } else { Label::Cover };
                    self.push(at, p, v, label);
                    at += self.rng.pause(600.0);
                }
            }
            FlagType::Cluster => {
                // A ring of four accounts posting the same score within half a minute.
                let v = self.score(skill);
                self.push(start, p, v, Label::Cover);
                for i in 1..4 {
                    let q = self.player();
                    let label = if i >= 2 { Label::Cheat(kind) } else { Label::Cover };
                    self.push(start + i * 10 * SEC, q, v, label);
                }
            }
        }
    }
}

/// Runs a simulation.
pub fn evaluate(config: SimConfig) -> EvalReport {
    let end = (config.hours * 3600.0 * 1e6) as i64;
    let mut w = World { rng: Rng(config.seed.max(1)), players: Vec::new(), events: Vec::new(), end };
    for _ in 0..config.honest {
        let p = w.player();
        let skill = w.rng.normal(10_000.0, 2_000.0).max(1_000.0);
        let start = (w.rng.unit() * 1800.0 * 1e6) as i64;
        w.career(p, skill, start, Label::Honest);
    }
    for kind in KINDS {
        for _ in 0..config.cheaters_per_kind {
            w.cheater(kind);
        }
    }
    w.events.sort_by_key(|e| (e.at, e.player));

    let board = Board::unsaved(BoardType::RunIdentity, SortDirection::Descending, None, Some(1_000_000.0));
    let settings = AntiCheatSettings::default();
    let mut detector = Detector::new();
    let mut ranking = Ranking::new();
    let mut best: Vec<Option<f64>> = vec![None; w.players.len()];
    let mut accepted: Vec<u64> = w.players.iter().map(|p| p.prior_accepted).collect();
    let mut rows: Vec<DetectorRow> = KINDS
        .iter()
        .map(|k| DetectorRow {
            flag_type: *k,
            cheats: 0,
            caught: 0,
            fired: 0,
            fired_on_cheats: 0,
            fired_on_honest: 0,
            recall: 0.0,
            precision: 0.0,
            false_positive_rate: 0.0,
        })
        .collect();
    let (mut honest, mut honest_flagged, mut honest_rejected) = (0u64, 0u64, 0u64);
    let dir = SortDirection::Descending;
    for e in &w.events {
        let player = w.players[e.player];
        let tier: TrustTier = trust_tier(None, player.created, accepted[e.player], e.at);
        let n = ranking.len();
        let stats = (n > 0).then(|| {
            let at = |q: usize| ranking.at(q.min(n - 1)).map_or(0.0, |k| k.value(dir));
            // Rank order is best first: the first quartile of values sits at 3n/4.
            BoardStats { count: n, median: at(n / 2), q1: at(3 * n / 4), q3: at(n / 4) }
        });
        let s = Submission {
            identity: IdentityId::from_bits(e.player as u128 + 1),
            board: &board,
            value: e.value,
            at_micros: e.at,
            thresholds: Thresholds::resolve(&settings, tier),
        };
        let verdict = detector.evaluate(&s, stats);
        let ok = verdict.action != Action::Reject;
        detector.record(&s, ok);
        if ok {
            accepted[e.player] += 1;
            if best[e.player].is_none_or(|b| e.value > b) {
                let id = e.player as u128 + 1;
                if let Some(old) = best[e.player] {
                    ranking.remove(&RankKey::new(old, dir, 0, id));
                }
                ranking.insert(RankKey::new(e.value, dir, 0, id));
                best[e.player] = Some(e.value);
            }
        }
        if e.label == Label::Honest {
            honest += 1;
            honest_flagged += u64::from(!verdict.detections.is_empty());
            honest_rejected += u64::from(!ok);
        }
        for row in &mut rows {
            let fired = verdict.fired(row.flag_type);
            if e.label == Label::Cheat(row.flag_type) {
                row.cheats += 1;
                row.caught += u64::from(fired);
            }
            if fired {
                row.fired += 1;
                row.fired_on_cheats += u64::from(matches!(e.label, Label::Cheat(_)));
                row.fired_on_honest += u64::from(e.label == Label::Honest);
            }
        }
    }
    let ratio = |a: u64, b: u64, empty: f64| if b == 0 { empty } else { a as f64 / b as f64 };
    for row in &mut rows {
        row.recall = ratio(row.caught, row.cheats, 0.0);
        row.precision = ratio(row.fired_on_cheats, row.fired, 1.0);
        row.false_positive_rate = ratio(row.fired_on_honest, honest, 0.0);
    }
    EvalReport {
        honest_submissions: honest,
        honest_flagged,
        honest_rejected,
        false_positive_rate: ratio(honest_flagged, honest, 0.0),
        detectors: rows,
    }
}

impl EvalReport {
    /// The report as a Markdown table.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "| detection | cheating submissions of its kind | caught | recall | fired | precision | false positives on honest traffic |\n|---|---:|---:|---:|---:|---:|---:|\n",
        );
        for r in &self.detectors {
            out.push_str(&format!(
                "| `{}` | {} | {} | {:.1}% | {} | {:.1}% | {:.3}% |\n",
                r.flag_type.as_str(),
                r.cheats,
                r.caught,
                r.recall * 100.0,
                r.fired,
                r.precision * 100.0,
                r.false_positive_rate * 100.0
            ));
        }
        out.push_str(&format!(
            "\nHonest submissions: {}; any detection fired on {} ({:.3}%); rejected: {}.\n",
            self.honest_submissions,
            self.honest_flagged,
            self.false_positive_rate * 100.0,
            self.honest_rejected
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smaller world than `podium anticheat-eval`'s, same rules: the targets hold.
    #[test]
    fn every_detection_catches_its_own_cheats_and_honest_players_are_rarely_flagged() {
        let report = evaluate(SimConfig { honest: 400, cheaters_per_kind: 30, hours: 4.0, seed: 7 });
        for row in &report.detectors {
            assert!(row.cheats > 0, "{:?} had no cheats to catch", row.flag_type);
            assert!(row.recall >= 0.95, "{:?} recall {:.3}\n{}", row.flag_type, row.recall, report.to_markdown());
        }
        assert!(report.honest_submissions > 5000);
        assert!(report.false_positive_rate <= 0.01, "{}", report.to_markdown());
    }
}
