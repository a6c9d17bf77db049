#!/usr/bin/env bash
# Anti-cheat on vs off on ONE server: benches/http/toggle.sh [rounds] [seconds-per-run] [connections]
# Starts the server on SQLite with one board, warms it up, then runs wrk `rounds` times with
# anti-cheat off and on in turn (PATCH /v1/games/{id} {"anti_cheat_enabled": …} between runs),
# each run `seconds-per-run` long. Same process, same database, same caches: only the judging
# differs, and short alternating runs spread the shared machine's slow phases over both modes.
# Prints one row per run and the medians of each mode. Thresholds as in run.sh (ANTI_CHEAT=on).
# Stops with an error on any non-2xx answer or socket error, and when a switch did not take (the
# game is read back after each PATCH).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${1:-12}"
SECS="${2:-5}"
CONNS="${3:-64}"
export PLAYERS="${PLAYERS:-10000}" VALUE_MIN="${VALUE_MIN:-900000}" VALUE_MAX="${VALUE_MAX:-1000000}"
. benches/http/lib.sh
bench_prepare
port=18182
bench_server "$BIN" "$WORK" "$port" "sqlite://$WORK/bench.db"
export BOARD
read -r game BOARD <<< "$(bench_board "$port" "$AC_BENCH")"
url="http://127.0.0.1:$port/v1/score-events"
echo "warm-up: 20 s, anti-cheat on (identities created, detector state filled)"
wrk -t2 -c"$CONNS" -d20s -s benches/http/submit.lua "$url" > "$WORK/out"
bench_check_2xx "$WORK/out"
grep -E "Requests/sec" "$WORK/out"
echo "| run | anti-cheat | req/s | p50 | p90 | p99 |"
echo "|---|---|---:|---:|---:|---:|"
: > "$WORK/all"
for i in $(seq "$ROUNDS"); do
  for mode in off on; do
    enabled=false; [ "$mode" = on ] && enabled=true
    curl -sf -H "leadr-api-key: $KEY" -H 'content-type: application/json' -X PATCH \
      "127.0.0.1:$port/v1/games/$game" -d "{\"anti_cheat_enabled\":$enabled}" >/dev/null
    if [ "$(bench_game_anti_cheat "$port" "$game")" != "$enabled" ]; then
      echo "the switch to anti-cheat $mode did not take" >&2; exit 1
    fi
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s benches/http/submit.lua "$url" > "$WORK/out"
    bench_check_2xx "$WORK/out"
    row="$(awk '/Requests\/sec/ {r=$2} / 50% / {a=$2} / 90% / {b=$2} / 99% / {c=$2} END {print r, a, b, c}' "$WORK/out")"
    echo "$mode $row" >> "$WORK/all"
    read -r rps p50 p90 p99 <<< "$row"
    echo "| $i | $mode | $rps | $p50 | $p90 | $p99 |"
  done
done
python3 benches/http/summary.py "$WORK/all"
