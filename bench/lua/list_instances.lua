-- wrk: GET a page of 50 instances. Args: -- <token> <tenant>
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
local auth = require("gaon_auth")
local token, tenant
function init(args)
  token, tenant = auth.args(args)
end
function request()
  return wrk.format("GET", "/v1/tenants/" .. tenant .. "/instances?page_size=50", {["Authorization"] = "Bearer " .. token})
end
