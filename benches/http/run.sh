#!/usr/bin/env bash
# HTTP load: POST /v1/score-events on a release build, on SQLite and on PostgreSQL, with wrk.
#   benches/http/run.sh [duration-seconds] [connections]
# ANTI_CHEAT=on (default) runs every detection on every submission, with the rate-limit and
# velocity thresholds raised so that this synthetic traffic (each player submitting about once
# a second) is not refused; ANTI_CHEAT=off turns anti-cheat off for the game.
# Stops with an error on any non-2xx answer or socket error, and when the game's anti-cheat is not
# as asked. Needs wrk (Debian: apt-get install wrk) and, for PostgreSQL, a server at
# PODIUM_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-20}"
export PLAYERS="${PLAYERS:-10000}"
CONNS="${2:-64}"
PG_ADMIN="${PODIUM_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
. benches/http/lib.sh
bench_prepare

run_one() { # name database-url
  local name="$1" url="$2" port=18181
  bench_server "$BIN" "$WORK" "$port" "$url"
  local pid=$SERVER_PID game board ac='"anti_cheat_enabled":false'
  [ "${ANTI_CHEAT:-on}" = on ] && ac="$AC_BENCH"
  read -r game board <<< "$(bench_board "$port" "$ac")"
  local want=false
  [ "${ANTI_CHEAT:-on}" = on ] && want=true
  if [ "$(bench_game_anti_cheat "$port" "$game")" != "$want" ]; then
    echo "the game's anti-cheat is not $want as asked" >&2; exit 1
  fi
  echo "== $name: warm-up, ${DURATION}s: every one of the $PLAYERS players submits (identities created)"
  BOARD="$board" wrk -t2 -c"$CONNS" -d"${DURATION}s" -s benches/http/submit.lua "http://127.0.0.1:$port/v1/score-events" > "$WORK/wrk.out"
  bench_check_2xx "$WORK/wrk.out"
  grep -E "Requests/sec" "$WORK/wrk.out"
  echo "== $name: POST /v1/score-events, $CONNS connections, ${DURATION}s, $PLAYERS known players"
  local cpu0 cpu1 n
  cpu0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  BOARD="$board" wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s benches/http/submit.lua "http://127.0.0.1:$port/v1/score-events" | tee "$WORK/wrk.out"
  cpu1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  bench_check_2xx "$WORK/wrk.out"
  # The server's CPU time (user + system, in clock ticks) per request: steadier between runs
  # than throughput when other work shares the machine.
  n=$(awk '/requests in/ {print $1}' "$WORK/wrk.out")
  echo "server CPU per request: $(( (cpu1 - cpu0) * 1000000 / $(getconf CLK_TCK) / n )) µs"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run_one sqlite "sqlite://$WORK/bench.db"
[ -n "${SQLITE_ONLY:-}" ] && exit 0
if psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS podium_bench" 2>/dev/null && psql "$PG_ADMIN" -qc "CREATE DATABASE podium_bench"; then
  run_one postgres "${PG_ADMIN%/*}/podium_bench"
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS podium_bench WITH (FORCE)"
else
  echo "== postgres: skipped (cannot reach $PG_ADMIN)"
fi
