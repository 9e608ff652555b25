#!/usr/bin/env bash
# bench/report/run.sh: how long dq.report_html() takes and how large it is
# for a database of many tables, and how long headless Chromium takes to
# load it (when chromium is installed).
#
#   bench/report/run.sh          (as root, or as a user who may sudo)
#
# Data (bench/report/setup.sql): BENCH_TABLES tables (default 500) of 8
# columns and BENCH_ROWS rows (default 1000), a view over two of them for
# every third table, 2 profiles, 2 expectations and 2 validations each.
# Measured (median of BENCH_RUNS runs, default 3, psql \timing):
#   (1) dq.report_html(): the whole database; its size, gzipped size
#   (2) dq.report_html('big.t1'): the page of one table
#   (3) Chromium: load event of (1), from navigation start
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int RUNS 3
bench_int TABLES 500
bench_int ROWS 1000
bench_prepare
bench_cluster_init report </dev/null
bench_cluster_start
bpsql -c "CREATE EXTENSION dq_lineage"
dq_say "creating, profiling and validating $TABLES tables"
bpsql -v tables="$TABLES" -v rows="$ROWS" <"$HERE/setup.sql" >/dev/null

OUT=$BENCH_DIR/report.html
times() {
  local i all=()
  for i in $(seq "$RUNS"); do
    all+=("$(bpsql -c '\timing on' -c "$1" -o /dev/null | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')")
  done
  median "${all[@]}"
}
full=$(times "SELECT dq.report_html()")
page=$(times "SELECT dq.report_html('big.t1')")
bpsql -At -c "SELECT dq.report_html()" -o "$OUT"
relations=$(bval "SELECT count(*) FROM dq.table_scorecard")
size=$(wc -c <"$OUT")
gz=$(gzip -c "$OUT" | wc -c)

echo
echo "relations in the report:       $relations"
printf 'dq.report_html():              %.0f ms, %s bytes (%s gzipped)\n' "$full" "$size" "$gz"
printf "dq.report_html('big.t1'):      %.0f ms\n" "$page"
if command -v chromium >/dev/null 2>&1 && [ -x /usr/bin/python3 ]; then
  load=$(dq_as_run_user /usr/bin/python3 "$HERE/../../test/report/cdp.py" "$OUT" "$BENCH_DIR/shot.png" \
    'performance.timing.loadEventEnd - performance.timing.navigationStart' |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["results"][0])')
  echo "Chromium load event:           $load ms"
fi
