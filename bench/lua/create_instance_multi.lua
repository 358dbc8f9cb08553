-- wrk: POST new instances, spreading requests over many tenants (one key each).
-- Args: -- <file of "token tenant" lines> [requests per thread] [instances per request]
-- With a cap, a thread that has sent its requests asks GET /healthz instead until wrk stops,
-- so a run makes exactly (cap × threads × per request) instances however late wrk is stopped.
-- With instances per request, each request is a POST …/instances:bulkCreate of that many.
local pairs_ = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
local n = 0
local cap = nil
local per = nil
local run = tostring(os.time())
function init(args)
  cap = tonumber(args[2])
  per = tonumber(args[3])
  for line in io.lines(args[1]) do
    local token, tenant = line:match("(%S+)%s+(%S+)")
    pairs_[#pairs_ + 1] = {token, tenant}
  end
end
function request()
  if cap and n >= cap then return wrk.format("GET", "/healthz") end
  n = n + 1
  local p = pairs_[(n * 7 + (tid or 0) * 13) % #pairs_ + 1]
  local path, body = "/v1/tenants/" .. p[2] .. "/instances", nil
  local spec = '"spec":{"instance_type":"gpu.h100.1x","image":"ubuntu-24.04-cuda-12.8"}'
  if per then
    path = path .. ":bulkCreate"
    body = string.format('{"count":%d,"name_pattern":"b%s-%d-%d-####","labels":{"bench":"bulk"},%s}',
      per, run, tid or 0, n, spec)
  else
    body = string.format('{"name":"m%s-%d-%d","labels":{"bench":"create"},%s}', run, tid or 0, n, spec)
  end
  return wrk.format("POST", path, {["Authorization"] = "Bearer " .. p[1], ["Content-Type"] = "application/json"}, body)
end
