-- wrk script for activity scores. MODE=events (default): POST /v1/activity/events, batches of
-- BATCH (default 100) events of one deterministic stream (activity_stream.py writes the very
-- same events for the Redis comparison): batch b holds events b*BATCH .. b*BATCH+BATCH-1, and
-- wrk thread t of THREADS sends batches t, t+THREADS, … MODE=read: GET the day's total
-- leaderboard (limit 20, or around a user). Needs KEY and GAME; USERS (default 100 000).
local key = os.getenv("KEY")
local game = os.getenv("GAME")
local users = tonumber(os.getenv("USERS") or "100000")
local batch = tonumber(os.getenv("BATCH") or "100")
local nthreads = tonumber(os.getenv("THREADS") or "2")
local round = os.getenv("ROUND") or "0"
local mode = os.getenv("MODE") or "events"
local threads = {}
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  n = 0
  ok = 0
  bad = 0
end

-- Event i of the stream (the same arithmetic as activity_stream.py).
local function event(i)
  local kind = i % 10
  local a = (i * 7919 + 17) % users
  local b = (i * 104729 + 31) % users
  if b == a then b = (a + 1) % users end
  local id = string.format('"event_id":"e%s-%d"', round, i)
  if kind <= 3 then
    return string.format('{%s,"type":"dm_sent","from":"u%d","to":"u%d"}', id, a, b)
  elseif kind <= 6 then
    return string.format('{%s,"type":"room_message","user":"u%d","room":"r%d"}', id, a, i % 1000)
  elseif kind <= 8 then
    local winner = (i % 3 == 0) and 'null' or string.format('"u%d"', a)
    return string.format('{%s,"type":"game_completed","players":["u%d","u%d"],"winner":%s,"duration_s":60,"moves":9}', id, a, b, winner)
  else
    return string.format('{%s,"type":"friendship_created","user_a":"u%d","user_b":"u%d"}', id, a, b)
  end
end

wrk.headers["content-type"] = "application/json"
wrk.headers["leadr-api-key"] = key
request = function()
  if mode == "read" then
    local path = string.format("/v1/activity/leaderboard?game_id=%s&limit=20", game)
    if n % 2 == 1 then path = path .. string.format("&around_user=u%d", (n * 7919) % users) end
    n = n + 1
    return wrk.format("GET", path)
  end
  local b = n * nthreads + tid
  n = n + 1
  local parts = {}
  for k = 0, batch - 1 do parts[#parts + 1] = event(b * batch + k) end
  local body = string.format('{"game_id":"%s","events":[%s]}', game, table.concat(parts, ","))
  return wrk.format("POST", "/v1/activity/events", nil, body)
end
response = function(status, headers, body)
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
  local good, other, sent = 0, 0, 0
  for _, t in ipairs(threads) do
    good = good + t:get("ok")
    other = other + t:get("bad")
    sent = math.max(sent, t:get("n"))
  end
  local secs = summary.duration / 1e6
  if mode == "read" then
    print(string.format("reads: %d (%.0f/s), non-200: %d, in %.1f s", good, good / secs, other, secs))
  else
    print(string.format("events: %d (%.0f/s) in %d batches of %d, non-200: %d, in %.1f s; batches per thread: %d",
      good * batch, good * batch / secs, good, batch, other, secs, sent))
  end
end
