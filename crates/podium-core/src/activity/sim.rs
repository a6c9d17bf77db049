//! Measured efficacy of the activity rules: honest users and farmers of every kind act for a
//! number of simulated days, and every event goes, in time order, through the real rules
//! ([`Counters::judge`]) under the default policy. `podium activity-sim` prints, per farming
//! kind, the points per day a farmer obtained against the honest ceiling (the most the policy
//! lets any user earn per day from that kind of action), and per fraud rule its recall on its
//! own kind of farmer and its false-positive rate on honest users.
//!
//! Honest users: each day active with probability 0.8; a few DMs to friends minutes apart, room
//! messages seconds to minutes apart, one or two meetups joined for 5–90 minutes, sometimes one
//! hosted (cancelled early one time in twenty), a few games against random people they know
//! with random winners, now and then a friendship or an accepted invite. Farmers act like that
//! too, plus their farming: win traders (a fixed partner, winners alternating, as many games as
//! the cooldown allows), join-leavers (one meetup joined and left every few minutes),
//! create-cancellers (three meetups a day, most cancelled within two minutes), DM farmers (500
//! DMs a day to three accomplices), game farmers (a fixed partner, a game every minute), and
//! bursters (room messages ten a second).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use super::{ActivityFlagType, Counters};
use crate::anticheat::sim::Rng;
use crate::model::activity::{Category, Event, Parsed, Policy};

/// Sizes of a simulation.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Honest users.
    pub honest: usize,
    /// Farmers of each kind.
    pub farmers_per_kind: usize,
    /// Simulated days.
    pub days: u32,
    /// Random seed.
    pub seed: u64,
    /// The policy the rules apply (default: the seed's).
    pub policy: Policy,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self { honest: 1000, farmers_per_kind: 50, days: 7, seed: 42, policy: Policy::default() }
    }
}

/// The farming kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Honest,
    WinTrading,
    JoinLeave,
    CreateCancel,
    DmFarming,
    GameFarming,
    Burst,
}

const FARMING: [Kind; 6] =
    [Kind::WinTrading, Kind::JoinLeave, Kind::CreateCancel, Kind::DmFarming, Kind::GameFarming, Kind::Burst];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Honest => "honest",
            Kind::WinTrading => "win trading",
            Kind::JoinLeave => "join-leave",
            Kind::CreateCancel => "create-cancel",
            Kind::DmFarming => "DM farming",
            Kind::GameFarming => "game farming",
            Kind::Burst => "bursts",
        }
    }

    /// The category the farming aims at, and the rule meant to catch it.
    fn target(self) -> (Category, Option<ActivityFlagType>) {
        match self {
            Kind::WinTrading => (Category::Games, Some(ActivityFlagType::WinTrading)),
            Kind::JoinLeave => (Category::Meetups, Some(ActivityFlagType::RapidJoinLeave)),
            Kind::CreateCancel => (Category::Meetups, Some(ActivityFlagType::CreateCancel)),
            Kind::DmFarming => (Category::Friends, None),
            Kind::GameFarming => (Category::Games, None),
            Kind::Honest | Kind::Burst => (Category::Friends, None),
        }
    }
}

/// The most points per day the policy lets one user earn in `category` from its actions.
fn ceiling(policy: &Policy, category: Category) -> i64 {
    let (w, c) = (&policy.weights, &policy.daily_caps);
    let n = |cap: u32, weight: u32| i64::from(cap) * i64::from(weight);
    match category {
        Category::Friends => {
            n(c.dms, w.dm_sent)
                + n(c.room_messages, w.room_message)
                + n(c.invites_accepted, w.invite_accepted)
                + n(c.new_friends, w.new_friend)
        }
        Category::Meetups => n(c.room_joins, w.meetup_joined) + n(c.room_creations, w.meetup_hosted),
        // Games have no daily cap but the pairs': an honest user's day of ten opponents, two
        // games each, all won.
        Category::Games => {
            10 * i64::from(policy.pair_limits.games_per_opponent) * i64::from(w.game_played + w.game_won)
        }
        Category::Popularity => n(c.unique_senders, w.unique_sender) + n(c.unique_accepters, w.unique_accepter),
    }
}

struct World {
    rng: Rng,
    events: Vec<(DateTime<Utc>, Value)>,
    n: u64,
}

impl World {
    fn push(&mut self, at: DateTime<Utc>, mut body: Value) {
        self.n += 1;
        body["event_id"] = json!(format!("s{}", self.n));
        body["at"] = json!(at.to_rfc3339());
        self.events.push((at, body));
    }

    fn minutes(&mut self, lo: f64, hi: f64) -> Duration {
        Duration::milliseconds(((lo + (hi - lo) * self.rng.unit()) * 60_000.0) as i64)
    }

    fn pick(&mut self, n: usize) -> usize {
        (self.rng.next() % n.max(1) as u64) as usize
    }

    /// One honest day of user `u` (friends: `u ± 1..10` among the `users` honest ones); with
    /// `hosts`, users 0, 50, 100, … also host the day's meetups everyone joins.
    fn honest_day(&mut self, u: usize, users: usize, hosts: bool, start: DateTime<Utc>) {
        let name = |i: usize| format!("u{i}");
        let friend = |w: &mut World| name((u + 1 + w.pick(10)) % users);
        let mut at = start + self.minutes(0.0, 600.0);
        for _ in 0..self.pick(8) {
            let to = friend(self);
            self.push(at, json!({"type": "dm_sent", "from": name(u), "to": to}));
            at += self.minutes(6.0, 40.0);
        }
        let room = format!("chat{}", u % 20);
        let mut at = start + self.minutes(0.0, 600.0);
        for _ in 0..self.pick(20) {
            self.push(at, json!({"type": "room_message", "user": name(u), "room": room}));
            at += self.minutes(0.1, 10.0);
        }
        for _ in 0..1 + self.pick(2) {
            let room = format!("meet{}-{}", start.timestamp(), u % 50);
            let joined = start + self.minutes(0.0, 600.0);
            self.push(joined, json!({"type": "room_joined", "user": name(u), "room": room}));
            let stay = self.minutes(5.0, 90.0);
            self.push(joined + stay, json!({"type": "room_left", "user": name(u), "room": room}));
        }
        if hosts && u.is_multiple_of(50) {
            // This user hosts the day's meetups `meet<day>-<0..49>` the others join.
            for m in 0..50 {
                let room = format!("meet{}-{m}", start.timestamp());
                self.push(
                    start - Duration::minutes(1),
                    json!({"type": "room_created", "host": name(u + m), "room": room}),
                );
                let end = start + Duration::minutes(800);
                if self.rng.unit() < 0.05 {
                    self.push(
                        start + Duration::minutes(2),
                        json!({"type": "room_cancelled", "host": name(u + m), "room": room}),
                    );
                } else {
                    self.push(end, json!({"type": "room_ended", "host": name(u + m), "room": room}));
                }
            }
        }
        let mut at = start + self.minutes(0.0, 600.0);
        for _ in 0..self.pick(5) {
            let other = friend(self);
            let winner = if self.rng.unit() < 0.5 { name(u) } else { other.clone() };
            let (duration, moves) = (60 + self.pick(300), 5 + self.pick(40));
            self.push(at, json!({"type": "game_completed", "players": [name(u), other], "winner": winner, "duration_s": duration, "moves": moves}));
            at += self.minutes(10.0, 90.0);
        }
        if self.rng.unit() < 0.3 {
            let other = name((u + 11 + self.pick(1000)) % users);
            let at = start + self.minutes(0.0, 600.0);
            self.push(at, json!({"type": "friendship_created", "user_a": name(u), "user_b": other}));
        }
        if self.rng.unit() < 0.3 {
            let inviter = friend(self);
            let at = start + self.minutes(0.0, 600.0);
            self.push(at, json!({"type": "invite_accepted", "inviter": inviter, "accepter": name(u)}));
        }
    }

    /// One day of farming by user `f` (its partner `f ^ 1` for pair kinds).
    fn farm_day(&mut self, kind: Kind, f: usize, start: DateTime<Utc>) {
        let (me, partner) = (format!("u{f}"), format!("u{}", f ^ 1));
        match kind {
            Kind::WinTrading => {
                let mut at = start + self.minutes(0.0, 60.0);
                for g in 0..6 {
                    let winner = if g % 2 == 0 { &me } else { &partner };
                    self.push(at, json!({"type": "game_completed", "players": [me, partner], "winner": winner, "duration_s": 45, "moves": 9}));
                    at += Duration::minutes(31);
                }
            }
            Kind::JoinLeave => {
                let room = format!("jl{}-{f}", start.timestamp());
                self.push(start, json!({"type": "room_created", "host": format!("h{f}"), "room": room}));
                let mut at = start + Duration::minutes(1);
                for _ in 0..10 {
                    self.push(at, json!({"type": "room_joined", "user": me, "room": room}));
                    self.push(at + Duration::minutes(2), json!({"type": "room_left", "user": me, "room": room}));
                    at += Duration::minutes(5);
                }
            }
            Kind::CreateCancel => {
                for r in 0..3 {
                    let room = format!("cc{}-{f}-{r}", start.timestamp());
                    let at = start + Duration::minutes(60 * r);
                    self.push(at, json!({"type": "room_created", "host": me, "room": room}));
                    if r < 2 || self.rng.unit() < 0.5 {
                        self.push(
                            at + Duration::minutes(2),
                            json!({"type": "room_cancelled", "host": me, "room": room}),
                        );
                    }
                }
            }
            Kind::DmFarming => {
                let mut at = start;
                for i in 0..500 {
                    let to = format!("acc{}-{}", f, i % 3);
                    self.push(at, json!({"type": "dm_sent", "from": me, "to": to}));
                    at += Duration::seconds(20);
                }
            }
            Kind::GameFarming => {
                let mut at = start;
                for _ in 0..50 {
                    self.push(at, json!({"type": "game_completed", "players": [me, partner], "winner": me, "duration_s": 31, "moves": 3}));
                    at += Duration::minutes(1);
                }
            }
            Kind::Burst => {
                let mut at = start;
                for _ in 0..300 {
                    self.push(at, json!({"type": "room_message", "user": me, "room": "spam"}));
                    at += Duration::milliseconds(100);
                }
            }
            Kind::Honest => {}
        }
    }
}

/// One row of the farming table.
#[derive(Debug, Clone)]
pub struct FarmRow {
    /// The kind.
    pub kind: &'static str,
    /// Its target category.
    pub category: &'static str,
    /// A farmer's mean points per day in it.
    pub farmer: f64,
    /// An honest user's mean points per day in it.
    pub honest: f64,
    /// The most the policy lets a user earn per day in it.
    pub ceiling: i64,
}

/// One row of the fraud-rule table.
#[derive(Debug, Clone)]
pub struct RuleRow {
    /// The rule.
    pub rule: &'static str,
    /// Farmers of its kind flagged by it.
    pub recall: f64,
    /// Honest users flagged by it.
    pub false_positives: f64,
}

/// What a simulation measured.
#[derive(Debug, Clone)]
pub struct SimReport {
    /// The sizes used.
    pub config: SimConfig,
    /// Events judged.
    pub events: usize,
    /// Per farming kind.
    pub farming: Vec<FarmRow>,
    /// Per fraud rule.
    pub rules: Vec<RuleRow>,
}

/// Runs a simulation.
pub fn evaluate(config: SimConfig) -> SimReport {
    let policy = config.policy.clone();
    let mut world = World { rng: Rng(config.seed.max(1)), events: Vec::new(), n: 0 };
    let honest = config.honest.max(50);
    let mut kinds: HashMap<String, Kind> = (0..honest).map(|u| (format!("u{u}"), Kind::Honest)).collect();
    let mut farmers: Vec<(Kind, usize)> = Vec::new();
    let mut next = honest + (honest % 2);
    for kind in FARMING {
        for _ in 0..config.farmers_per_kind {
            farmers.push((kind, next));
            kinds.insert(format!("u{next}"), kind);
            next += 2; // the partner (next ^ 1) is an accomplice, not counted
        }
    }
    let first = Utc.with_ymd_and_hms(2026, 6, 1, 6, 0, 0).single().unwrap_or_else(Utc::now);
    for d in 0..config.days {
        let start = first + Duration::days(i64::from(d));
        for u in 0..honest {
            if world.rng.unit() < 0.8 {
                world.honest_day(u, honest, true, start);
            }
        }
        for &(kind, f) in &farmers {
            world.honest_day(f, honest, false, start);
            world.farm_day(kind, f, start);
        }
    }
    world.events.sort_by_key(|(at, _)| *at);
    let mut counters = Counters::default();
    let mut points: HashMap<(String, Category), i64> = HashMap::new();
    let mut flagged: HashSet<(String, ActivityFlagType)> = HashSet::new();
    for (at, body) in &world.events {
        let Ok(Parsed::Event(event)) = Event::parse(body, *at) else { continue };
        let verdict = counters.judge(&policy, &event);
        for a in &verdict.awards {
            *points.entry((a.user.to_string(), a.category)).or_default() += a.points;
        }
        for f in &verdict.flags {
            flagged.insert((f.user.to_string(), f.flag_type));
        }
    }
    let days = f64::from(config.days.max(1));
    let mean = |kind: Kind, category: Category| {
        let users: Vec<&String> = kinds.iter().filter(|(_, k)| **k == kind).map(|(u, _)| u).collect();
        let total: i64 = users.iter().map(|u| points.get(&((*u).clone(), category)).copied().unwrap_or(0)).sum();
        total as f64 / users.len().max(1) as f64 / days
    };
    let farming = FARMING
        .iter()
        .map(|&kind| {
            let (category, _) = kind.target();
            FarmRow {
                kind: kind.name(),
                category: category.as_str(),
                farmer: mean(kind, category),
                honest: mean(Kind::Honest, category),
                ceiling: ceiling(&policy, category),
            }
        })
        .collect();
    let share = |kind: Kind, rule: ActivityFlagType| {
        let users: Vec<&String> = kinds.iter().filter(|(_, k)| **k == kind).map(|(u, _)| u).collect();
        let hit = users.iter().filter(|u| flagged.contains(&((**u).clone(), rule))).count();
        hit as f64 / users.len().max(1) as f64
    };
    let rules = FARMING
        .iter()
        .filter_map(|&kind| kind.target().1.map(|rule| (kind, rule)))
        .map(|(kind, rule)| RuleRow {
            rule: rule.as_str(),
            recall: share(kind, rule),
            false_positives: share(Kind::Honest, rule),
        })
        .collect();
    SimReport { config, events: world.events.len(), farming, rules }
}

impl SimReport {
    /// The report as Markdown tables.
    pub fn to_markdown(&self) -> String {
        let c = &self.config;
        let mut out = format!(
            "{} honest users, {} farmers of each kind, {} days, seed {}: {} events judged\n\n\
             | farming | category | farmer, points/day | honest user, points/day | honest ceiling | farmer / ceiling |\n|---|---|---:|---:|---:|---:|\n",
            c.honest, c.farmers_per_kind, c.days, c.seed, self.events
        );
        for r in &self.farming {
            out.push_str(&format!(
                "| {} | {} | {:.1} | {:.1} | {} | {:.2} |\n",
                r.kind,
                r.category,
                r.farmer,
                r.honest,
                r.ceiling,
                r.farmer / r.ceiling as f64
            ));
        }
        out.push_str("\n| rule | recall | false positives (honest users flagged) |\n|---|---:|---:|\n");
        for r in &self.rules {
            out.push_str(&format!("| {} | {:.1} % | {:.2} % |\n", r.rule, r.recall * 100.0, r.false_positives * 100.0));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn farmers_stay_under_the_ceiling_and_the_rules_catch_their_own_kind() {
        let report =
            evaluate(SimConfig { honest: 300, farmers_per_kind: 20, days: 4, seed: 7, policy: Policy::default() });
        for r in &report.farming {
            assert!(r.farmer <= r.ceiling as f64, "{} earns {} over {}", r.kind, r.farmer, r.ceiling);
        }
        for r in &report.rules {
            assert!(r.recall >= 0.95, "{}: recall {}", r.rule, r.recall);
            // Win trading, as the contract defines it, also flags honest friends whose random
            // winners happen to alternate four times (docs/activity.md, "Efficacy"): that gap
            // is measured, not hidden; the bound keeps it from growing unnoticed.
            let bound = if r.rule == "win_trading" { 0.15 } else { 0.01 };
            assert!(r.false_positives <= bound, "{}: false positives {}", r.rule, r.false_positives);
        }
    }
}
