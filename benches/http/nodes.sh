#!/usr/bin/env bash
# Several nodes on PostgreSQL (issue 13): benches/http/nodes.sh [rounds] [seconds-per-run] [connections]
# 1. One node's throughput with the change log on and off (PODIUM_CHANGE_LOG), POST
#    /v1/score-events with anti-cheat as in run.sh, alternating `rounds` times, a fresh database
#    and server for each run (5 s warm-up, then `seconds-per-run`); medians per mode.
# 2. Two nodes on one database, the load through node A: the follower B's CPU per change
#    applied (B serves nothing else), and the convergence lag — a probe submits a new player to
#    A with a top score every ~50 ms and reads B's top entry until it is that player
#    (convergence_probe.py); p50/p99 of submit-answered → seen on B.
# Needs wrk and a PostgreSQL at PODIUM_BENCH_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/postgres). Exits non-zero on any non-2xx answer.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${1:-3}"
SECS="${2:-10}"
CONNS="${3:-64}"
export PLAYERS="${PLAYERS:-10000}" CONNS
PG_ADMIN="${PODIUM_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
. benches/http/lib.sh
bench_prepare
fresh_db() {
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS podium_nodes WITH (FORCE)" && psql "$PG_ADMIN" -qc "CREATE DATABASE podium_nodes"
}
DB="${PG_ADMIN%/*}/podium_nodes"
check_2xx() { # wrk output file
  if grep -q "Non-2xx" "$1"; then echo "non-2xx answers:"; cat "$1"; exit 1; fi
}
echo "== 1. one node, change log on vs off: $ROUNDS rounds, ${SECS}s each, $CONNS connections"
: > "$WORK/all"
for i in $(seq "$ROUNDS"); do
  for mode in off on; do
    log=false; [ "$mode" = on ] && log=true
    fresh_db
    bench_server "$BIN" "$WORK" 18191 "$DB" PODIUM_CHANGE_LOG=$log
    health=$(curl -s 127.0.0.1:18191/v1/health)
    case "$mode:$health" in
      on:*'change log'*|off:*'in-memory'*) ;;
      *) echo "the switch did not take: $mode: $health"; exit 1 ;;
    esac
    read -r _ BOARD <<< "$(bench_board 18191 "$AC_BENCH")"
    export BOARD
    wrk -t2 -c"$CONNS" -d5s -s benches/http/submit.lua "http://127.0.0.1:18191/v1/score-events" > "$WORK/out"
    check_2xx "$WORK/out"
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s benches/http/submit.lua "http://127.0.0.1:18191/v1/score-events" > "$WORK/out"
    check_2xx "$WORK/out"
    row="$(awk '/Requests\/sec/ {r=$2} / 50% / {a=$2} / 90% / {b=$2} / 99% / {c=$2} END {print r, a, b, c}' "$WORK/out")"
    echo "$mode $row" >> "$WORK/all"
    echo "round $i, change log $mode: $row (req/s p50 p90 p99)"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  done
done
python3 benches/http/summary.py "$WORK/all"

echo "== 2. two nodes on one database, load through A for ${SECS}s, the probe every ~50 ms"
fresh_db
bench_server "$BIN" "$WORK" 18192 "$DB"
A_PID=$SERVER_PID
read -r _ BOARD <<< "$(bench_board 18192 "$AC_BENCH")"
export BOARD
mkdir -p "$WORK/b"
bench_server "$BIN" "$WORK/b" 18193 "$DB"
B_PID=$SERVER_PID
wrk -t2 -c"$CONNS" -d5s -s benches/http/submit.lua "http://127.0.0.1:18192/v1/score-events" > "$WORK/out"
check_2xx "$WORK/out"
b0=$(awk '{print $14+$15}' "/proc/$B_PID/stat")
python3 benches/http/convergence_probe.py 18192 18193 "$BOARD" "$SECS" > "$WORK/probe" &
probe=$!
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s benches/http/submit.lua "http://127.0.0.1:18192/v1/score-events" > "$WORK/out"
wait "$probe"
b1=$(awk '{print $14+$15}' "/proc/$B_PID/stat")
check_2xx "$WORK/out"
grep -E "Requests/sec|requests in" "$WORK/out"
cat "$WORK/probe"
n=$(awk '/requests in/ {print $1}' "$WORK/out")
echo "follower CPU per change applied (one submission each): $(( (b1 - b0) * 1000000 / $(getconf CLK_TCK) / n )) µs"
kill "$A_PID" "$B_PID"; wait 2>/dev/null || true
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS podium_nodes WITH (FORCE)"
