-- wrk: POST new 1-GPU instances as fast as the server takes them, spread over tenants (one
-- key each). The caller stops wrk once enough exist. Args: -- <file of "token tenant" lines>
local pairs_ = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
local n = 0
local run = tostring(os.time())
function init(args)
  for line in io.lines(args[1]) do
    local token, tenant = line:match("(%S+)%s+(%S+)")
    pairs_[#pairs_ + 1] = {token, tenant}
  end
end
function request()
  n = n + 1
  local p = pairs_[(n + (tid or 0)) % #pairs_ + 1]
  local body = string.format(
    '{"name":"c%s-%d-%d","spec":{"instance_type":"gpu.h100.1x","image":"ubuntu-24.04-cuda-12.8"}}', run, tid or 0, n)
  return wrk.format("POST", "/v1/tenants/" .. p[2] .. "/instances",
    {["Authorization"] = "Bearer " .. p[1], ["Content-Type"] = "application/json"}, body)
end
