-- wrk script: GET /v1/client/scores?board_id=…&limit=10 as game clients (TOKENS: comma-separated
-- "devicekey=token" entries as for client_pairs.lua). Optional RATE (reads per second) adds
-- think time per connection.
local board = os.getenv("BOARD")
local conns = tonumber(os.getenv("CONNS") or "64")
local rate = tonumber(os.getenv("RATE") or "0")
local list = {}
for entry in string.gmatch(os.getenv("TOKENS"), "[^,]+") do
  table.insert(list, string.match(entry, "[^=]+=(.+)"))
end
local i = 0
request = function()
  i = i % #list + 1
  return wrk.format("GET", "/v1/client/scores?board_id=" .. board .. "&limit=10",
    { ["authorization"] = "Bearer " .. list[i] }, nil)
end
function delay()
  if rate > 0 then return math.floor(1000 * conns / rate) end
  return 0
end
