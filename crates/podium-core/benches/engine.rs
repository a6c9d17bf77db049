//! Ranking engine against Redis sorted sets, measured in one run on the same machine.
//!
//! `cargo bench -p podium-core --bench engine` (sizes: `PODIUM_BENCH_SIZES`, default
//! `1000000,10000000`; Redis: `PODIUM_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`).
//! Prints a Markdown table for BENCHMARKS.md. Keys are random values (0–1 000 000) with random
//! times, the worst case for caches; every operation targets a random entry.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::time::{Duration, Instant};

use common::{Rng, rss_bytes};
use podium_core::model::SortDirection;
use podium_core::ranking::{RankKey, Ranking};

fn per_op(d: Duration, ops: usize) -> f64 {
    d.as_secs_f64() * 1e9 / ops as f64
}

struct Row {
    op: &'static str,
    engine_ns: f64,
    redis_ns: Option<f64>,
}

fn bench_engine(n: usize, ops: usize) -> (Vec<Row>, f64, Vec<(f64, i64, u128)>) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut entries: Vec<(f64, i64, u128)> =
        (0..n).map(|i| ((rng.next() % 1_000_000) as f64, (rng.next() % 1_000_000_000) as i64, i as u128)).collect();
    let key = |e: &(f64, i64, u128)| RankKey::new(e.0, SortDirection::Descending, e.1, e.2);

    let before = rss_bytes();
    let t = Instant::now();
    let mut ranking = Ranking::new();
    for e in &entries {
        ranking.insert(key(e));
    }
    let insert = per_op(t.elapsed(), n);
    let bytes_per_entry = rss_bytes().saturating_sub(before) as f64 / n as f64;

    let targets: Vec<usize> = (0..ops).map(|_| (rng.next() % n as u64) as usize).collect();
    let t = Instant::now();
    let mut sink = 0usize;
    for &i in &targets {
        sink += ranking.rank(&key(&entries[i])).unwrap();
    }
    let rank = per_op(t.elapsed(), ops);

    let t = Instant::now();
    for &i in &targets {
        let old = entries[i];
        let new = ((rng.next() % 1_000_000) as f64, old.1 + 1, old.2);
        ranking.update(Some(&key(&old)), key(&new));
        entries[i] = new;
    }
    let update = per_op(t.elapsed(), ops);

    let t = Instant::now();
    for _ in 0..ops {
        sink += ranking.top(10).keys.len();
    }
    let top = per_op(t.elapsed(), ops);

    let t = Instant::now();
    for &i in &targets {
        sink += ranking.around_key(&key(&entries[i]), 11).unwrap().keys.len();
    }
    let around = per_op(t.elapsed(), ops);
    assert!(sink > 0);
    let rows = vec![
        Row { op: "insert", engine_ns: insert, redis_ns: None },
        Row { op: "update", engine_ns: update, redis_ns: None },
        Row { op: "rank", engine_ns: rank, redis_ns: None },
        Row { op: "top-10", engine_ns: top, redis_ns: None },
        Row { op: "around (11)", engine_ns: around, redis_ns: None },
    ];
    (rows, bytes_per_entry, entries)
}

/// The same operations on a Redis sorted set, pipelined in batches of 1000 commands.
fn bench_redis(url: &str, entries: &[(f64, i64, u128)], ops: usize) -> Option<(Vec<f64>, f64)> {
    let client = redis::Client::open(url).ok()?;
    let mut con = client.get_connection().ok()?;
    let zkey = format!("podium-bench:{}", std::process::id());
    let used = |con: &mut redis::Connection| -> f64 {
        let info: String = redis::cmd("INFO").arg("memory").query(con).unwrap_or_default();
        info.lines().find_map(|l| l.strip_prefix("used_memory:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0.0)
    };
    let _: () = redis::cmd("DEL").arg(&zkey).query(&mut con).ok()?;
    let before = used(&mut con);
    let member = |id: u128| format!("{id:x}");
    const BATCH: usize = 1000;

    let t = Instant::now();
    for chunk in entries.chunks(BATCH) {
        let mut p = redis::pipe();
        for e in chunk {
            p.cmd("ZADD").arg(&zkey).arg(e.0).arg(member(e.2)).ignore();
        }
        let _: () = p.query(&mut con).ok()?;
    }
    let insert = per_op(t.elapsed(), entries.len());
    let bytes = (used(&mut con) - before) / entries.len() as f64;

    let mut rng = Rng(42);
    let targets: Vec<usize> = (0..ops).map(|_| (rng.next() % entries.len() as u64) as usize).collect();
    let timed = |con: &mut redis::Connection, build: &dyn Fn(&mut redis::Pipeline, usize)| -> Option<f64> {
        let t = Instant::now();
        for chunk in targets.chunks(BATCH) {
            let mut p = redis::pipe();
            for &i in chunk {
                build(&mut p, i);
            }
            let _: redis::Value = p.query(con).ok()?;
        }
        Some(per_op(t.elapsed(), targets.len()))
    };
    let update = timed(&mut con, &|p, i| {
        p.cmd("ZADD").arg(&zkey).arg((i % 1_000_000) as f64).arg(member(entries[i].2));
    })?;
    let rank = timed(&mut con, &|p, i| {
        p.cmd("ZREVRANK").arg(&zkey).arg(member(entries[i].2));
    })?;
    let top = timed(&mut con, &|p, _| {
        p.cmd("ZREVRANGE").arg(&zkey).arg(0).arg(9);
    })?;
    // Around needs the rank first, then the range: two round trips per batch.
    let t = Instant::now();
    for chunk in targets.chunks(BATCH) {
        let mut p = redis::pipe();
        for &i in chunk {
            p.cmd("ZREVRANK").arg(&zkey).arg(member(entries[i].2));
        }
        let ranks: Vec<Option<i64>> = p.query(&mut con).ok()?;
        let mut p = redis::pipe();
        for r in ranks.into_iter().flatten() {
            p.cmd("ZREVRANGE").arg(&zkey).arg((r - 5).max(0)).arg(r + 5);
        }
        let _: redis::Value = p.query(&mut con).ok()?;
    }
    let around = per_op(t.elapsed(), targets.len());
    let _: () = redis::cmd("DEL").arg(&zkey).query(&mut con).ok()?;
    Some((vec![insert, update, rank, top, around], bytes))
}

fn main() {
    let sizes: Vec<usize> = std::env::var("PODIUM_BENCH_SIZES")
        .unwrap_or_else(|_| "1000000,10000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let url = std::env::var("PODIUM_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let ops = 200_000;
    println!("| entries | operation | podium engine | Redis sorted set (pipelined) | Redis ÷ engine |");
    println!("|---:|---|---:|---:|---:|");
    for n in sizes {
        let (mut rows, bytes, entries) = bench_engine(n, ops);
        let redis = bench_redis(&url, &entries, ops);
        if let Some((times, _)) = &redis {
            for (row, t) in rows.iter_mut().zip(times) {
                row.redis_ns = Some(*t);
            }
        }
        for row in &rows {
            let (redis, ratio) = match row.redis_ns {
                Some(r) => (format!("{:.0} ns", r), format!("{:.1}×", r / row.engine_ns)),
                None => ("n/a (Redis unreachable)".into(), "–".into()),
            };
            println!("| {n} | {} | {:.0} ns | {redis} | {ratio} |", row.op, row.engine_ns);
        }
        let redis_bytes = redis.map_or("n/a".into(), |(_, b)| format!("{b:.0} B"));
        println!("| {n} | memory per entry | {bytes:.0} B | {redis_bytes} | |");
    }
}
