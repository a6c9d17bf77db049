# Shared by the HTTP benchmark scripts (source it): start a release server on SQLite and create
# the account, game and board a run submits to.
#   KEY       the superadmin key the server is bootstrapped with
#   AC_BENCH  anti-cheat settings that judge every submission but refuse none of this synthetic
#             traffic (each player submits about once a second): rate-limit and velocity
#             thresholds raised, clusters (random integers repeat) out of reach
export KEY="pdm_bench_key_0123456789abcdef"
AC_BENCH='"anti_cheat":{"rate_limit_per_hour":{"a":1000000,"b":1000000,"c":1000000},"velocity_min_seconds":{"a":0.000001,"b":0.000001,"c":0.000001},"cluster_min_identities":1000000}'

# bench_prepare: builds the release binary (BIN) and makes a scratch directory (WORK), removed
# with any background server when the script exits.
bench_prepare() {
  cargo build --release -q -p podium
  BIN="$PWD/target/release/podium"
  WORK="$(mktemp -d)"
  trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
}

# bench_server BIN WORK PORT DATABASE-URL [VAR=value ...]: starts the server in the background
# (its pid in SERVER_PID) and waits until it answers (at most BENCH_START_SECONDS, default 10).
bench_server() {
  local bin="$1" work="$2" port="$3" url="$4"
  shift 4
  (cd "$work" && exec env PODIUM_DATABASE_URL="$url" PODIUM_BOOTSTRAP_API_KEY="$KEY" PODIUM_LOG_LEVEL="${BENCH_LOG_LEVEL:-warn}" "$@" \
     "$bin" serve --listen "127.0.0.1:$port" >>"${BENCH_LOG:-/dev/null}" 2>&1) &
  SERVER_PID=$!
  for _ in $(seq $((${BENCH_START_SECONDS:-10} * 10))); do curl -sf "127.0.0.1:$port/v1/health" >/dev/null && return 0; sleep 0.1; done
  echo "the server on port $port did not start" >&2
  return 1
}

# bench_post PORT PATH JSON: POSTs as the superadmin and prints the new resource's id.
bench_post() {
  curl -s -H "leadr-api-key: $KEY" -H 'content-type: application/json' "127.0.0.1:$1$2" -d "$3" \
    | sed 's/.*"id":"\([^"]*\)".*/\1/'
}

# bench_board PORT GAME-SETTINGS [BOARD-SETTINGS]: creates an account, a game with the given
# JSON members (e.g. "$AC_BENCH" or '"anti_cheat_enabled":false') and a board in it; prints
# "game-id board-id".
bench_board() {
  local port="$1" acc game board
  acc=$(bench_post "$port" /v1/accounts '{"name":"Bench"}')
  game=$(bench_post "$port" /v1/games "{\"account_id\":\"$acc\",\"name\":\"G\",$2}")
  board=$(bench_post "$port" /v1/boards "{\"game_id\":\"$game\",\"name\":\"B\"${3:+,$3}}")
  echo "$game $board"
}

# bench_check_2xx FILE: stops the benchmark when the wrk output in FILE saw any answer outside
# 2xx or any socket error (wrk counts them as requests, so a figure with them is not one).
bench_check_2xx() {
  if grep -qE "Non-2xx|Socket errors" "$1"; then
    echo "error answers in a run; its figures do not count:" >&2
    cat "$1" >&2
    exit 1
  fi
}

# bench_game_anti_cheat PORT GAME: prints the game's anti_cheat_enabled as the server reports it.
bench_game_anti_cheat() {
  curl -s -H "leadr-api-key: $KEY" "127.0.0.1:$1/v1/games/$2" | grep -o '"anti_cheat_enabled":[a-z]*' | cut -d: -f2
}
