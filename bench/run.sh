#!/usr/bin/env bash
# bench/run.sh — Gaon's benchmarks, each figure next to the machine's own limit measured in
# the same run (the baseline kit's bare Beast + libpqxx server, pgbench, COPY).
#
#   bench/run.sh                 every scenario in bench/scenarios/, in order
#   bench/run.sh http            only scenario_http
#   DUR=5 ROUNDS=1 bench/run.sh  a quick look (figures are noisy)
#
# Knobs: DUR (10 s per wrk run), ROUNDS (3), IO_THREADS (2), GAON_POOL (4), BARE_DB_CONNS (4),
# BASELINE_DIR (../shared/bench/baseline), GAOND (a gaond built elsewhere; default: ./gaon build);
# for the controllers scenario CONTROLLER_SIZES ("1000 10000"), CONTROLLER_RUNS ("api bulk backlog"),
# CONTROLLER_POOL (8) and BULK_SIZE (100).
# Results go to .gaon/bench/<UTC stamp>/.
# Run as root on a machine with nothing else busy; see docs/performance.md.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for f in "$BENCH"/scenarios/*.sh; do . "$f"; done
wanted=("$@")
if ((${#wanted[@]} == 0)); then
  mapfile -t wanted < <(declare -F | awk '{print $3}' | grep '^scenario_' | sed 's/^scenario_//')
fi

bench_setup
for s in "${wanted[@]}"; do
  declare -F "scenario_$s" >/dev/null || bdie "no scenario '$s' (have: $(declare -F | awk '{print $3}' | grep '^scenario_' | sed 's/^scenario_//' | xargs))"
  blog "=== scenario $s"
  "scenario_$s"
done
bench_report
