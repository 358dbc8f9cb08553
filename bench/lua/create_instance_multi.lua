-- wrk: POST a new instance, spreading requests over many tenants (one key each).
-- Args: -- <file of "token tenant" lines> [creates per thread]
-- With a cap, a thread that has sent its creates asks GET /healthz instead until wrk stops,
-- so a run makes exactly (cap × threads) instances however late wrk is stopped.
local pairs_ = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
local n = 0
local cap = nil
local run = tostring(os.time())
function init(args)
  cap = tonumber(args[2])
  for line in io.lines(args[1]) do
    local token, tenant = line:match("(%S+)%s+(%S+)")
    pairs_[#pairs_ + 1] = {token, tenant}
  end
end
function request()
  if cap and n >= cap then return wrk.format("GET", "/healthz") end
  n = n + 1
  local p = pairs_[(n * 7 + (tid or 0) * 13) % #pairs_ + 1]
  local body = string.format(
    '{"name":"m%s-%d-%d","labels":{"bench":"create"},"spec":{"instance_type":"gpu.h100.1x","image":"ubuntu-24.04-cuda-12.8"}}',
    run, tid or 0, n)
  return wrk.format("POST", "/v1/tenants/" .. p[2] .. "/instances",
    {["Authorization"] = "Bearer " .. p[1], ["Content-Type"] = "application/json"}, body)
end
