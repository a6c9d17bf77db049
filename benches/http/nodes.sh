#!/usr/bin/env bash
# Several nodes on PostgreSQL (issue 13): benches/http/nodes.sh [rounds] [seconds-per-run] [connections]
# 1. One node's throughput with shared state off (PODIUM_CHANGE_LOG=false), on and woken by
#    PostgreSQL's NOTIFY, and on and woken through Redis (PODIUM_REDIS_URL), POST
#    /v1/score-events with anti-cheat as in run.sh, alternating `rounds` times, a fresh database
#    and server for each run (5 s warm-up, then `seconds-per-run`); medians per mode and paired
#    ratios against off.
# 2. Two nodes on one database, the load through node A, once woken by NOTIFY and once through
#    Redis: the follower B's CPU per change applied (B serves nothing else), and the
#    convergence lag — a probe submits a new player to A with a top score every ~50 ms and reads
#    B's top entry until it is that player (convergence_probe.py); p50/p99 of submit-answered →
#    seen on B.
# Needs wrk, a PostgreSQL at PODIUM_BENCH_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/postgres) and a Redis at PODIUM_BENCH_REDIS_URL (default
# redis://127.0.0.1:6379). Exits non-zero on any non-2xx answer or a mode that did not take.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${1:-3}"
SECS="${2:-10}"
CONNS="${3:-64}"
export PLAYERS="${PLAYERS:-10000}" CONNS
PG_ADMIN="${PODIUM_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
REDIS="${PODIUM_BENCH_REDIS_URL:-redis://127.0.0.1:6379}"
. benches/http/lib.sh
bench_prepare
fresh_db() {
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS podium_nodes WITH (FORCE)" && psql "$PG_ADMIN" -qc "CREATE DATABASE podium_nodes"
}
DB="${PG_ADMIN%/*}/podium_nodes"
echo "== 1. one node, shared state off / on (NOTIFY) / on (Redis): $ROUNDS rounds, ${SECS}s each, $CONNS connections"
# mode_env MODE: the variables that select it; mode_shows MODE: what /v1/health must then say.
mode_env() {
  case "$1" in
    off) echo PODIUM_CHANGE_LOG=false ;;
    notify) echo PODIUM_CHANGE_LOG=true ;;
    redis) echo PODIUM_CHANGE_LOG=true PODIUM_REDIS_URL="$REDIS" PODIUM_REDIS_PREFIX=podium_bench: ;;
  esac
}
mode_shows() {
  case "$1" in
    off) echo '"shared_state":"in-memory' ;;
    notify) echo '"shared_state":"change log (several nodes)"' ;;
    redis) echo '"shared_state":"change log (several nodes), woken by Redis"' ;;
  esac
}
check_mode() { # PORT MODE
  local health
  health=$(curl -s "127.0.0.1:$1/v1/health")
  case "$health" in
    *"$(mode_shows "$2")"*'"status":"ok"'*|*'"status":"ok"'*"$(mode_shows "$2")"*) ;;
    *) echo "the mode $2 did not take: $health"; exit 1 ;;
  esac
}
: > "$WORK/all"
for i in $(seq "$ROUNDS"); do
  for mode in off notify redis; do
    fresh_db
    # shellcheck disable=SC2046
    bench_server "$BIN" "$WORK" 18191 "$DB" $(mode_env "$mode")
    check_mode 18191 "$mode"
    read -r _ BOARD <<< "$(bench_board 18191 "$AC_BENCH")"
    export BOARD
    wrk -t2 -c"$CONNS" -d5s -s benches/http/submit.lua "http://127.0.0.1:18191/v1/score-events" > "$WORK/out"
    bench_check_2xx "$WORK/out"
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s benches/http/submit.lua "http://127.0.0.1:18191/v1/score-events" > "$WORK/out"
    bench_check_2xx "$WORK/out"
    check_mode 18191 "$mode"
    row="$(awk '/Requests\/sec/ {r=$2} / 50% / {a=$2} / 90% / {b=$2} / 99% / {c=$2} END {print r, a, b, c}' "$WORK/out")"
    echo "$mode $row" >> "$WORK/all"
    echo "round $i, $mode: $row (req/s p50 p90 p99)"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  done
done
python3 benches/http/summary.py "$WORK/all"

for mode in notify redis; do
echo "== 2. two nodes on one database woken by $mode, load through A for ${SECS}s, the probe every ~50 ms"
fresh_db
# shellcheck disable=SC2046
bench_server "$BIN" "$WORK" 18192 "$DB" $(mode_env "$mode")
A_PID=$SERVER_PID
check_mode 18192 "$mode"
read -r _ BOARD <<< "$(bench_board 18192 "$AC_BENCH")"
export BOARD
mkdir -p "$WORK/b"
# shellcheck disable=SC2046
bench_server "$BIN" "$WORK/b" 18193 "$DB" $(mode_env "$mode")
B_PID=$SERVER_PID
check_mode 18193 "$mode"
wrk -t2 -c"$CONNS" -d5s -s benches/http/submit.lua "http://127.0.0.1:18192/v1/score-events" > "$WORK/out"
bench_check_2xx "$WORK/out"
b0=$(awk '{print $14+$15}' "/proc/$B_PID/stat")
python3 benches/http/convergence_probe.py 18192 18193 "$BOARD" "$SECS" > "$WORK/probe" &
probe=$!
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s benches/http/submit.lua "http://127.0.0.1:18192/v1/score-events" > "$WORK/out"
wait "$probe"
b1=$(awk '{print $14+$15}' "/proc/$B_PID/stat")
bench_check_2xx "$WORK/out"
check_mode 18192 "$mode"
check_mode 18193 "$mode"
grep -E "Requests/sec|requests in" "$WORK/out"
cat "$WORK/probe"
n=$(awk '/requests in/ {print $1}' "$WORK/out")
echo "follower CPU per change applied (one submission each): $(( (b1 - b0) * 1000000 / $(getconf CLK_TCK) / n )) µs"
kill "$A_PID" "$B_PID"; wait 2>/dev/null || true
done
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS podium_nodes WITH (FORCE)"
