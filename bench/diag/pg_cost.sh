#!/usr/bin/env bash
# bench/diag/pg_cost.sh SCRIPT [gaon|bare] [SECONDS]: what one transaction of a pgbench SCRIPT
# costs PostgreSQL — one client (-M prepared) for SECONDS (4), and the CPU its backend used
# (/proc/<pid>/schedstat) divided by the transactions run. Runs against the bench's databases
# (gaon_bench as the application role, so row-level security applies; or gaon_bench_bare), so
# run `bench/run.sh instances` first and keep the private PostgreSQL running. A script may
# wrap its statements in \startpipeline … \endpipeline to send them in one round trip, as gaond
# does. Used for the per-variant table in docs/performance.md, "GET above 0.5".
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
set -a; . "$ROOT/.gaon/env"; set +a
trap - EXIT
script=${1:?usage: pg_cost.sh SCRIPT [gaon|bare] [SECONDS]}
if [ "${2:-gaon}" = bare ]; then
  db=gaon_bench_bare url="$(sed 's#/postgres$#/gaon_bench_bare#' <<<"$GAON_TEST_ADMIN_URL")"
else
  db=gaon_bench url="$(sed 's#/gaon$#/gaon_bench#' <<<"$GAON_DATABASE_URL")"
fi
out="$(mktemp)"
"$PGBIN/pgbench" -n -M prepared -c 1 -T "${3:-4}" -f "$script" "$url" >"$out" 2>&1 &
pb=$!
backend=""
for _ in $(seq 100); do
  backend=$(psql_admin postgres -At -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND application_name = 'pgbench' LIMIT 1")
  [ -n "$backend" ] && break
  sleep 0.02
done
ns=0
while kill -0 $pb 2>/dev/null; do
  v=$(cut -d' ' -f1 "/proc/$backend/schedstat" 2>/dev/null || true)
  [ -n "$v" ] && ns=$v
  sleep 0.02
done
wait $pb || { cat "$out" >&2; rm -f "$out"; bdie "pgbench failed"; }
n=$(grep -oP 'number of transactions actually processed: \K[0-9]+' "$out")
rm -f "$out"
awk -v ns="$ns" -v n="$n" -v s="$(basename "$script")" 'BEGIN{printf "%s: %d transactions, %.1f us of backend CPU each\n", s, n, ns / 1000 / n}'
