-- wrk script: game clients, each submission a pair: GET /v1/client/nonce, then
-- POST /v1/client/scores with that nonce. TOKENS holds "devicekey=token" entries separated by
-- commas (devicekey: the first 21 characters after "nnc_" of any nonce of that device, which
-- encode its id), so a nonce in a response can be given back to its own device.
-- Optional RATE (pairs per second for the whole run) adds think time per connection.
local board = os.getenv("BOARD")
local conns = tonumber(os.getenv("CONNS") or "64")
local rate = tonumber(os.getenv("RATE") or "0")
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  tokens, keys, queue, posts, rejected = {}, {}, {}, 0, 0
  local n = 0
  for entry in string.gmatch(os.getenv("TOKENS"), "[^,]+") do
    local key, token = string.match(entry, "([^=]+)=(.+)")
    n = n + 1
    if n % 2 == id % 2 then
      table.insert(keys, key)
      tokens[key] = token
      queue[key] = {}
    end
  end
  turn = 0
end

function request()
  turn = turn % #keys + 1
  local key = keys[turn]
  local q = queue[key]
  local headers = { ["authorization"] = "Bearer " .. tokens[key] }
  if #q > 0 then
    local nonce = table.remove(q)
    headers["content-type"] = "application/json"
    headers["leadr-client-nonce"] = nonce
    local body = string.format('{"board_id":"%s","player_name":"P%s","value":%d}', board, string.sub(key, 1, 6),
      math.random(1, 1000000))
    return wrk.format("POST", "/v1/client/scores", headers, body)
  end
  return wrk.format("GET", "/v1/client/nonce", headers, nil)
end

function response(status, headers, body)
  if status == 201 then
    posts = posts + 1
  elseif status == 200 then
    local nonce = string.match(body, '"nonce_value":"([^"]+)"')
    if nonce then
      local key = string.sub(nonce, 5, 25)
      if queue[key] then table.insert(queue[key], nonce) end
    end
  else
    rejected = rejected + 1
  end
end

function delay()
  if rate > 0 then
    -- Each pair is two requests; spread the pairs of all connections over a second.
    return math.floor(1000 * conns / (2 * rate))
  end
  return 0
end

function done(summary, latency, requests)
  local total, bad = 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("posts")
    bad = bad + t:get("rejected")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("pairs (201 submissions): %d in %.1f s = %.0f pairs/s; other non-2xx: %d\n",
    total, secs, total / secs, bad))
end
