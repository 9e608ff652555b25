#!/usr/bin/env bash
# bench/alerts/callgrind.sh: instructions an alert adds to a failing
# dq.validate(), counted by valgrind's callgrind (repeatable, unlike
# timings on a shared machine).
#
#   bench/alerts/callgrind.sh      (as root, or as a user who may sudo)
#
# One backend in single-user mode (postgres --single, each statement its
# own transaction) runs N units of work under callgrind; instructions per
# unit are (Ir(N2) - Ir(N1)) / (N2 - N1), which cancels start-up and
# shutdown.  The table and expectations are those of bench/alerts/run.sh
# (BENCH_ROWS rows, 5 expectations, one failing, 3 routes).  Units:
#   repeat  SELECT dq.validate('bench_orders'): the failure repeats, its
#           open alert counts one more occurrence;
#   cycle   the same, then dq.resolve_alert() of the open alert: every
#           validation opens a new alert and queues 3 deliveries, the
#           resolve queues 3 more.
# Each with the extension's trigger on dq.validation_results enabled and
# disabled.  Environment: BENCH_N1 (default 10), BENCH_N2 (default 40),
# BENCH_ROWS (default 10000).
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int N1 10
bench_int N2 40
bench_int ROWS 10000
(( N2 > N1 )) || dq_die "need BENCH_N1 < BENCH_N2"
bench_prepare valgrind
bench_cluster_init alerts-callgrind <<CONF
synchronous_commit = off
autovacuum = off
CONF
bench_cluster_start
dq_as_run_user "$BINDIR/psql" -X -q -h "$BENCH_DIR" -p "$PORT" -d bench >/dev/null <<SQL
CREATE EXTENSION dq_lineage;
CREATE TABLE bench_orders (id int PRIMARY KEY, amount numeric, email text, status text, created date);
INSERT INTO bench_orders
SELECT g, CASE WHEN g % 100 = 0 THEN -g ELSE g END, 'u' || g || '@example.com',
       (ARRAY['new', 'paid', 'shipped'])[1 + g % 3], date '2024-01-01' + g % 365
  FROM generate_series(1, $ROWS) g;
SELECT dq.expect('bench_orders', 'expect_column_values_to_be_between', 'amount', '{"min_value": 0}');
SELECT dq.expect('bench_orders', 'expect_column_values_to_not_be_null', 'email');
SELECT dq.expect('bench_orders', 'expect_column_values_to_be_in_set', 'status', '{"value_set": ["new", "paid", "shipped"]}');
SELECT dq.expect('bench_orders', 'expect_column_values_to_be_unique', 'id');
SELECT dq.expect('bench_orders', 'expect_column_values_to_be_between', 'created',
                 '{"min_value": "2024-01-01", "max_value": "2024-12-31"}');
SELECT dq.alert_route('r' || g, '{"relation": "public.bench_orders"}', 'webhook',
                      'http://127.0.0.1:9/r' || g) FROM generate_series(1, 3) g;
SELECT dq.validate('bench_orders');
VACUUM ANALYZE;
SQL
bench_cluster_stop

unit() {
  case $1 in
    repeat) echo "SELECT dq.validate('bench_orders');" ;;
    cycle) echo "SELECT dq.validate('bench_orders');"
           echo "SELECT dq.resolve_alert(alert_id) FROM dq.alerts WHERE state <> 'resolved';" ;;
  esac
}
instructions() {   # UNIT N TRIGGER -> total Ir
  local kind=$1 n=$2 trigger=$3 i
  {
    echo "ALTER TABLE dq.validation_results $trigger TRIGGER validation_results_alert;"
    for ((i = 0; i < n; i++)); do unit "$kind"; done
  } >"$BENCH_DIR/stmts.sql"
  bench_callgrind_ir "$BENCH_DIR/cg.$kind.$n.$trigger" "$BENCH_DIR/stmts.sql" \
    -c "max_parallel_workers_per_gather=0" -c "jit=off"
}
declare -A R
for kind in repeat cycle; do
  for trigger in DISABLE ENABLE; do
    a=$(instructions "$kind" "$N1" "$trigger")
    b=$(instructions "$kind" "$N2" "$trigger")
    R[$kind/$trigger]=$(( (b - a) / (N2 - N1) ))
    dq_say "$kind, alert trigger $trigger: ${R[$kind/$trigger]} instructions per unit"
  done
done
diff_pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+d (%+.2f%%)", a - b, (a - b) * 100 / b }'; }
cat <<EOT

alerts, instructions per unit of work (callgrind, postgres --single, (Ir($N2) - Ir($N1)) / $((N2 - N1)))
$("$BINDIR/postgres" --version); bench_orders: $ROWS rows, 5 expectations (1 failing), 3 routes
                                                trigger off      trigger on       alerts add
repeat: failing dq.validate, open alert +1      $(printf '%-16s %-16s' "${R[repeat/DISABLE]}" "${R[repeat/ENABLE]}") $(diff_pct "${R[repeat/ENABLE]}" "${R[repeat/DISABLE]}")
cycle: + dq.resolve_alert (new alert each time) $(printf '%-16s %-16s' "${R[cycle/DISABLE]}" "${R[cycle/ENABLE]}") $(diff_pct "${R[cycle/ENABLE]}" "${R[cycle/DISABLE]}")
EOT
