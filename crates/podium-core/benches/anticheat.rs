//! The cost of judging one submission: every detection, on the state the HTTP benchmark builds.
//!
//! `cargo bench -p podium-core --bench anticheat`. 10 000 players submit random values
//! (900 000–1 000 000) to one RUN_IDENTITY board at 15 000 submissions per simulated second,
//! with the thresholds `benches/http/run.sh` uses (nothing refused; `CLUSTER=3` puts the cluster
//! threshold back to its default, and this random traffic then makes clusters all the time);
//! after 400 simulated seconds (every window full: the 300 s duplicate window, the 60 s
//! cluster window, the hour counters in use) it times 3 000 000 more judgements, each one as
//! the server runs it: trust tier, thresholds, evaluate and record. Prints a Markdown row for BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::time::Instant;

use common::{Rng, rss_bytes};
use podium_core::anticheat::{BoardStats, Detector, Submission, Thresholds, trust_tier};
use podium_core::id::IdentityId;
use podium_core::model::anti_cheat::TierThresholds;
use podium_core::model::{AntiCheatSettings, Board, BoardType, SortDirection};

fn all(v: f64) -> Option<TierThresholds> {
    Some(TierThresholds { a: Some(v), b: Some(v), c: Some(v) })
}

fn main() {
    const PLAYERS: u64 = 10_000;
    const RATE: i64 = 15_000;
    let board = Board::unsaved(BoardType::RunIdentity, SortDirection::Descending, None, None);
    let settings = AntiCheatSettings {
        rate_limit_per_hour: all(1_000_000.0),
        velocity_min_seconds: all(0.000_001),
        cluster_min_identities: Some(std::env::var("CLUSTER").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000.0)),
        ..AntiCheatSettings::default()
    };
    let stats = Some(BoardStats { count: PLAYERS as usize, median: 950_000.0, q1: 925_000.0, q3: 975_000.0 });
    let created = 0i64;
    let mut detector = Detector::new();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut at = 24 * 3600 * 1_000_000i64; // every player is a day old: tier B once it has 5 accepted
    let mut flagged = 0u64;
    let step = |detector: &mut Detector, rng: &mut Rng, at: &mut i64| {
        *at += 1_000_000 / RATE;
        let identity = IdentityId::from_bits(u128::from(rng.next() % PLAYERS) + 1);
        let value = (900_000 + rng.next() % 100_001) as f64;
        let tier = trust_tier(None, created, detector.accepted_total(identity), *at);
        let sub = Submission {
            identity,
            board: &board,
            value,
            at_micros: *at,
            thresholds: Thresholds::resolve(&settings, tier),
        };
        detector.judge(&sub, stats).detections.len()
    };
    let before = rss_bytes();
    for _ in 0..(400 * RATE) {
        step(&mut detector, &mut rng, &mut at);
    }
    let bytes = rss_bytes().saturating_sub(before);
    let ops = 3_000_000u64;
    let t = Instant::now();
    for _ in 0..ops {
        flagged += step(&mut detector, &mut rng, &mut at) as u64;
    }
    let ns = t.elapsed().as_secs_f64() * 1e9 / ops as f64;
    println!("| judge one submission (all eight detections) | {PLAYERS} players, {RATE}/s | {ns:.0} ns |");
    println!(
        "| state after 400 s | {} tracks | {:.1} MiB ({:.0} B per player) |",
        detector.tracked(),
        bytes as f64 / (1 << 20) as f64,
        bytes as f64 / PLAYERS as f64
    );
    println!("(detections fired while timed: {flagged}, of {ops})");
}
