#!/usr/bin/env bash
# bench/diag/get_cost.sh — where a GET one instance's CPU goes, next to the bare server's GET.
# A diagnostic, not a benchmark with a target (bench/run.sh is that): it alternates wrk runs
# (c=64, 8 s) against the bare server and against each gaond given, and prints per request
# the server process's CPU and its PostgreSQL backends' CPU (/proc/<pid>/stat over seconds
# 2–6 of each run), then the medians per server. The VM's noise is ±10 %: compare medians of
# several rounds, never single runs.
#
#   bench/diag/get_cost.sh [ROUNDS] [name=/path/to/gaond ...]   (default: 4, build/server/gaond)
#
# Needs what `bench/run.sh instances` leaves behind (the gaon_bench database, the tenant and
# instance ids in .gaon/bench/*/instances, the bare server's binary) and the private
# PostgreSQL running (`./gaon pg start`). Used for docs/performance.md, "GET above 0.5".
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
set -a; . "$ROOT/.gaon/env"; set +a
ROUNDS=${1:-4}; shift || true
SERVERS=("$@"); ((${#SERVERS[@]})) || SERVERS=("gaond=$ROOT/build/server/gaond")
DUR=8
D="$(ls -d "$ROOT"/.gaon/bench/*/instances 2>/dev/null | tail -1)"
[ -n "$D" ] || bdie "run bench/run.sh instances first"
read -r KEY TEN <"$D/tenant.txt"
BARE_BIN="$ROOT/.gaon/bench/bare-server"
GAON_BENCH_APP_URL="$(sed 's#/gaon$#/gaon_bench#' <<<"$GAON_DATABASE_URL")"
GAON_BENCH_OWNER_URL="$(sed 's#/gaon$#/gaon_bench#' <<<"$GAON_DATABASE_OWNER_URL")"
OUT="$(mktemp -d)"
trap 'stop_servers; rm -rf "$OUT"' EXIT

cpu_us() { local t=0 p; for p in "$@"; do t=$((t + $(proc_ticks "$p"))); done; echo $((t * 1000000 / HZ)); }
# measure NAME PID DB URL LUA [ARGS...]: one wrk run; appends "NAME rps server_us backend_us".
measure() {
  local name=$1 pid=$2 db=$3 url=$4 lua=$5; shift 5
  # As wrk_measure: what earlier writes left to vacuum is not charged to this run.
  psql_admin "$db" -c "VACUUM (ANALYZE)"
  psql_admin postgres -c CHECKPOINT
  wrk -t"$WRK_THREADS" -c64 -d${DUR}s -s "$lua" "$url" -- "$@" >"$OUT/wrk" 2>&1 &
  local w=$! backends s0 b0 t0 s1 b1 t1
  sleep 2
  backends=$(psql_admin postgres -At -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND backend_type = 'client backend'")
  s0=$(cpu_us "$pid"); b0=$(cpu_us $backends); t0=$(date +%s%N)
  sleep 4
  s1=$(cpu_us "$pid"); b1=$(cpu_us $backends); t1=$(date +%s%N)
  wait $w
  awk -v n="$name" -v rps="$(awk '/^Requests\/sec:/{print $2}' "$OUT/wrk")" -v s=$((s1 - s0)) -v b=$((b1 - b0)) \
      -v dt=$((t1 - t0)) 'BEGIN{k = rps * dt / 1e9; printf "%s %.0f %.1f %.1f\n", n, rps, s / k, b / k}' | tee -a "$OUT/all"
}

echo "name req/s server_us_per_req backend_us_per_req"
for ((r = 1; r <= ROUNDS; r++)); do
  start_bare
  measure bare "$BARE_PID" gaon_bench_bare "$BARE_URL" "$BASELINE_DIR/get_row.lua"
  stop_servers
  for spec in "${SERVERS[@]}"; do
    GAOND="${spec#*=}" ROLES=api start_gaond GAON_RATE_LIMIT_ENABLED=false "GAON_CATALOG_FILE=$ROOT/deploy/catalog.yaml"
    measure "${spec%%=*}" "$GAON_PID" gaon_bench "$GAON_URL" "$BENCH/lua/get_instance.lua" "$KEY" "$TEN" "$D/ids.txt"
    stop_servers
  done
done
echo "--- medians: name req/s ratio_to_bare server_us backend_us"
awk '{ r[$1] = r[$1] " " $2; s[$1] = s[$1] " " $3; b[$1] = b[$1] " " $4 }
function med(str,  a, k, i, j, t) { k = split(str, a, " "); for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
                                   return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
END { base = med(r["bare"]); for (n in r) printf "%s %.0f %.3f %.1f %.1f\n", n, med(r[n]), med(r[n]) / base, med(s[n]), med(b[n]) }' "$OUT/all"
