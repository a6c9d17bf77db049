#!/usr/bin/env bash
# Two podium nodes on one PostgreSQL database, woken through a Redis of their own, behind nginx
# (round robin): a short demo through the proxy; the same leaderboard, and a user's activity
# points, read from each node directly; then Redis stopped (the nodes keep accepting, say
# degraded and still converge) and started again.
#   examples/several-nodes/run.sh            # demo, then stop everything
#   KEEP=1 examples/several-nodes/run.sh     # demo, then keep serving until Ctrl-C
# Starts its own PostgreSQL (a throwaway cluster on port 8078, with Debian's postgresql package:
# initdb and pg_ctl; as root it runs them as the postgres user), or uses the server at
# PODIUM_EXAMPLE_POSTGRES_URL when that is set (the database podium_example is created afresh).
# Also needs cargo, psql, redis-server (Debian: apt-get install redis-server; started here on
# port 8079 with nothing saved), nginx (Debian: apt-get install nginx-light) and curl. Ports:
# 8080 (proxy), 8081 and 8082 (nodes), 8079 (Redis), 8078 (PostgreSQL). In production each node,
# Redis and the proxy run on hosts of their own; PostgreSQL is the only thing that must be kept
# (docs/OPERATIONS.md, "Several nodes behind a load balancer").
set -euo pipefail
cd "$(dirname "$0")/../.."
DB_URL=""
KEY="pdm_example_key_0123456789abcdef"
REDIS_URL="redis://127.0.0.1:8079"
WORK="$(mktemp -d)"
pids=()
redis_pid=""
start_redis() {
  redis-server --port 8079 --bind 127.0.0.1 --save '' --appendonly no >"$WORK/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 50); do redis-cli -p 8079 ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis-server did not start" >&2; return 1
}
pg_dir=""
as_postgres() { if [ "$EUID" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
start_postgres() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -x "$bin/initdb" ] || { echo "no initdb found: set PODIUM_EXAMPLE_POSTGRES_URL" >&2; return 1; }
  pg_dir="$WORK/pg"
  mkdir -p "$pg_dir"
  [ "$EUID" = 0 ] && chown postgres "$pg_dir" && chmod 755 "$WORK"
  as_postgres "$bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust >/dev/null
  as_postgres "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p 8078 -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  PG_CTL="$bin/pg_ctl"
}
cleanup() {
  [ -n "$pg_dir" ] && as_postgres "$PG_CTL" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cargo build --release -q -p podium
if [ -n "${PODIUM_EXAMPLE_POSTGRES_URL:-}" ]; then
  ADMIN_URL="$PODIUM_EXAMPLE_POSTGRES_URL"
else
  start_postgres
  ADMIN_URL="postgres://postgres@127.0.0.1:8078/postgres"
fi
DB_URL="${ADMIN_URL%/*}/podium_example"
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS podium_example WITH (FORCE)"
psql "$ADMIN_URL" -qc "CREATE DATABASE podium_example"
./target/release/podium migrate --database-url "$DB_URL" >/dev/null

start_redis

for port in 8081 8082; do
  PODIUM_DATABASE_URL="$DB_URL" PODIUM_REDIS_URL="$REDIS_URL" PODIUM_BOOTSTRAP_API_KEY="$KEY" PODIUM_LOG_LEVEL=warn \
    ./target/release/podium serve --listen "127.0.0.1:$port" >"$WORK/node-$port.log" 2>&1 &
  pids+=($!)
done
cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK;
  proxy_temp_path $WORK;
  upstream podium {
    server 127.0.0.1:8081 max_fails=1 fail_timeout=2s;
    server 127.0.0.1:8082 max_fails=1 fail_timeout=2s;
    keepalive 32;
  }
  server {
    listen 127.0.0.1:8080;
    # Activity scores are served by one node at a time (the holder of the activity lease); the
    # others answer 503 activity_elsewhere having counted nothing, so retrying is safe.
    location /v1/activity/ {
      proxy_pass http://podium;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_next_upstream error timeout http_503 non_idempotent;
    }
    location / {
      proxy_pass http://podium;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_next_upstream error timeout;
    }
  }
}
CONF
nginx -c "$WORK/nginx.conf" -g "daemon off;" &
pids+=($!)
for port in 8081 8082 8080; do
  for _ in $(seq 100); do curl -sf "127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done
  echo "127.0.0.1:$port: $(curl -s "127.0.0.1:$port/v1/health")"
done

post() { curl -s -H "leadr-api-key: $KEY" -H 'content-type: application/json' "127.0.0.1:8080$1" -d "$2"; }
id() { sed 's/.*"id":"\([^"]*\)".*/\1/'; }
account=$(post /v1/accounts '{"name":"Example"}' | id)
game=$(post /v1/games "{\"account_id\":\"$account\",\"name\":\"Space Race\"}" | id)
board=$(post /v1/boards "{\"game_id\":\"$game\",\"name\":\"High Scores\"}" | id)
echo "board $board: 10 submissions through the proxy (round robin over both nodes)"
for i in $(seq 10); do
  post /v1/score-events "{\"board_id\":\"$board\",\"player_key\":\"p$i\",\"player_name\":\"Player $i\",\"value\":$((i * 100))}" >/dev/null
done
top3() {
  for port in 8081 8082; do
    top=$(curl -s -H "leadr-api-key: $KEY" "127.0.0.1:$port/v1/scores?account_id=$account&board_id=$board&limit=3" | grep -o '"player_name":"[^"]*"' | tr '\n' ' ')
    echo "node $port, top 3: $top"
  done
}
top3
echo "activity scores through the proxy (one node writes them; the other's 503 is retried):"
at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for i in 1 2; do
  post /v1/activity/events "{\"game_id\":\"$game\",\"events\":[{\"event_id\":\"g$i\",\"type\":\"game_completed\",\"at\":\"$at\",\"players\":[\"alice\",\"bob\"],\"winner\":\"alice\",\"duration_s\":120,\"moves\":9}]}" | grep -o '"outcome":"[a-z_]*"' | head -n 1
done
for port in 8081 8082; do
  echo "node $port, alice: $(curl -s -H "leadr-api-key: $KEY" "127.0.0.1:$port/v1/activity/users/alice?game_id=$game" | grep -o '"total":[0-9]*' | head -n 1)"
done
echo "Redis stopped: the nodes keep accepting and follow each other by polling (500 ms)"
kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=""
for i in 11 12; do
  post /v1/score-events "{\"board_id\":\"$board\",\"player_key\":\"p$i\",\"player_name\":\"Player $i\",\"value\":$((i * 100))}" >/dev/null
done
sleep 1
echo "127.0.0.1:8081: $(curl -s 127.0.0.1:8081/v1/health)"
top3
echo "Redis started again"
start_redis
sleep 1
echo "127.0.0.1:8081: $(curl -s 127.0.0.1:8081/v1/health)"
if [ -n "${KEEP:-}" ]; then
  echo "serving on http://127.0.0.1:8080 (key $KEY); Ctrl-C stops the proxy and both nodes"
  wait
fi
