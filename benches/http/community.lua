-- wrk script for the community benchmark (benches/http/community.sh). MODE selects the load:
--   seed    each connection alternates: a member submits a run (random combination of the two
--           obsoleting variables, a time lower than every earlier one of that member and
--           combination, so each is an improvement), then the moderator approves the run the
--           last answer named;
--   submit  runs only (they stay `submitted`);
--   read    GET …/leaderboard with a random filter of one or two values of each variable
--           (first pages: rendered once per ranking version and query string, then reused);
--   uncached the same reads, each query string new, so every page is rendered;
--   login   POST /v1/community/login as a random member.
-- TOKENS: comma-separated member tokens; NAMES: comma-separated member names (login);
-- BOSS: the moderator's token; CATEGORY, METRIC; VARS: "var_id:val_id|val_id…;var_id:…";
-- SLUGS: "slug:val_slug|val_slug…;slug:…" (for read filters). RATE (requests/s) adds think time.
local mode = os.getenv("MODE") or "seed"
local conns = tonumber(os.getenv("CONNS") or "64")
local rate = tonumber(os.getenv("RATE") or "0")
local category = os.getenv("CATEGORY")
local metric = os.getenv("METRIC")
local boss = os.getenv("BOSS")
local round = tonumber(os.getenv("ROUND") or "0")
local threads = {}

local function split(s, sep)
  local out = {}
  for part in string.gmatch(s or "", "[^" .. sep .. "]+") do table.insert(out, part) end
  return out
end

local function variables(spec)
  local out = {}
  for _, v in ipairs(split(spec, ";")) do
    local id, values = string.match(v, "([^:]+):(.+)")
    table.insert(out, { id = id, values = split(values, "|") })
  end
  return out
end

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
  tokens, names = {}, {}
  for i, t in ipairs(split(os.getenv("TOKENS"), ",")) do
    if i % 2 == id % 2 then table.insert(tokens, t) end
  end
  for i, n in ipairs(split(os.getenv("NAMES"), ",")) do
    if i % 2 == id % 2 then table.insert(names, n) end
  end
  vars = variables(os.getenv("VARS"))
  slugs = variables(os.getenv("SLUGS"))
  pending, best = {}, {}
  runs, judged, other, turn = 0, 0, 0, 0
end

local function submission()
  turn = turn % #tokens + 1
  local parts, combo = {}, tostring(turn)
  for _, v in ipairs(vars) do
    local value = v.values[math.random(#v.values)]
    table.insert(parts, string.format('"%s":"%s"', v.id, value))
    combo = combo .. value
  end
  -- Each wrk run starts below the last one's times (ROUND), so every run is an improvement.
  best[combo] = (best[combo] or (1000000000 - round * 1000000)) - math.random(1, 100)
  local body = string.format(
    '{"category_id":"%s","played_on":"2026-11-30","participation":{"vod_url":"https://v.test/%d"},' ..
    '"variables":{%s},"metrics":{"%s":%d}}', category, turn, table.concat(parts, ","), metric, best[combo])
  return wrk.format("POST", "/v1/community/runs",
    { ["authorization"] = "Bearer " .. tokens[turn], ["content-type"] = "application/json" }, body)
end

function request()
  if mode == "seed" and #pending > 0 then
    local run = table.remove(pending)
    return wrk.format("POST", "/v1/community/judgements",
      { ["authorization"] = "Bearer " .. boss, ["content-type"] = "application/json" },
      string.format('{"run_id":"%s","approved":true}', run))
  elseif mode == "read" or mode == "uncached" then
    local query = {}
    for _, v in ipairs(slugs) do
      local a, b = v.values[math.random(#v.values)], v.values[math.random(#v.values)]
      table.insert(query, "var." .. v.id .. "=" .. (a == b and a or a .. "," .. b))
    end
    if mode == "uncached" then
      -- A parameter the server ignores makes every query string new: no rendered page is reused.
      table.insert(query, "nocache=" .. math.random(1, 1000000000))
    end
    return wrk.format("GET", "/v1/community/categories/" .. category .. "/leaderboard?limit=20&" .. table.concat(query, "&"))
  elseif mode == "login" then
    turn = turn % #names + 1
    -- Each login from its own address (the server trusts 127.0.0.1 as a proxy for this run),
    -- so the per-address limit of failed logins does not refuse the load.
    local from = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
    return wrk.format("POST", "/v1/community/login",
      { ["content-type"] = "application/json", ["x-forwarded-for"] = from },
      string.format('{"name_or_email":"%s","password":"Secret123"}', names[turn]))
  end
  return submission()
end

function response(status, headers, body)
  if status == 201 and string.sub(body, 1, 12) == '{"judgement"' then
    judged = judged + 1
  elseif status == 201 then
    runs = runs + 1
    local run = string.match(body, '"id":"(run_[^"]+)"')
    if run and mode == "seed" then table.insert(pending, run) end
  elseif status ~= 200 then
    other = other + 1
  end
end

function delay()
  if rate > 0 then return math.floor(1000 * conns / rate) end
  return 0
end

function done(summary, latency, requests)
  local r, j, o = 0, 0, 0
  for _, t in ipairs(threads) do
    r = r + t:get("runs")
    j = j + t:get("judged")
    o = o + t:get("other")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("%s: %d runs (%.0f/s), %d approvals (%.0f/s), other non-2xx: %d, in %.1f s\n",
    mode, r, r / secs, j, j / secs, o, secs))
end
