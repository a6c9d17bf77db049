"""Summarises alternating anti-cheat off/on runs (used by ab.sh and toggle.sh).

Input: one line per run, "mode req/s p50 p90 p99 [cpu-µs]", modes alternating off, on.
Prints each mode's median and the median of the paired on/off ratios, per column: the paired
ratio cancels slow drifts of a shared machine, the per-mode median shows the levels.
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
pairs = [(off, on) for off, on in zip(rows[0::2], rows[1::2]) if off[0] == "off" and on[0] == "on"]
names = ["req/s", "p50 ms", "p90 ms", "p99 ms", "CPU µs/req"]
print()
for i, name in enumerate(names, start=1):
    if any(len(r) <= i for off, on in pairs for r in (off, on)):
        continue
    off = statistics.median(value(o[i]) for o, _ in pairs)
    on = statistics.median(value(n[i]) for _, n in pairs)
    ratio = statistics.median(value(n[i]) / value(o[i]) - 1 for o, n in pairs) * 100
    print(f"{name}: median off {off:.2f}, on {on:.2f} ({(on / off - 1) * 100:+.1f}%); "
          f"median of {len(pairs)} paired on/off ratios {ratio:+.1f}%")
