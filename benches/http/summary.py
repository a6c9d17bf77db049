"""Summarises alternating runs of two or more modes (used by ab.sh, toggle.sh and nodes.sh).

Input: one line per run, "mode req/s p50 p90 p99 [cpu-µs]", the modes in the same order every
round (off, on or off, notify, redis). The first mode is the baseline. Prints each mode's median
and the median of its paired ratios against the baseline of the same round, per column: the
paired ratio cancels slow drifts of a shared machine, the per-mode median shows the levels.
"""
import statistics
import sys


def value(v):
    """wrk's numbers: plain, or a latency with its unit (us, ms, s), in ms."""
    for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * scale
    return float(v)


rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
modes = list(dict.fromkeys(r[0] for r in rows))
if len(modes) < 2 or len(rows) % len(modes):
    sys.exit(f"expected whole rounds of the modes {modes}, got {len(rows)} runs")
rounds = [rows[i : i + len(modes)] for i in range(0, len(rows), len(modes))]
if any([r[0] for r in rnd] != modes for rnd in rounds):
    sys.exit(f"every round must run the modes in the order {modes}")
names = ["req/s", "p50 ms", "p90 ms", "p99 ms", "CPU µs/req"]
base = modes[0]
print()
for i, name in enumerate(names, start=1):
    if any(len(r) <= i for r in rows):
        continue
    levels = {m: statistics.median(value(rnd[k][i]) for rnd in rounds) for k, m in enumerate(modes)}
    parts = []
    for k, m in enumerate(modes[1:], start=1):
        ratio = statistics.median(value(rnd[k][i]) / value(rnd[0][i]) - 1 for rnd in rounds) * 100
        parts.append(f"{m} {levels[m]:.2f} ({(levels[m] / levels[base] - 1) * 100:+.1f}%; paired {ratio:+.1f}%)")
    print(f"{name}: median {base} {levels[base]:.2f}, " + ", ".join(parts) + f" over {len(rounds)} rounds")
