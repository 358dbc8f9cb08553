-- wrk: GET one instance, a random one of the ids in the file given as the third argument.
-- Args: -- <token> <tenant> <ids file>
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
local auth = require("gaon_auth")
local token, tenant, ids
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
function init(args)
  token, tenant, ids = auth.args(args)
  math.randomseed(4000 + (tid or 0))
end
function request()
  local id = ids[math.random(1, #ids)]
  return wrk.format("GET", "/v1/tenants/" .. tenant .. "/instances/" .. id, {["Authorization"] = "Bearer " .. token})
end
