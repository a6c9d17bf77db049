#!/usr/bin/env bash
# HTTP load for game clients on a release build over SQLite, with wrk:
#   benches/http/client.sh [duration-seconds] [connections]
# 1. nonce + submission pairs as fast as they go, then at half the target rate (2 500 pairs/s);
# 2. top-10 reads as fast as they go, then at half the target rate (15 000 reads/s).
# DEVICES (default 200) client sessions are started first; rate limits are raised for the run
# (the limiter still runs on every request).
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-20}"
CONNS="${2:-64}"
DEVICES="${DEVICES:-200}"
. benches/http/lib.sh
bench_prepare
port=18182
bench_server "$BIN" "$WORK" "$port" "sqlite://$WORK/bench.db" \
  PODIUM_SESSION_STARTS_PER_MINUTE=100000000 PODIUM_NONCES_PER_MINUTE=100000000
read -r game board <<< "$(bench_board "$port" "$AC_BENCH" '"is_published":true')"
echo "== starting $DEVICES client sessions"
tokens=""
for i in $(seq "$DEVICES"); do
  fp=$(printf '%064x' "$i")
  tok=$(curl -s "127.0.0.1:$port/v1/client/sessions" -H 'content-type: application/json' \
    -d "{\"game_id\":\"$game\",\"client_fingerprint\":\"$fp\"}" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  nonce=$(curl -s "127.0.0.1:$port/v1/client/nonce" -H "authorization: Bearer $tok" | sed 's/.*"nonce_value":"\([^"]*\)".*/\1/')
  tokens="$tokens${tokens:+,}${nonce:4:21}=$tok"
done
export BOARD="$board" TOKENS="$tokens" CONNS
echo "== nonce + submission pairs, $CONNS connections, ${DURATION}s, unthrottled"
wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s benches/http/client_pairs.lua "http://127.0.0.1:$port" | grep -E "pairs|Requests/sec|50%|99%|Non-2xx|Socket"
echo "== nonce + submission pairs at ~2 500 pairs/s (half the target; think time set for 3 000, achieved rate printed)"
RATE=3000 wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s benches/http/client_pairs.lua "http://127.0.0.1:$port" | grep -E "pairs|Requests/sec|50%|99%|Non-2xx|Socket"
echo "== top-10 reads, $CONNS connections, ${DURATION}s, unthrottled"
wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s benches/http/client_top10.lua "http://127.0.0.1:$port" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket"
echo "== top-10 reads at ~15 000 reads/s (half the target; think time set for 18 000, achieved rate printed)"
RATE=18000 wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s benches/http/client_top10.lua "http://127.0.0.1:$port" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket"
