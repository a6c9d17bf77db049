#!/usr/bin/env bash
# HTTP load for activity scores on a release build over SQLite (synchronous = FULL: every
# answered batch is durable), with wrk, and the seed's own design on the machine's Redis:
#   benches/http/activity.sh [duration-seconds] [connections]
# 1. events: POST /v1/activity/events in batches of BATCH (default 100) events of one
#    deterministic stream over USERS (default 100 000) users: 40 % DMs, 30 % room messages,
#    20 % games, 10 % friendships (activity.lua);
# 2. leaderboard reads (today's total, limit 20; every other one around a user);
# 3. the ranking lag: one batch, then the leaderboard at once;
# 4. the seed's design — per-counter INCR with a 24-hour EXPIRE, cooldown keys, ZINCRBY per
#    ranking, pipelined with `redis-cli --pipe` — on the first REDIS_EVENTS (default 300 000)
#    events of the same stream (activity_stream.py), keys under a prefix removed afterwards.
# Needs wrk (Debian: apt-get install wrk) and, for step 4, redis-cli reaching REDIS_HOST
# (default 127.0.0.1) — skipped with a message when it cannot.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-20}"
CONNS="${2:-64}"
export USERS="${USERS:-100000}" BATCH="${BATCH:-100}" THREADS=2 CONNS
REDIS_EVENTS="${REDIS_EVENTS:-300000}"
REDIS_HOST="${REDIS_HOST:-127.0.0.1}"
. benches/http/lib.sh
bench_prepare
port=18185
bench_server "$BIN" "$WORK" "$port" "sqlite://$WORK/bench.db"
acc=$(bench_post "$port" /v1/accounts '{"name":"Bench"}')
GAME=$(bench_post "$port" /v1/games "{\"account_id\":\"$acc\",\"name\":\"Social\"}")
export GAME
lua=benches/http/activity.lua
url="http://127.0.0.1:$port"
echo "== warm-up, 5 s"
ROUND=w wrk -t2 -c"$CONNS" -d5s -s $lua "$url" | grep -E "^events"
echo "== events: POST /v1/activity/events, batches of $BATCH, $CONNS connections, ${DURATION}s, $USERS users"
cpu0=$(awk '{print $14+$15}' "/proc/$SERVER_PID/stat")
out=$(ROUND=1 wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s $lua "$url")
cpu1=$(awk '{print $14+$15}' "/proc/$SERVER_PID/stat")
echo "$out" | grep -E "^events|Requests/sec|50%|99%|Socket"
events=$(echo "$out" | sed -n 's/^events: \([0-9]*\) .*/\1/p')
echo "server CPU per event: $(( (cpu1 - cpu0) * 1000000 / $(getconf CLK_TCK) / events )) µs"
echo "outcomes in the history of u17 (the stream's first user):"
curl -s -H "leadr-api-key: $KEY" "127.0.0.1:$port/v1/activity/events?game_id=$GAME&user=u17&limit=100" \
  | grep -o '"outcome":"[a-z]*"' | sort | uniq -c | sed 's/^/  /'
echo "== leaderboard reads, ${DURATION}s"
MODE=read wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s $lua "$url" | grep -E "^reads|Requests/sec|50%|99%|Socket"
echo "== ranking lag: a batch for a new user, then the leaderboard around them at once"
curl -s -H "leadr-api-key: $KEY" -H 'content-type: application/json' "127.0.0.1:$port/v1/activity/events" \
  -d "{\"game_id\":\"$GAME\",\"events\":[{\"event_id\":\"lag-1\",\"type\":\"game_completed\",\"players\":[\"lagtest\",\"u1\"],\"winner\":\"lagtest\",\"duration_s\":60,\"moves\":9}]}" \
  | grep -o '"points":{[^}]*}' | head -1
curl -s -H "leadr-api-key: $KEY" "127.0.0.1:$port/v1/activity/leaderboard?game_id=$GAME&around_user=lagtest&limit=1" | grep -o '{"rank[^}]*}'
echo "(the answer is sent after the rankings moved: the lag is zero; the seed's job runs every 5 minutes)"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
echo "== the seed's design on Redis: the first $REDIS_EVENTS events of the same stream, pipelined"
if ! redis-cli -h "$REDIS_HOST" ping >/dev/null 2>&1; then
  echo "skipped: redis-cli cannot reach $REDIS_HOST"
  exit 0
fi
prefix="podium-bench-$$:"
python3 benches/http/activity_stream.py "$REDIS_EVENTS" "$USERS" "$prefix" >"$WORK/commands.resp"
echo "$(grep -c '^\*' "$WORK/commands.resp") commands"
start=$(date +%s.%N)
redis-cli -h "$REDIS_HOST" --pipe <"$WORK/commands.resp" | tail -1
end=$(date +%s.%N)
rate=$(python3 -c "import sys; print(round(int(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2]))))" "$REDIS_EVENTS" "$start" "$end")
echo "redis: $REDIS_EVENTS events in $(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))" "$start" "$end") s: $rate events/s"
redis-cli -h "$REDIS_HOST" --scan --pattern "${prefix}*" | xargs -r -n 1000 redis-cli -h "$REDIS_HOST" unlink >/dev/null
podium_rate=$(echo "$out" | sed -n 's/^events: [0-9]* (\([0-9]*\)\/s).*/\1/p')
echo "podium / redis: $(python3 -c "import sys; print(round(int(sys.argv[1]) / int(sys.argv[2]), 2))" "$podium_rate" "$rate")"
