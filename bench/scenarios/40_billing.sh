# scenario_billing: closing a month and exporting it (issue 8). On a fresh database, through
# the API: 1,000 tenants (KRW/KR and USD/SG alternately; every 7th with a contracted discount,
# every 10th with a promotional credit, half of them larger than the month's bill); then by SQL, as the owner: 200 instances per tenant
# (8 instance types over 5 GPU types, 1–8 GPUs) and five runs each, 1,000,000 usage records
# spread over the previous UTC month and 12 h either side of it — some started before it
# (split at its start), 4 per tenant still running (rated up to its end), ~1 % shorter than
# the 60-second minimum, durations from 5 minutes to 3 days (many cross UTC midnight, which
# cuts them into one invoice item per day).
# Then, with gaond serving the API only:
#   - the month closes: POST .../invoices:finalize for every tenant, BILLING_CONCURRENCY (4)
#     at a time; the wall time from the first request to the last 201, tenants/s, records/s;
#     target: under 60 s;
#   - the month is exported as FOCUS (GET /v1/admin/exports?format=focus) ROUNDS times, each
#     next to the baseline kit's `COPY … TO STDOUT` of its 1,000,000-row, 10-column table
#     (../shared/bench/baseline/run.sh, rebuilt here in the bare database), both streamed to
#     the client and counted; target: export rows/s ≥ 0.3 × COPY TO rows/s;
#   - reconciliation: the export's BilledCost summed per InvoiceId equals that invoice's
#     amount_due (usage + tax + credit rows), for every invoice.
# BILLING_DRAFT_EXPORT=1 also exports the month once before closing it (every tenant's items
# rated on the fly), without a target. BILLING_TENANTS / BILLING_RECORDS scale it down;
# BILLING_STATEMENT_TIMEOUT (600s) is gaond's statement timeout during the scenario.
# shellcheck shell=bash
scenario_billing() {
  local dir="$OUT/billing" tenants=${BILLING_TENANTS:-1000} records=${BILLING_RECORDS:-1000000}
  local conc=${BILLING_CONCURRENCY:-4} gaond="${GAOND:-$ROOT/build/server/gaond}"
  local per=$((records / tenants)) res=$((records / tenants / 5))
  ((res >= 8 && per == res * 5)) || bdie "BILLING_RECORDS / BILLING_TENANTS must be a multiple of 40"
  mkdir -p "$dir"
  local period p0 p1
  period="$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m)"
  p0="$period-01T00:00:00Z"
  p1="$(date -u +%Y-%m-01)T00:00:00Z"

  # --- the baseline: the kit's COPY table (same DDL and generator as its run.sh)
  blog "loading the baseline kit's COPY table (1,000,000 rows × 10 columns) into the bare database"
  psql_admin gaon_bench_bare -c "DROP TABLE IF EXISTS copy_rows" -c "CREATE TABLE copy_rows (
      id uuid PRIMARY KEY, tenant_id uuid NOT NULL, subscription_id text NOT NULL, meter text NOT NULL,
      quantity bigint NOT NULL, unit_price numeric(18,6) NOT NULL, amount numeric(18,6) NOT NULL,
      period_start timestamptz NOT NULL, recorded_at timestamptz NOT NULL, idempotency_key text NOT NULL)" \
    -c "INSERT INTO copy_rows SELECT md5('id'||i)::uuid, md5('tenant'||(i%500))::uuid, 'sub_'||(i%5000),
        (ARRAY['api_calls','storage_gb_hours','egress_bytes','seats','builds'])[1+i%5],
        (i*7919)%100000, round((i%1000)/1000.0 + 0.000123, 6), round(((i*7919)%100000)*((i%1000)/1000.0 + 0.000123), 6),
        timestamptz '2025-01-01 00:00:00+00' + (i%720)*interval '1 hour',
        timestamptz '2025-01-01 00:00:00+00' + i*interval '2.5 seconds', 'idem-'||md5('k'||i)
      FROM generate_series(1::bigint,1000000) i" -c "VACUUM ANALYZE copy_rows"

  # --- tenants through the API
  fresh_gaon_db
  # Exports run without a statement timeout (since d4e69b0); the raise stays for gaond builds
  # from before it, whose one-statement export outlasted the default 30 s at this size.
  ROLES=api start_gaond GAON_RATE_LIMIT_ENABLED=false GAON_LOG_ACCESS=false "GAON_CATALOG_FILE=$ROOT/deploy/catalog.yaml" \
    "GAON_DATABASE_STATEMENT_TIMEOUT=${BILLING_STATEMENT_TIMEOUT:-600s}"
  local op
  op="$(GAON_DATABASE_URL=$GAON_BENCH_APP_URL "$gaond" bootstrap --name "bench-$RANDOM" 2>/dev/null | tail -1)"
  [ -n "$op" ] || bdie "could not bootstrap an operator key"
  printf 'header = "Authorization: Bearer %s"\nheader = "X-Gaon-Operator-Reason: benchmark"\nheader = "Content-Type: application/json"\nsilent\n' \
    "$op" >"$dir/curlrc"
  chmod 600 "$dir/curlrc"
  blog "creating $tenants tenants through the API ($conc at a time)"
  local t0 t1 tseed
  t0="$(date +%s%N)"
  seq "$tenants" | xargs -P "$conc" -I{} sh -c '
    i={}; if [ $((i % 2)) = 0 ]; then j=KR; c=KRW; else j=SG; c=USD; fi
    curl -K "$1" -X POST "$2/v1/admin/tenants" -d "{\"name\":\"bill-$i\",\"display_name\":\"Billing bench $i\",\"jurisdiction\":\"$j\",\"billing_currency\":\"$c\",\"billing_email\":\"billing@bench.example\"}" |
      grep -o "\"id\":\"ten_[a-z0-9]*\"" | head -1 | cut -d\" -f4 | sed "s/^/$i $c /"' _ "$dir/curlrc" "$GAON_URL" >"$dir/tenants.txt"
  [ "$(wc -l <"$dir/tenants.txt")" = "$tenants" ] || bdie "created only $(wc -l <"$dir/tenants.txt") of $tenants tenants"
  # Every 7th: 10 % off H100 hours and 3 % off everything else; every 10th: a promotional
  # credit that some invoices use up and some do not.
  awk '$1 % 7 == 0 {print $3}' "$dir/tenants.txt" | xargs -P "$conc" -I{} curl -K "$dir/curlrc" -o /dev/null -X PUT \
    "$GAON_URL/v1/admin/tenants/{}/discounts" -d '{"percent":{"gpu-hour.h100-80gb-sxm":"10","*":"3"}}'
  awk '$1 % 10 == 0 {print $3, ($2 == "KRW") ? (($1 % 20 == 0) ? "1000000000" : "50000000") : (($1 % 20 == 0) ? "1000000.00" : "40000.00")}' "$dir/tenants.txt" |
    xargs -P "$conc" -n 2 sh -c 'curl -K "$0" -o /dev/null -X POST "$1/v1/admin/tenants/$2/credits" \
      -d "{\"kind\":\"promotional\",\"amount\":\"$3\",\"description\":\"bench\"}"' "$dir/curlrc" "$GAON_URL"
  [ "$(gaon_sql "SELECT count(*) FROM tenant_discounts")" -gt 0 ] || bdie "no discounts were set"
  [ "$(gaon_sql "SELECT count(*) FROM credit_grants")" -gt 0 ] || bdie "no credits were granted"
  t1="$(date +%s%N)"
  blog "  tenants, discounts and credits: $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", (b-a)/1e9}') s"

  # --- instances and usage records by SQL
  blog "seeding $((tenants * res)) instances and $records usage records for $period"
  t0="$(date +%s%N)"
  gaon_sql "WITH t AS (SELECT tenant_id, (row_number() OVER (ORDER BY tenant_id))::int - 1 AS tn FROM tenants),
      ty AS (SELECT (row_number() OVER (ORDER BY instance_type_id))::int - 1 AS n, * FROM instance_types
             WHERE instance_type_id IN ('gpu.h100.1x','gpu.h100.8x','gpu.a100.2x','gpu.a100.8x','gpu.h200.1x',
                                        'gpu.h200.8x','gpu.l40s.1x','gpu.b200.8x'))
    INSERT INTO instances (tenant_id, instance_id, name, instance_type_id, image_id, requested_zone_id, labels,
                           desired_state, gpu_type_id, gpu_count, vcpus, memory_gib, phase, zone_id, created_at,
                           deleted_at, run_count)
    SELECT t.tenant_id, 'inst_b' || lpad(t.tn::text, 4, '0') || lpad(r::text, 4, '0'), 'train-' || r,
           ty.instance_type_id, 'ubuntu-24.04-cuda-12.8', NULL,
           CASE WHEN r % 4 = 0 THEN jsonb_build_object('team', 'ml-' || (r % 3), 'env', 'prod') ELSE '{}' END,
           CASE WHEN r % 50 = 7 THEN 'running' ELSE 'stopped' END, ty.gpu_type_id, ty.gpu_count, ty.vcpus,
           ty.memory_gib, CASE WHEN r % 50 = 7 THEN 'Running' ELSE 'Deleted' END,
           'kr-central-1' || chr(97 + (r + t.tn) % 3), '$p0'::timestamptz - interval '1 day',
           CASE WHEN r % 50 = 7 THEN NULL ELSE '$p1'::timestamptz + interval '1 day' END, 5
    FROM t CROSS JOIN generate_series(0, $res - 1) r JOIN ty ON ty.n = (r + t.tn) % 8" >/dev/null
  # Run k of resource r starts at slot j = k*R + r of the period widened by 12 h each side
  # (runs of one resource ~6 days apart, so they never overlap); a tenant-dependent offset of
  # up to an hour; durations by a hash of (tenant, slot).
  gaon_sql "WITH t AS (SELECT tenant_id, (row_number() OVER (ORDER BY tenant_id))::int - 1 AS tn FROM tenants),
      s AS (SELECT t.tenant_id, t.tn, r, k, k * $res + r AS j, ((t.tn * $per + k * $res + r)::bigint * 7919) % 100000 AS h
            FROM t CROSS JOIN generate_series(0, $res - 1) r CROSS JOIN generate_series(0, 4) k),
      w AS (SELECT s.*, ('$p0'::timestamptz - interval '12 hours') +
                 (s.j * extract(epoch FROM '$p1'::timestamptz - '$p0'::timestamptz + interval '24 hours') / $per) * interval '1 second' +
                 (s.tn % 60) * interval '1 minute' AS st,
                 CASE WHEN s.j % 97 = 0 THEN 5 + s.h % 50                      -- under the 60-second minimum
                      WHEN s.h % 100 < 60 THEN 300 + s.h % 14100                -- 5 min – 4 h
                      WHEN s.h % 100 < 91 THEN 14400 + (s.h * 13) % 72000       -- 4 h – 24 h
                      ELSE 86400 + (s.h * 17) % 172800 END AS secs              -- 1 – 3 days
            FROM s)
    INSERT INTO usage_records (tenant_id, resource_kind, resource_id, run, sku, gpu_type_id, gpu_count, vcpus,
                               memory_gib, zone_id, started_at, ended_at, end_reason)
    SELECT w.tenant_id, 'instance', i.instance_id, w.k + 1, i.instance_type_id, i.gpu_type_id, i.gpu_count, i.vcpus,
           i.memory_gib, i.zone_id, w.st,
           CASE WHEN w.k = 4 AND w.r % 50 = 7 THEN NULL ELSE w.st + w.secs * interval '1 second' END,
           CASE WHEN w.k = 4 AND w.r % 50 = 7 THEN NULL ELSE 'stopped' END
    FROM w JOIN instances i ON i.tenant_id = w.tenant_id
                           AND i.instance_id = 'inst_b' || lpad(w.tn::text, 4, '0') || lpad(w.r::text, 4, '0')" >/dev/null
  gaon_sql "VACUUM ANALYZE usage_records" >/dev/null
  gaon_sql "VACUUM ANALYZE instances" >/dev/null
  t1="$(date +%s%N)"
  tseed="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", (b-a)/1e9}')"
  local shape
  shape="$(gaon_sql "SELECT count(*) || ' records, ' ||
      count(*) FILTER (WHERE started_at < '$p1' AND coalesce(ended_at, 'infinity') >= '$p0') || ' in $period, ' ||
      count(*) FILTER (WHERE started_at < '$p0' AND ended_at >= '$p0') || ' across its start, ' ||
      count(*) FILTER (WHERE ended_at IS NULL OR (started_at < '$p1' AND ended_at > '$p1')) || ' across its end or running, ' ||
      count(*) FILTER (WHERE ended_at - started_at < interval '60 seconds') || ' under 60 s, ' ||
      count(*) FILTER (WHERE date_trunc('day', started_at, 'UTC') <> date_trunc('day', coalesce(ended_at, '$p1'), 'UTC')) ||
      ' crossing UTC midnight' FROM usage_records")"
  blog "  seeded in ${tseed} s: $shape"
  note "billing: seeded $tenants tenants (API) and, by SQL in ${tseed} s, $shape"

  if [ "${BILLING_DRAFT_EXPORT:-0}" = 1 ]; then
    billing_export "gaon FOCUS export before close (drafts)" "$dir" "$period" "$op"
    note "billing: exporting $period before it was closed (every tenant's items rated on the fly): $BILLING_LAST_EXPORT"
  fi

  # --- the month closes
  blog "closing $period: finalizing $tenants invoices, $conc at a time"
  psql_admin postgres -c CHECKPOINT
  local t_close ok
  t0="$(date +%s%N)"
  cut -d' ' -f3 "$dir/tenants.txt" | xargs -P "$conc" -I{} curl -K "$dir/curlrc" -o /dev/null -w '%{http_code} %{time_total}\n' \
    -X POST "$GAON_URL/v1/admin/tenants/{}/invoices:finalize" -d "{\"period\":\"$period\"}" >"$dir/finalize.txt"
  t1="$(date +%s%N)"
  t_close="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", (b-a)/1e9}')"
  ok="$(grep -c '^201 ' "$dir/finalize.txt" || true)"
  ((ok == tenants)) || bdie "only $ok of $tenants finalizations answered 201: $dir/finalize.txt, $OUT/gaond.log"
  local lat items inv_sum
  lat="$(awk '{print $2 * 1000}' "$dir/finalize.txt" | sort -n |
    awk '{v[NR]=$1} END{printf "p50 %.0f ms, p99 %.0f ms, max %.0f ms", v[int(NR*0.5)+1], v[int(NR*0.99)], v[NR]}')"
  items="$(gaon_sql "SELECT count(*) FROM invoice_items")"
  inv_sum="$(gaon_sql "SELECT sum(n) || ' invoices (' || string_agg(n || ' ' || c, ', ') || '), ' ||
      sum(l) || ' lines, ' || sum(cr) || ' with credits applied'
    FROM (SELECT currency AS c, count(*) AS n, sum((SELECT count(*) FROM invoice_lines l WHERE l.invoice_id = i.invoice_id)) AS l,
                 count(*) FILTER (WHERE credits_applied > 0) AS cr
          FROM invoices i WHERE period_start = '$p0' GROUP BY currency) x")"
  local tps rps
  tps="$(awk -v n="$tenants" -v t="$t_close" 'BEGIN{printf "%.1f", n/t}')"
  rps="$(awk -v n="$records" -v t="$t_close" 'BEGIN{printf "%.0f", n/t}')"
  printf '%s\t%s\t-\t-\t-\t0\n' "gaon month close (tenants/s)" "$tps" >>"$TSV"
  blog "  closed in ${t_close} s: $tps tenants/s, $rps records/s; per finalize $lat; $inv_sum; $items items"
  note "billing: $period closed in **${t_close} s** ($tenants finalizations, $conc at a time: $tps tenants/s, $rps usage records/s; per request $lat): $inv_sum, $items invoice items. Target under 60 s: $(awk -v t="$t_close" 'BEGIN{print (t < 60) ? "ok" : "BELOW TARGET"}')"

  # --- the export, next to COPY TO, alternating
  local r
  for ((r = 1; r <= ROUNDS; r++)); do
    blog "round $r/$ROUNDS"
    copy_to_measure "COPY TO stdout csv (kit table)"
    billing_export "gaon FOCUS export" "$dir" "$period" "$op"
  done
  compare "FOCUS export of $period (rows/s)" "gaon FOCUS export" "COPY TO stdout csv (kit table)" 0.3
  note "billing: last FOCUS export: $BILLING_LAST_EXPORT"

  # --- reconciliation: BilledCost per InvoiceId against the invoices
  gaon_sql "SELECT number || ',' || amount_due FROM invoices WHERE period_start = '$p0' AND state <> 'void'" >"$dir/invoices.txt"
  local rec
  rec="$(python3 - "$dir/focus.csv" "$dir/invoices.txt" <<'EOF'
import csv, sys
from decimal import Decimal
due = dict(l.strip().split(",") for l in open(sys.argv[2]) if l.strip())
got, rows, cats = {}, 0, {}
with open(sys.argv[1], newline="") as f:
    rd = csv.reader(f)
    h = rd.__next__()
    inv, cost, cat = h.index("InvoiceId"), h.index("BilledCost"), h.index("ChargeCategory")
    for row in rd:
        rows += 1
        got[row[inv]] = got.get(row[inv], Decimal(0)) + Decimal(row[cost])
        cats[row[cat]] = cats.get(row[cat], 0) + 1
bad = [k for k in set(due) | set(got) if Decimal(due.get(k, "NaN")) != got.get(k, Decimal("NaN"))]
print(("OK" if not bad else "MISMATCH") + ": %d rows (%s), %d invoices in the export, %d in the database, %d differ%s" % (
    rows, ", ".join("%s %d" % kv for kv in sorted(cats.items())), len(got), len(due), len(bad),
    (" (e.g. %s: export %s, invoice %s)" % (bad[0], got.get(bad[0]), due.get(bad[0]))) if bad else ""))
EOF
)"
  blog "  reconciliation: $rec"
  note "billing: reconciliation, BilledCost summed per InvoiceId = the invoice's amount_due: $rec"
  rm -f "$dir/focus.csv" "$dir/curlrc"
  stop_servers
}

# copy_to_measure KEY: the baseline kit's `COPY copy_rows TO STDOUT WITH (FORMAT csv)` streamed
# to psql and counted (output discarded); appends "KEY rows/s".
copy_to_measure() {
  local key=$1 t0 t1 n secs rate
  psql_admin postgres -c CHECKPOINT
  t0="$(date +%s%N)"
  n="$(psql_admin gaon_bench_bare -c "COPY copy_rows TO STDOUT WITH (FORMAT csv)" | wc -l)"
  t1="$(date +%s%N)"
  secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')"
  rate="$(awk -v n="$n" -v s="$secs" 'BEGIN{printf "%.0f", n/s}')"
  printf '%s\t%s\t-\t-\t-\t0\n' "$key" "$rate" >>"$TSV"
  blog "  $key: $n rows in ${secs} s: $rate rows/s"
}

# billing_export KEY DIR PERIOD OPERATOR_KEY: GET /v1/admin/exports?period=…&format=focus
# written to DIR/focus.csv; appends "KEY rows/s" (data rows, the header not counted) and
# sets BILLING_LAST_EXPORT to a one-line summary.
billing_export() {
  local key=$1 dir=$2 period=$3 t0 t1 code n secs rate bytes cpu0 cpu1
  psql_admin postgres -c CHECKPOINT
  cpu0="$(proc_ticks "$GAON_PID")"
  t0="$(date +%s%N)"
  local rc=0
  code="$(curl -K "$dir/curlrc" -o "$dir/focus.csv" -w '%{http_code}' "$GAON_URL/v1/admin/exports?period=$period&format=focus")" || rc=$?
  t1="$(date +%s%N)"
  cpu1="$(proc_ticks "$GAON_PID")"
  [ "$code" = 200 ] && [ "$rc" = 0 ] || {
    rm -f "$dir/focus.csv"
    bdie "export failed (HTTP $code, curl exit $rc after $(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}') s): $OUT/gaond.log"
  }
  n=$(($(wc -l <"$dir/focus.csv") - 1))
  bytes="$(stat -c %s "$dir/focus.csv")"
  secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')"
  rate="$(awk -v n="$n" -v s="$secs" 'BEGIN{printf "%.0f", n/s}')"
  printf '%s\t%s\t-\t-\t%s\t0\n' "$key" "$rate" \
    "$(awk -v a="$cpu0" -v b="$cpu1" -v s="$secs" -v hz="$HZ" 'BEGIN{printf "%.0f", (b-a)/hz/s*100}')" >>"$TSV"
  BILLING_LAST_EXPORT="$n rows, $((bytes / 1048576)) MiB in ${secs} s ($rate rows/s)"
  blog "  $key: $BILLING_LAST_EXPORT"
}
