#!/usr/bin/env bash
# Anti-cheat on vs off, alternating, on SQLite: benches/http/ab.sh [pairs] [duration-seconds]
# Runs benches/http/run.sh (SQLITE_ONLY) with ANTI_CHEAT=off then on, `pairs` times, and prints
# one Markdown row per run (throughput, latency percentiles, server CPU per request) and the
# median of the on/off ratios over the pairs — alternating and taking medians of paired ratios
# because run-to-run noise on a shared 2-core machine is larger than the effect measured.
# Other variables (RATE, CONNS, VALUE_MIN, VALUE_MAX, PLAYERS) pass through to run.sh; the
# defaults here are the narrow value range that keeps the progression detection quiet.
set -euo pipefail
cd "$(dirname "$0")/../.."
PAIRS="${1:-6}"
DURATION="${2:-15}"
export VALUE_MIN="${VALUE_MIN:-900000}" VALUE_MAX="${VALUE_MAX:-1000000}" SQLITE_ONLY=1
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
echo "| run | anti-cheat | req/s | p50 | p90 | p99 | server CPU/req |"
echo "|---|---|---:|---:|---:|---:|---:|"
run=0
for _ in $(seq "$PAIRS"); do
  for mode in off on; do
    run=$((run + 1))
    # run.sh itself stops on error answers and checks the game's anti-cheat is as asked.
    if ! ANTI_CHEAT=$mode benches/http/run.sh "$DURATION" "${CONNS:-64}" > "$OUT" 2>&1; then
      echo "run $run (anti-cheat $mode) failed:" >&2; cat "$OUT" >&2; exit 1
    fi
    # The measured run is the second wrk run in the output.
    rps=$(grep "Requests/sec" "$OUT" | tail -1 | awk '{print $2}')
    p50=$(grep " 50% " "$OUT" | tail -1 | awk '{print $2}')
    p90=$(grep " 90% " "$OUT" | tail -1 | awk '{print $2}')
    p99=$(grep " 99% " "$OUT" | tail -1 | awk '{print $2}')
    cpu=$(grep "server CPU per request" "$OUT" | awk '{print $5}')
    echo "| $run | $mode | $rps | $p50 | $p90 | $p99 | $cpu µs |"
    echo "$mode $rps $p50 $p90 $p99 $cpu" >> "$OUT.all"
  done
done
python3 benches/http/summary.py "$OUT.all"
rm -f "$OUT.all"
