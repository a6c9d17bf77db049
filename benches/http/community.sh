#!/usr/bin/env bash
# HTTP load for the community site on a release build over SQLite, with wrk:
#   benches/http/community.sh [duration-seconds] [connections]
# MEMBERS (default 200) members register and log in; a category gets two obsoleting variables
# (3 × 4 values); then:
# 1. seeding, measured: connections alternate a submission and its approval until RUNS
#    (default 100 000) runs are approved;
# 2. submissions alone as fast as they go;
# 3. ranking reads with a variable filter (one or two values of each variable), as fast as they
#    go (first pages are reused while the ranking is unchanged), the same with every page
#    rendered, then at half the target rate (10 000 reads/s);
# 4. logins as fast as they go (each one an Argon2id verification; each from its own address
#    through a trusted proxy header, so the per-address failure limit stays out of the way).
# SEEDED=dir keeps the seeded site for later runs: when dir holds none yet, the database (after
# the last phase, server stopped) and the members' tokens are saved there; when it does, they are
# copied in and the members and seeding phases are skipped (tokens last 7 days), so a profile or
# an A/B of the later phases starts in seconds. Seeding figures come only from runs that seed.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-20}"
CONNS="${2:-64}"
MEMBERS="${MEMBERS:-200}"
RUNS="${RUNS:-100000}"
. benches/http/lib.sh
bench_prepare
port=18183
reuse=""
if [ -n "${SEEDED:-}" ] && [ -f "$SEEDED/bench.db" ] && [ -f "$SEEDED/env.sh" ]; then
  cp "$SEEDED"/bench.db* "$WORK/"
  reuse=1
fi
bench_server "$BIN" "$WORK" "$port" "sqlite://$WORK/bench.db" PODIUM_TRUSTED_PROXIES=127.0.0.1
api="127.0.0.1:$port/v1/community"
json() { curl -s -H 'content-type: application/json' "$@"; }
field() { sed "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/"; }
member() { # name -> token (registers, logs in)
  json "$api/register" -d "{\"name\":\"$1\",\"email\":\"$1@bench.test\",\"password\":\"Secret123\",\"password_confirmation\":\"Secret123\"}" >/dev/null
  json "$api/login" -d "{\"name_or_email\":\"$1\",\"password\":\"Secret123\"}" | field access_token
}
lua=benches/http/community.lua
export_site() { # the site, for the wrk script
  export TOKENS="$tokens" NAMES="$names" BOSS="$boss" CATEGORY="$category" METRIC="$metric" VARS="$vars" SLUGS="$slugs" CONNS
}
if [ -n "$reuse" ]; then
  . "$SEEDED/env.sh"
  echo "== reusing the site seeded in $SEEDED (round $round)"
else
echo "== $MEMBERS members, a leaderboard, a category with two obsoleting variables"
boss=$(member Boss)
boss_id=$(curl -s "$api/me" -H "authorization: Bearer $boss" | field id)
json -H "leadr-api-key: $KEY" "$api/admins" -d "{\"user_id\":\"$boss_id\"}" >/dev/null
auth=(-H "authorization: Bearer $boss")
lb=$(json "${auth[@]}" "$api/leaderboards" -d '{"name":"Bench"}' | field id)
cat_json=$(json "${auth[@]}" "$api/categories" -d "{\"leaderboard_id\":\"$lb\",\"name\":\"Any%\",\"metrics\":[{\"name\":\"Time\",\"kind\":\"time\",\"sort\":\"asc\"}]}")
category=$(echo "$cat_json" | sed 's/^{"id":"\([^"]*\)".*/\1/')
metric=$(echo "$cat_json" | sed 's/.*"metrics":\[{"id":"\([^"]*\)".*/\1/')
vars="" slugs=""
for spec in "platform:pc,switch,ps5" "region:eu,us,jp,cn"; do
  name=${spec%%:*}
  values=$(echo "${spec#*:}" | sed 's/\([a-z0-9]*\)/{"name":"\1"}/g')
  v=$(json "${auth[@]}" "$api/variables" -d "{\"leaderboard_id\":\"$lb\",\"name\":\"$name\",\"values\":[$values],\"categories\":[{\"category_id\":\"$category\",\"required\":true,\"obsoleting\":true,\"default\":\"$(echo "${spec#*:}" | cut -d, -f1)\"}]}")
  vid=$(echo "$v" | sed 's/^{"id":"\([^"]*\)".*/\1/')
  ids=$(echo "$v" | grep -o '"id":"val_[^"]*"' | sed 's/"id":"\(.*\)"/\1/' | paste -sd'|')
  vars="$vars${vars:+;}$vid:$ids"
  slugs="$slugs${slugs:+;}$name:$(echo "${spec#*:}" | tr , '|')"
done
tokens="" names=""
start=$(date +%s.%N)
for i in $(seq "$MEMBERS"); do
  tokens="$tokens${tokens:+,}$(member "Runner$i")"
  names="$names${names:+,}Runner$i"
done
echo "registered and logged in $MEMBERS members in $(python3 -c "import sys; print(round(float(sys.argv[1]) - float(sys.argv[2]), 2))" "$(date +%s.%N)" "$start") s (two Argon2id hashes each, sequential)"
export_site
echo "== seeding: submission + approval pairs until $RUNS runs are approved ($CONNS connections)"
approved=0 round=0
while [ "$approved" -lt "$RUNS" ]; do
  round=$((round + 1))
  out=$(ROUND=$round MODE=seed wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s $lua "http://127.0.0.1:$port")
  echo "$out" | grep -E "^seed|Requests/sec|50%|99%"
  approved=$((approved + $(echo "$out" | sed -n 's/.*runs ([0-9]*\/s), \([0-9]*\) approvals.*/\1/p')))
  echo "approved so far: $approved"
done
fi
export_site
echo "== submissions alone, ${DURATION}s"
ROUND=$((round + 1)) MODE=submit wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s $lua "http://127.0.0.1:$port" | grep -E "^submit|Requests/sec|50%|99%|Non-2xx|Socket"
echo "== ranking reads with a variable filter, ${DURATION}s, unthrottled"
MODE=read wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s $lua "http://127.0.0.1:$port" | grep -E "^read|Requests/sec|50%|99%|Non-2xx|Socket"
echo "== ranking reads with a variable filter, every page rendered (no reuse), ${DURATION}s, unthrottled"
MODE=uncached wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s $lua "http://127.0.0.1:$port" | grep -E "^uncached|Requests/sec|50%|99%|Non-2xx|Socket"
echo "== ranking reads at ~10 000 reads/s (half the target; think time set for 12 000, achieved rate printed)"
MODE=read RATE=12000 wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s $lua "http://127.0.0.1:$port" | grep -E "^read|Requests/sec|50%|99%|Non-2xx|Socket"
echo "== logins, ${DURATION}s"
MODE=login wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s $lua "http://127.0.0.1:$port" | grep -E "^login|Requests/sec|50%|99%|Non-2xx|Socket"
echo "== restart: rankings rebuilt from the stored runs"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
start=$(date +%s.%N)
bench_server "$BIN" "$WORK" "$port" "sqlite://$WORK/bench.db"
echo "ready after $(python3 -c "import sys; print(round(float(sys.argv[1]) - float(sys.argv[2]), 2))" "$(date +%s.%N)" "$start") s"
if [ -n "${SEEDED:-}" ] && [ -z "$reuse" ]; then
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  mkdir -p "$SEEDED"
  cp "$WORK"/bench.db* "$SEEDED/"
  # The next run's submissions start below this run's (round + 1 was the submissions phase).
  round=$((round + 1))
  declare -p tokens names boss category metric vars slugs round >"$SEEDED/env.sh"
  echo "saved the seeded site in $SEEDED"
fi
