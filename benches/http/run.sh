#!/usr/bin/env bash
# HTTP load: POST /v1/score-events on a release build, on SQLite and on PostgreSQL, with wrk.
#   benches/http/run.sh [duration-seconds] [connections]
# ANTI_CHEAT=on (default) runs every detection on every submission, with the rate-limit and
# velocity thresholds raised so that this synthetic traffic (each player submitting about once
# a second) is not refused; ANTI_CHEAT=off turns anti-cheat off for the game.
# Needs wrk (Debian: apt-get install wrk) and, for PostgreSQL, a server at
# PODIUM_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-20}"
export PLAYERS="${PLAYERS:-10000}"
CONNS="${2:-64}"
PG_ADMIN="${PODIUM_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export KEY="pdm_bench_key_0123456789abcdef"
cargo build --release -q -p podium
BIN="$PWD/target/release/podium"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

run_one() { # name database-url
  local name="$1" url="$2" port=18181
  (cd "$WORK" && PODIUM_DATABASE_URL="$url" PODIUM_BOOTSTRAP_API_KEY="$KEY" PODIUM_LOG_LEVEL=warn \
     exec "$BIN" serve --listen "127.0.0.1:$port" >/dev/null 2>&1) &
  local pid=$!
  for _ in $(seq 100); do curl -sf "127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done
  local h=(-s -H "leadr-api-key: $KEY" -H 'content-type: application/json')
  local acc game board
  acc=$(curl "${h[@]}" "127.0.0.1:$port/v1/accounts" -d '{"name":"Bench"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
  local ac='"anti_cheat_enabled":false'
  if [ "${ANTI_CHEAT:-on}" = on ]; then
    ac='"anti_cheat":{"rate_limit_per_hour":{"a":1000000,"b":1000000,"c":1000000},"velocity_min_seconds":{"a":0.000001,"b":0.000001,"c":0.000001},"cluster_min_identities":1000000}'
  fi
  game=$(curl "${h[@]}" "127.0.0.1:$port/v1/games" -d "{\"account_id\":\"$acc\",\"name\":\"G\",$ac}" | sed 's/.*"id":"\([^"]*\)".*/\1/')
  board=$(curl "${h[@]}" "127.0.0.1:$port/v1/boards" -d "{\"game_id\":\"$game\",\"name\":\"B\"}" | sed 's/.*"id":"\([^"]*\)".*/\1/')
  echo "== $name: warm-up, ${DURATION}s: every one of the $PLAYERS players submits (identities created)"
  BOARD="$board" wrk -t2 -c"$CONNS" -d"${DURATION}s" -s benches/http/submit.lua "http://127.0.0.1:$port/v1/score-events" | grep -E "Requests/sec|Non-2xx" || true
  echo "== $name: POST /v1/score-events, $CONNS connections, ${DURATION}s, $PLAYERS known players"
  local cpu0 cpu1 n
  cpu0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  BOARD="$board" wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s benches/http/submit.lua "http://127.0.0.1:$port/v1/score-events" | tee "$WORK/wrk.out"
  cpu1=$(awk '{print $14+$15}' "/proc/$pid/stat")
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
