# scenario_controllers: how fast the controllers make instances real. For N = 1,000 and
# 10,000: a fresh database, gaond (API and controllers) with a zero-latency sim fleet big
# enough for everything (1,320 hosts x 8 H100s), N to N + 16 one-GPU instances (the wrk
# script's per-thread cap of N/2 + 8: wrk stopped late once made 10,666 of 10,000, more than the
# fleet holds, and the wait for all Running never ended; an exact N/2 came out one short,
# wrk's first request() of a thread is not always sent) created through the API over 16
# tenants (c=16; c=64 was no faster, see
# docs/performance.md), and the time from the first create until all N are Running (status
# written, allocation booked, usage record open). Then the same backlog handed to the
# controllers at once (created with --roles api, then gaond restarted with its controllers).
# Printed as instances/s next to pgbench's durable small write transaction (-N) on the same
# cluster in the same run. Target: 10,000 converge in under 20 s.
# The same N created with bulk creates (POST …/instances:bulkCreate, BULK_SIZE = 100 a request),
# as a tenant launching a large fleet would: the time from the first request to all Running.
# CONTROLLER_RUNS ("api bulk backlog") picks the parts: "backlog" alone skips both runs through
# the API.
# gaond runs with its default pool of 8 connections (CONTROLLER_POOL), like pgbench's 8 clients
# beside it; the HTTP scenarios' 4 match the bare server's 4 connections instead. With 4, the
# 8 reconcile workers, the scheduler and the fleet monitor wait for one another's connections:
# the backlog ran at 535-538/s against 560-609/s with 8 (interleaved pairs, 2026-11-29).
#
# The waits below poll while the controllers work. Counting rows of `instances` (wide rows, a
# dead version from every status write) every 50 ms cost PostgreSQL 25–80 ms a poll: 15 % of
# the machine during a 19 s run, taken from what is measured. The tenants' quota usage (one row
# per tenant and dimension) counts live instances exactly, for next to nothing; open usage
# records count the Running ones (the status write into Running opens one in the same
# transaction) for ~19 ms under load, so that wait polls every 200 ms (the figure may be late
# by that much: 1 % of 20 s). The phases themselves are checked once at the end.
CONTROLLER_POOL="${CONTROLLER_POOL:-8}"
BULK_SIZE="${BULK_SIZE:-100}"
LIVE_SQL="SELECT coalesce(sum(used), 0) FROM quota_usage WHERE dimension = 'instances'"
RUNNING_SQL="SELECT count(*) FROM usage_records WHERE ended_at IS NULL"

scenario_controllers() {
  local dir="$OUT/controllers" n
  mkdir -p "$dir"
  {
    echo "groups:"
    for z in a b c; do
      echo "  - {zone: kr-central-1$z, gpu_type: h100-80gb-sxm, nodes: 440, gpus: 8, vcpus: 192, memory_gib: 2048}"
    done
  } >"$dir/fleet.yaml"
  for ((r = 1; r <= ROUNDS; r++)); do
    pgbench_measure "pgbench -N c=8"
  done
  for n in ${CONTROLLER_SIZES:-1000 10000}; do
    local t0 t1 created running wrk_pid total rate e2e_total single_total="" bulk_total=""
    if [[ " ${CONTROLLER_RUNS:-api bulk backlog} " == *" api "* ]]; then
      e2e_run "$n" single "$dir"
      single_total=$e2e_total
    fi
    if [[ " ${CONTROLLER_RUNS:-api bulk backlog} " == *" bulk "* ]]; then
      e2e_run "$n" bulk "$dir"
      bulk_total=$e2e_total
    fi
    [[ " ${CONTROLLER_RUNS:-api bulk backlog} " == *" backlog "* ]] || continue
    # The same backlog handed to the controllers at once: created with the API only, then
    # gaond restarted with its controllers (as after an outage): their throughput alone.
    fresh_gaon_db
    ROLES=api start_gaond "GAON_DATABASE_POOL_SIZE=$CONTROLLER_POOL" GAON_RATE_LIMIT_ENABLED=false GAON_LOG_ACCESS=false "GAON_CATALOG_FILE=$ROOT/deploy/catalog.yaml"
    bench_tenants 16 "$dir/tenants-$n.txt"
    wrk -t2 -c16 -d600s -s "$BENCH/lua/create_instance_multi.lua" "$GAON_URL" -- "$dir/tenants-$n.txt" "$((n / 2 + 8))" >"$dir/wrk-backlog-$n.log" 2>&1 &
    wrk_pid=$!
    gaon_poll_open
    until (($(gaon_poll "$LIVE_SQL") >= n)); do
      kill -0 "$wrk_pid" 2>/dev/null || bdie "wrk stopped early: $dir/wrk-backlog-$n.log"
      sleep 0.05
    done
    kill -TERM "$wrk_pid"; wait "$wrk_pid" 2>/dev/null || true
    stop_servers
    created="$(gaon_sql "SELECT count(*) FROM instances")"
    psql_admin postgres -c CHECKPOINT
    t0="$(date +%s%N)"
    start_gaond "GAON_DATABASE_POOL_SIZE=$CONTROLLER_POOL" GAON_RATE_LIMIT_ENABLED=false GAON_LOG_ACCESS=false "GAON_CATALOG_FILE=$ROOT/deploy/catalog.yaml" \
      "GAON_SIM_FLEET_FILE=$dir/fleet.yaml" GAON_SIM_PROVISION_TIME=0s GAON_SIM_BOOT_TIME=0s
    for _ in $(seq 1500); do
      running="$(gaon_poll "$RUNNING_SQL")"
      ((running >= created)) && break
      sleep 0.2
    done
    t1="$(date +%s%N)"
    gaon_poll_close
    ((running >= created)) || bdie "only $running of a backlog of $created ran within 5 minutes: $OUT/gaond.log"
    running="$(gaon_sql "SELECT count(*) FROM instances WHERE phase = 'Running'")"
    ((running == created)) || bdie "$running of $created instances in phase Running with $created usage records open"
    stop_servers
    total="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", (b-a)/1e9}')"
    rate="$(awk -v n="$created" -v t="$total" 'BEGIN{printf "%.1f", n/t}')"
    printf '%s\t%s\t-\t-\t-\t0\n' "gaon $n backlog to Running" "$rate" >>"$TSV"
    blog "  backlog of $created: all Running ${total}s after gaond started with controllers: $rate/s"
    note "backlog of $created (created with the API only, then gaond started with its controllers, pool $CONTROLLER_POOL): all Running in ${total} s, including start-up and fleet registration"
    compare "$n waiting instances → Running (instances/s)" "gaon $n backlog to Running" "pgbench -N c=8" 0
    if ((n >= 10000)); then
      note "target: 10,000 instances Running in under 20 s — as a backlog handed to the controllers: $(verdict "$total")${bulk_total:+; from the first of 10,000 created through the API in bulk creates of $BULK_SIZE: $(verdict "$bulk_total")}${single_total:+; from the first of 10,000 created one by one: $(verdict "$single_total"), bounded by the create rate}"
    fi
  done
}

verdict() { awk -v t="$1" 'BEGIN{printf "%s (%s s)", (t < 20) ? "ok" : "BELOW TARGET", t}'; }

# e2e_run N HOW DIR: a fresh database, gaond (API and controllers) with the sim fleet, and N
# instances created through the API over 16 tenants — HOW "single": one per request (c=16), or
# "bulk": $BULK_SIZE per POST …/instances:bulkCreate (c=4) — timed from the first create until
# all are Running. Each wrk thread's creates are capped a little over N/2 (see the top), so a
# run makes N to N + 16 (single) or N + 2 × $BULK_SIZE (bulk). Sets e2e_total.
e2e_run() {
  local n=$1 how=$2 dir=$3 t0 t_created t1 created running wrk_pid check conv rate create_rate total
  fresh_gaon_db
  start_gaond "GAON_DATABASE_POOL_SIZE=$CONTROLLER_POOL" GAON_RATE_LIMIT_ENABLED=false GAON_LOG_ACCESS=false "GAON_CATALOG_FILE=$ROOT/deploy/catalog.yaml" \
    "GAON_SIM_FLEET_FILE=$dir/fleet.yaml" GAON_SIM_PROVISION_TIME=0s GAON_SIM_BOOT_TIME=0s
  for _ in $(seq 300); do [ "$(gaon_sql "SELECT count(*) FROM nodes")" = 1320 ] && break; sleep 0.1; done
  bench_tenants 16 "$dir/tenants-$n.txt"
  blog "creating $n instances ($how creates) and waiting for all to run"
  psql_admin postgres -c CHECKPOINT
  t0="$(date +%s%N)"
  if [ "$how" = bulk ]; then
    wrk -t2 -c4 -d600s -s "$BENCH/lua/create_instance_multi.lua" "$GAON_URL" -- "$dir/tenants-$n.txt" \
      "$((n / (2 * BULK_SIZE) + 1))" "$BULK_SIZE" >"$dir/wrk-$how-$n.log" 2>&1 &
  else
    wrk -t2 -c16 -d600s -s "$BENCH/lua/create_instance_multi.lua" "$GAON_URL" -- "$dir/tenants-$n.txt" "$((n / 2 + 8))" \
      >"$dir/wrk-$how-$n.log" 2>&1 &
  fi
  wrk_pid=$!
  gaon_poll_open
  while :; do
    created="$(gaon_poll "$LIVE_SQL")"
    ((created >= n)) && break
    kill -0 "$wrk_pid" 2>/dev/null || bdie "wrk stopped early: $dir/wrk-$how-$n.log"
    sleep 0.05
  done
  kill -TERM "$wrk_pid"; wait "$wrk_pid" 2>/dev/null || true
  t_created="$(date +%s%N)"
  for _ in $(seq 1500); do
    # Counted together: wrk's last in-flight creates land too.
    read -r created running <<<"$(gaon_poll "SELECT ($LIVE_SQL) || ' ' || ($RUNNING_SQL)")"
    ((running >= created)) && break
    sleep 0.2
  done
  t1="$(date +%s%N)"
  gaon_poll_close
  ((running >= created)) || bdie "only $running of $created instances ran within 5 minutes: $OUT/gaond.log"
  check="$(gaon_sql "SELECT (SELECT count(*) FROM instances WHERE phase = 'Running') || ' in phase Running, ' ||
    (SELECT sum(allocated_gpus) FROM nodes) || ' GPUs booked, ' ||
    (SELECT count(*) FROM usage_records WHERE ended_at IS NULL) || ' open usage records, ' ||
    (SELECT count(*) FROM sim_machines) || ' sim machines'")"
  stop_servers
  total="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", (b-a)/1e9}')"
  conv="$(awk -v a="$t_created" -v b="$t1" 'BEGIN{printf "%.2f", (b-a)/1e9}')"
  rate="$(awk -v n="$created" -v t="$total" 'BEGIN{printf "%.1f", n/t}')"
  create_rate="$(awk -v n="$created" -v a="$t0" -v b="$t_created" 'BEGIN{printf "%.1f", n/((b-a)/1e9)}')"
  printf '%s\t%s\t-\t-\t-\t0\n' "gaon $n instances ($how) to Running" "$rate" >>"$TSV"
  blog "  $created instances ($how creates) Running ${total}s after the first create (${conv}s after the last): $rate/s; creates $create_rate/s; $check"
  note "$created instances created with $how creates (gaond pool $CONTROLLER_POOL): all Running ${total} s after the first create, ${conv} s after the last; creates alone $create_rate/s; then $check"
  compare "$n instances created ($how) → Running (instances/s)" "gaon $n instances ($how) to Running" "pgbench -N c=8" 0
  e2e_total=$total
}
