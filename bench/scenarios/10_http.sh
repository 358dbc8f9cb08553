# scenario_http: the HTTP layer alone. GET /healthz (no database, answered on the I/O thread,
# access log on) against the bare server's GET /hello. Target: ≥ 0.8.
scenario_http() {
  local r
  for ((r = 1; r <= ROUNDS; r++)); do
    blog "round $r/$ROUNDS"
    start_bare
    wrk_measure "bare GET /hello" "$BARE_URL/hello"
    stop_servers
    start_gaond
    wrk_measure "gaon GET /healthz" "$GAON_URL/healthz"
    stop_servers
  done
  compare "GET /healthz (c=64)" "gaon GET /healthz" "bare GET /hello" 0.8
}
