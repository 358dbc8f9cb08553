# scenario_instances: the tenant API on real data. GET one instance (of 2,000), list a page of
# 50, and create an instance (admission: quota lock, insert, event, change record, audit),
# each next to the bare server's GET /row/{id} and POST /row (BEGIN/INSERT/COMMIT).
# Targets: GET ≥ 0.5 × bare GET, create ≥ 0.4 × bare insert, the latter across 64 tenants:
# admission is exact because a tenant's creates are serialised on its quota rows, so one
# tenant's create rate is bounded by that lock (measured too, without a target; group commit
# runs a tenant's waiting creates one after the other in one shared transaction). Rate limits
# are off: the bench drives everything through a few principals. gaond serves the API only
# (no controllers): these figures are the API's; scenario_controllers measures the rest.
# Nothing is placed, so the queue grows with every create (to ~50,000 by the last round).
# Before each round the queue is ranked once, as the scheduler does after each pass
# (gaon_rank_queue, migration 0012): the GETs then read waiting instances with a stored queue
# position, as they would under a running scheduler, and the ranking's own cost is noted.
scenario_instances() {
  local r setup_dir="$OUT/instances"
  mkdir -p "$setup_dir"
  ROLES=api start_gaond GAON_RATE_LIMIT_ENABLED=false GAON_LOG_ACCESS=true "GAON_CATALOG_FILE=$ROOT/deploy/catalog.yaml"
  blog "creating a tenant, a key and 2,000 instances through the API"
  bench_tenants 1 "$setup_dir/tenant.txt"
  local key tenant
  read -r key tenant <"$setup_dir/tenant.txt"
  : >"$setup_dir/ids.txt"
  for i in $(seq 2000); do
    curl -s -H "Authorization: Bearer $key" -H "Content-Type: application/json" -X POST "$GAON_URL/v1/tenants/$tenant/instances" \
      -d "{\"name\":\"seed-$i\",\"spec\":{\"instance_type\":\"gpu.h100.1x\",\"image\":\"ubuntu-24.04-cuda-12.8\"}}" |
      grep -o '"id":"inst_[a-z0-9]*"' | head -1 | cut -d'"' -f4 >>"$setup_dir/ids.txt"
  done
  [ "$(wc -l <"$setup_dir/ids.txt")" -ge 1900 ] || bdie "seeding instances failed"
  blog "creating 64 more tenants with a key each, for creates spread over tenants"
  bench_tenants 64 "$setup_dir/tenants.txt"
  stop_servers
  for ((r = 1; r <= ROUNDS; r++)); do
    blog "round $r/$ROUNDS"
    start_bare
    wrk_measure "bare GET /row/{id}" "$BARE_URL" "$BASELINE_DIR/get_row.lua"
    wrk_measure "bare POST /row" "$BARE_URL" "$BASELINE_DIR/post_row.lua"
    stop_servers
    rank_queue "round $r"
    ROLES=api start_gaond GAON_RATE_LIMIT_ENABLED=false "GAON_CATALOG_FILE=$ROOT/deploy/catalog.yaml"
    wrk_measure "gaon GET instance" "$GAON_URL" "$BENCH/lua/get_instance.lua" 64 "$key" "$tenant" "$setup_dir/ids.txt"
    wrk_measure "gaon list 50 instances" "$GAON_URL" "$BENCH/lua/list_instances.lua" 64 "$key" "$tenant"
    wrk_measure "gaon create instance, 64 tenants" "$GAON_URL" "$BENCH/lua/create_instance_multi.lua" 64 "$setup_dir/tenants.txt"
    wrk_measure "gaon create instance, one tenant" "$GAON_URL" "$BENCH/lua/create_instance.lua" 64 "$key" "$tenant"
    stop_servers
  done
  compare "GET one instance (c=64)" "gaon GET instance" "bare GET /row/{id}" 0.5
  compare "list 50 instances (c=64)" "gaon list 50 instances" "bare GET /row/{id}" 0
  compare "create instance, 64 tenants (c=64)" "gaon create instance, 64 tenants" "bare POST /row" 0.4
  compare "create instance, one tenant (c=64)" "gaon create instance, one tenant" "bare POST /row" 0
}

# rank_queue LABEL: one ranking of the whole placement queue, as the scheduler makes it; its
# time (in PostgreSQL), the queue's length and the position rows written become a report note.
rank_queue() {
  local out written ms waiting
  out="$(gaon_sql "SELECT gaon_rank_queue(), round(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)")"
  IFS='|' read -r written ms <<<"$out"
  waiting="$(gaon_sql "SELECT coalesce(sum(waiting), 0) FROM instance_queue_rankings")"
  blog "  ranking the queue: $waiting waiting, $written positions written, $ms ms"
  note "$1: ranking the placement queue ($waiting waiting) took $ms ms and wrote $written positions"
}
