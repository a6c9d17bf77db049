#!/usr/bin/env bash
# Start-up with a large board (BENCHMARKS.md, "Rankings loaded at start-up"): makes an SQLite
# database with N ranked entries on one board (generate.py), starts `podium serve` (release)
# on it and reports how long loading the rankings took (the server's own `rankings loaded`
# log line) and the process's resident memory once it answers.
#   benches/startup/run.sh [N]        N defaults to 10 000 000 (a 4.9 GB database; ~7 minutes to make)
# STARTUP_DB=path keeps the database there (and reuses it when it exists, skipping its making).
# Needs python3 and curl. Fails if the server does not report the N entries it was given.
set -euo pipefail
cd "$(dirname "$0")/../.."
source benches/http/lib.sh
N="${1:-10000000}"
bench_prepare
DB="${STARTUP_DB:-$WORK/startup.db}"
URL="sqlite://$DB"

if [ ! -e "$DB" ]; then
  # The account, game and board the rows belong to, made through the API; then the server stops.
  bench_server "$BIN" "$WORK" 18310 "$URL"
  read -r GAME BOARD < <(bench_board 18310 '"anti_cheat_enabled":false' '"board_type":"RUN_RUNS"')
  ACCOUNT=$(curl -s -H "leadr-api-key: $KEY" "127.0.0.1:18310/v1/games/$GAME" | sed 's/.*"account_id":"\([^"]*\)".*/\1/')
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true
  python3 benches/startup/generate.py "$DB" "$ACCOUNT" "$GAME" "$BOARD" "$N"
fi
echo "database: $(du -h "$DB" | cut -f1)"

# Start again with JSON logs and time the load from the server's own report.
BENCH_START_SECONDS=300 BENCH_LOG="$WORK/serve.log" BENCH_LOG_LEVEL=info \
  bench_server "$BIN" "$WORK" 18311 "$URL" PODIUM_LOG_FORMAT=json
line=$(grep '"rankings loaded"' "$WORK/serve.log" | head -1)
entries=$(sed 's/.*"entries":\([0-9]*\).*/\1/' <<<"$line")
elapsed=$(sed 's/.*"elapsed_s":\([0-9.]*\).*/\1/' <<<"$line")
rss_kb=$(ps -o rss= -p "$(pgrep -f "$BIN serve --listen 127.0.0.1:18311" | head -1)")
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true
if [ "$entries" != "$N" ]; then
  echo "the server loaded $entries entries, not $N" >&2
  exit 1
fi
printf 'entries %s  rankings loaded in %.1f s  RSS %d MB\n' "$entries" "$elapsed" $((rss_kb / 1024))
