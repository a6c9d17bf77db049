-- wrk script: POST /v1/score-events with a random player (of PLAYERS) and a random value.
-- Needs KEY (an API key) and BOARD (a board id) in the environment.
local key = os.getenv("KEY")
local board = os.getenv("BOARD")
local players = tonumber(os.getenv("PLAYERS") or "10000")
-- Values are uniform in [VALUE_MIN, VALUE_MAX] (default 1 to 1 000 000).
local vmin = tonumber(os.getenv("VALUE_MIN") or "1")
local vmax = tonumber(os.getenv("VALUE_MAX") or "1000000")
-- Each wrk thread has its own Lua state: seed each differently, or the threads would send
-- the very same (player, value) sequence and half the submissions would be exact repeats.
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter * 7919 + os.time())
end
function init(args)
  math.randomseed(seed)
end
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["leadr-api-key"] = key
request = function()
  local p = math.random(1, players)
  local body = string.format('{"board_id":"%s","player_key":"p%d","player_name":"P%d","value":%d}',
    board, p, p, math.random(vmin, vmax))
  return wrk.format(nil, nil, nil, body)
end

-- Optional RATE (requests per second for the whole run, CONNS connections) adds think time
-- per connection, for latency at a load below saturation.
local rate = tonumber(os.getenv("RATE") or "0")
local conns = tonumber(os.getenv("CONNS") or "64")
function delay()
  if rate > 0 then return math.floor(1000 * conns / rate) end
  return 0
end
