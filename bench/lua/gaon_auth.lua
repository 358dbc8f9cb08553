-- Shared by Gaon's wrk scripts: reads "<token> <tenant> [ids file]" from the script arguments.
local M = {}
function M.args(args)
  local token, tenant, ids_file = args[1], args[2], args[3]
  local ids = {}
  if ids_file then
    for line in io.lines(ids_file) do ids[#ids + 1] = line end
  end
  return token, tenant, ids
end
return M
