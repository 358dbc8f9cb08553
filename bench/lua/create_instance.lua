-- wrk: POST a new instance with a unique name. Args: -- <token> <tenant>
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
local auth = require("gaon_auth")
local token, tenant
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
local n = 0
local run = tostring(os.time())
function init(args)
  token, tenant = auth.args(args)
end
function request()
  n = n + 1
  local body = string.format(
    '{"name":"b%s-%d-%d","labels":{"bench":"create"},"spec":{"instance_type":"gpu.h100.1x","image":"ubuntu-24.04-cuda-12.8"}}',
    run, tid or 0, n)
  return wrk.format("POST", "/v1/tenants/" .. tenant .. "/instances",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
