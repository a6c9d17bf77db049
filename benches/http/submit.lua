-- wrk script: POST /v1/score-events with a random player (of PLAYERS) and a random value.
-- Needs KEY (an API key) and BOARD (a board id) in the environment.
local key = os.getenv("KEY")
local board = os.getenv("BOARD")
local players = tonumber(os.getenv("PLAYERS") or "10000")
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["leadr-api-key"] = key
request = function()
  local p = math.random(1, players)
  local body = string.format('{"board_id":"%s","player_key":"p%d","player_name":"P%d","value":%d}',
    board, p, p, math.random(1, 1000000))
  return wrk.format(nil, nil, nil, body)
end
