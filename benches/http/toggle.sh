#!/usr/bin/env bash
# Anti-cheat on vs off on ONE server: benches/http/toggle.sh [rounds] [seconds-per-run] [connections]
# Starts the server on SQLite with one board, warms it up, then runs wrk `rounds` times with
# anti-cheat off and on in turn (PATCH /v1/games/{id} {"anti_cheat_enabled": …} between runs),
# each run `seconds-per-run` long. Same process, same database, same caches: only the judging
# differs, and short alternating runs spread the shared machine's slow phases over both modes.
# Prints one row per run and the medians of each mode. Thresholds as in run.sh (ANTI_CHEAT=on).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${1:-12}"
SECS="${2:-5}"
CONNS="${3:-64}"
export PLAYERS="${PLAYERS:-10000}" VALUE_MIN="${VALUE_MIN:-900000}" VALUE_MAX="${VALUE_MAX:-1000000}"
export KEY="pdm_bench_key_0123456789abcdef"
cargo build --release -q -p podium
BIN="$PWD/target/release/podium"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
port=18182
(cd "$WORK" && PODIUM_DATABASE_URL="sqlite://$WORK/bench.db" PODIUM_BOOTSTRAP_API_KEY="$KEY" PODIUM_LOG_LEVEL=warn \
   exec "$BIN" serve --listen "127.0.0.1:$port" >/dev/null 2>&1) &
for _ in $(seq 100); do curl -sf "127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done
h=(-s -H "leadr-api-key: $KEY" -H 'content-type: application/json')
id() { sed 's/.*"id":"\([^"]*\)".*/\1/'; }
acc=$(curl "${h[@]}" "127.0.0.1:$port/v1/accounts" -d '{"name":"Bench"}' | id)
ac='"anti_cheat":{"rate_limit_per_hour":{"a":1000000,"b":1000000,"c":1000000},"velocity_min_seconds":{"a":0.000001,"b":0.000001,"c":0.000001},"cluster_min_identities":1000000}'
game=$(curl "${h[@]}" "127.0.0.1:$port/v1/games" -d "{\"account_id\":\"$acc\",\"name\":\"G\",$ac}" | id)
export BOARD
BOARD=$(curl "${h[@]}" "127.0.0.1:$port/v1/boards" -d "{\"game_id\":\"$game\",\"name\":\"B\"}" | id)
url="http://127.0.0.1:$port/v1/score-events"
echo "warm-up: 20 s, anti-cheat on (identities created, detector state filled)"
wrk -t2 -c"$CONNS" -d20s -s benches/http/submit.lua "$url" | grep -E "Requests/sec|Non-2xx" || true
echo "| run | anti-cheat | req/s | p50 | p90 | p99 |"
echo "|---|---|---:|---:|---:|---:|"
: > "$WORK/all"
for i in $(seq "$ROUNDS"); do
  for mode in off on; do
    enabled=false; [ "$mode" = on ] && enabled=true
    curl "${h[@]}" -X PATCH "127.0.0.1:$port/v1/games/$game" -d "{\"anti_cheat_enabled\":$enabled}" >/dev/null
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s benches/http/submit.lua "$url" > "$WORK/out"
    row="$(awk '/Requests\/sec/ {r=$2} / 50% / {a=$2} / 90% / {b=$2} / 99% / {c=$2} END {print r, a, b, c}' "$WORK/out")"
    echo "$mode $row" >> "$WORK/all"
    read -r rps p50 p90 p99 <<< "$row"
    echo "| $i | $mode | $rps | $p50 | $p90 | $p99 |"
  done
done
python3 - "$WORK/all" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
def ms(v):
    return float(v[:-2]) if v.endswith("ms") else float(v[:-2]) / 1000 if v.endswith("us") else float(v[:-1]) * 1000
def med(mode, i, conv):
    return statistics.median(conv(r[i]) for r in rows if r[0] == mode)
print()
for name, i, conv in [("req/s", 1, float), ("p50 ms", 2, ms), ("p90 ms", 3, ms), ("p99 ms", 4, ms)]:
    off, on = med("off", i, conv), med("on", i, conv)
    print(f"median {name}: off {off:.2f}, on {on:.2f} ({(on / off - 1) * 100:+.1f}%)")
PY
