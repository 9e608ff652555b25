#!/usr/bin/env bash
# bench/alerts/run.sh: what alerts cost a failing dq.validate(), and how
# fast the delivery worker sends them to a local receiver; all figures from
# one run on one throwaway cluster.
#
#   bench/alerts/run.sh            (as root, or as a user who may sudo)
#
# (A) the cost an alert adds to a failing validation: pgbench runs
#     "SELECT dq.validate('bench_orders')" (5 expectations on BENCH_ROWS
#     rows, one of them failing), BENCH_TXNS transactions per round, with the
#     extension's trigger on dq.validation_results enabled and disabled in
#     alternating rounds (BENCH_RUNS each); per round the median latency
#     of its transactions (pgbench -l) and its backend's CPU time per
#     transaction (/proc), and the medians over the rounds:
#       (A1) the failure repeats: the open alert counts one more occurrence;
#       (A2) every failure opens a new alert that 3 routes match (3
#            deliveries queued), resolved by hand in the same transaction
#            (3 more): the script is the validation plus
#            dq.resolve_alert() of the open alert, on both sides.
#     Delivery is off meanwhile (dq_lineage.alert_delivery), so only the
#     work inside the failing transaction is measured.
# (B) delivery throughput: BENCH_ALERTS alerts are queued with delivery
#     off, then delivery is turned on; deliveries per second from the first
#     attempt to the last delivery (timestamps of dq.alert_delivery_attempts
#     and dq.alert_deliveries):
#       (B1) one webhook route to the local receiver
#            (test/perl/alert_receiver.pl, one Perl process answering 200);
#       (B2) four webhook routes, a quarter of the alerts each;
#       (B3) one NOTIFY route.
# Environment: BENCH_RUNS (default 7), BENCH_TXNS (default 300),
# BENCH_ROWS (default 10000), BENCH_ALERTS (default 5000).
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int RUNS 7
bench_int TXNS 300
bench_int ROWS 10000
bench_int ALERTS 5000
bench_prepare
bench_cluster_init alerts <<CONF
shared_buffers = 512MB
max_wal_size = 4GB
checkpoint_timeout = 1h
dq_lineage.alert_delivery = off
CONF
bench_cluster_start

# the receiver, on the loopback interface, stopped on exit
RECV_DIR=$BENCH_DIR/receiver
dq_as_run_user mkdir -p "$RECV_DIR"
dq_as_run_user perl "$DQ_ROOT/test/perl/alert_receiver.pl" --dir "$RECV_DIR" &
stop_receiver() {
  local rc=$?
  [ -e "$RECV_DIR/pid" ] && kill "$(cat "$RECV_DIR/pid")" 2>/dev/null
  (exit $rc)
  bench_cleanup
}
trap stop_receiver EXIT
for _ in $(seq 100); do [ -e "$RECV_DIR/port" ] && break; sleep 0.1; done
[ -e "$RECV_DIR/port" ] || dq_die "the receiver did not start"
RPORT=$(cat "$RECV_DIR/port")

dq_say "loading bench_orders ($ROWS rows, 5 expectations, 3 routes)"
bpsql <<SQL >/dev/null
CREATE EXTENSION dq_lineage;
CREATE TABLE bench_orders (id int PRIMARY KEY, amount numeric, email text, status text, created date);
INSERT INTO bench_orders
SELECT g, CASE WHEN g % 100 = 0 THEN -g ELSE g END, 'u' || g || '@example.com',
       (ARRAY['new', 'paid', 'shipped'])[1 + g % 3], date '2024-01-01' + g % 365
  FROM generate_series(1, $ROWS) g;
VACUUM ANALYZE bench_orders;
SELECT dq.expect('bench_orders', 'expect_column_values_to_be_between', 'amount', '{"min_value": 0}');
SELECT dq.expect('bench_orders', 'expect_column_values_to_not_be_null', 'email');
SELECT dq.expect('bench_orders', 'expect_column_values_to_be_in_set', 'status', '{"value_set": ["new", "paid", "shipped"]}');
SELECT dq.expect('bench_orders', 'expect_column_values_to_be_unique', 'id');
SELECT dq.expect('bench_orders', 'expect_column_values_to_be_between', 'created',
                 '{"min_value": "2024-01-01", "max_value": "2024-12-31"}');
SELECT dq.alert_route('r' || g, '{"relation": "public.bench_orders"}', 'webhook',
                      'http://127.0.0.1:$RPORT/r' || g) FROM generate_series(1, 3) g;
SQL
bpsql -c "SELECT dq.validate('bench_orders')" >/dev/null   # warm up

# ---------------------------------------------------------------------------
PGBENCH="$BINDIR/pgbench"
echo "SELECT dq.validate('bench_orders');" >"$BENCH_DIR/repeat.sql"
cat >"$BENCH_DIR/cycle.sql" <<'SQL'
SELECT dq.validate('bench_orders');
SELECT dq.resolve_alert(alert_id) FROM dq.alerts WHERE state <> 'resolved' AND relid = 'bench_orders'::regclass;
SQL
chmod a+r "$BENCH_DIR"/*.sql

reset_history() {
  bpsql -c "TRUNCATE dq.alert_delivery_attempts, dq.alert_deliveries, dq.alerts, dq.validation_results, dq.validation_runs" \
        -c "VACUUM ANALYZE dq.alerts, dq.alert_deliveries, dq.validation_results, dq.validation_runs" >/dev/null
}

set_trigger() {   # on|off
  local what=ENABLE
  [ "$1" = off ] && what=DISABLE
  bpsql -c "ALTER TABLE dq.validation_results $what TRIGGER validation_results_alert" >/dev/null
}

# One pgbench round; prints "LAT CPU": the median latency (ms) of its
# transactions (pgbench -l; the median of many short transactions is
# robust against a busy machine, where the average is not) and the CPU
# time (user + system) of its backend per transaction (ms, from
# /proc/<pid>/stat, sampled until the backend exits): CPU time does not
# grow when other processes compete for the CPUs.
round() {   # FILE
  local pgb pid="" last=0 v hz t0
  hz=$(getconf CLK_TCK)
  reset_history
  rm -f "$BENCH_DIR"/pgb.*
  t0=$(bval "SELECT clock_timestamp()")
  (cd "$BENCH_DIR" && dq_as_run_user "$PGBENCH" -n -h "$BENCH_DIR" -p "$PORT" -f "$1" -t "$TXNS" \
     -l --log-prefix="$BENCH_DIR/pgb" bench >/dev/null 2>&1) &
  pgb=$!
  for _ in $(seq 400); do
    pid=$(bval "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench'
                  AND backend_start >= '$t0'")
    [ -n "$pid" ] && break
    sleep 0.025
  done
  while [ -n "$pid" ] && v=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) && [ -n "$v" ]; do
    last=$v
    sleep 0.05
  done
  wait "$pgb"
  # shellcheck disable=SC2046
  # (no CPU figure when the backend was not found in time: "-")
  echo "$(median $(awk '{ printf "%.3f\n", $3 / 1000 }' "$BENCH_DIR"/pgb.*))" \
       "$(awk -v t="$last" -v hz="$hz" -v n="$TXNS" 'BEGIN { if (t > 0) printf "%.3f", t * 1000 / hz / n; else print "-" }')"
}

declare -A L
for scen in repeat cycle; do
  on=() off=() con=() coff=()
  dq_say "(A) $scen: $RUNS alternating rounds of $TXNS transactions, alert trigger on and off"
  for ((i = 0; i < RUNS; i++)); do
    set_trigger on
    read -r lat cpu <<<"$(round "$BENCH_DIR/$scen.sql")"
    on+=("$lat"); con+=("$cpu")
    set_trigger off
    read -r lat cpu <<<"$(round "$BENCH_DIR/$scen.sql")"
    off+=("$lat"); coff+=("$cpu")
  done
  set_trigger on
  L[$scen-on]=$(median "${on[@]}")
  L[$scen-off]=$(median "${off[@]}")
  # shellcheck disable=SC2046
  L[$scen-con]=$(median $(printf '%s\n' "${con[@]}" | grep -v '^-$'))
  # shellcheck disable=SC2046
  L[$scen-coff]=$(median $(printf '%s\n' "${coff[@]}" | grep -v '^-$'))
  L[$scen-all]="latency on: ${on[*]}; off: ${off[*]}; CPU on: ${con[*]}; off: ${coff[*]}"
done
# what one round of each leaves behind, for the report
reset_history
dq_as_run_user "$PGBENCH" -n -h "$BENCH_DIR" -p "$PORT" -f "$BENCH_DIR/cycle.sql" -t 10 bench >/dev/null 2>&1
CYCLE_ROWS=$(bval "SELECT (SELECT count(*) FROM dq.alerts) || ' alerts, ' || (SELECT count(*) FROM dq.alert_deliveries) || ' deliveries'")

# ---------------------------------------------------------------------------
delivery() {   # on|off
  bpsql -c "ALTER SYSTEM SET dq_lineage.alert_delivery = $1" -c "SELECT pg_reload_conf()" >/dev/null
  if [ "$1" = off ]; then
    for _ in $(seq 100); do
      [ "$(bval "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dq_lineage alert worker'")" = 0 ] && break
      sleep 0.1
    done
  fi
}

# queue N alerts for the routes, deliver them, print "N deliveries in S s = R/s"
throughput() {   # N
  local n=$1 done_n=0
  delivery on
  for _ in $(seq 1200); do
    done_n=$(bval "SELECT count(*) FROM dq.alert_deliveries WHERE status = 'delivered'")
    [ "$done_n" -ge "$n" ] && break
    sleep 0.1
  done
  delivery off
  bval "SELECT count(*) || ' deliveries in ' || round(s::numeric, 2) || ' s = ' || round((count(*) / s)::numeric) || '/s'
          FROM (SELECT extract(epoch FROM (SELECT max(delivered_at) FROM dq.alert_deliveries)
                                         - (SELECT min(attempted_at) FROM dq.alert_delivery_attempts)) AS s) t,
               dq.alert_deliveries d WHERE d.status = 'delivered' GROUP BY s"
}

queue() {   # N PREFIX: N monitor alerts, in one transaction
  bpsql -c "SELECT count(dq.raise_alert('monitor', '$2:' || g, 'error', 'bench ' || g)) FROM generate_series(1, $1) g" >/dev/null
}

dq_say "(B1) $ALERTS deliveries, one webhook route"
reset_history
bpsql -c "SELECT dq.drop_alert_route(name) FROM dq.alert_routes" \
      -c "SELECT dq.alert_route('one', '{\"source\": \"monitor\"}', 'webhook', 'http://127.0.0.1:$RPORT/one')" >/dev/null
: | dq_as_run_user tee "$RECV_DIR/log" >/dev/null
queue "$ALERTS" b1
B1=$(throughput "$ALERTS")
B1_KEYS=$(grep -c '"status":200' "$RECV_DIR/log" || true)

dq_say "(B2) $ALERTS deliveries, four webhook routes"
reset_history
bpsql -c "SELECT dq.drop_alert_route(name) FROM dq.alert_routes" \
      -c "SELECT dq.alert_route('four' || g, jsonb_build_object('source', 'monitor',
                 'severity', (ARRAY['warn', 'error', 'critical', 'warn'])[g]), 'webhook',
                 'http://127.0.0.1:$RPORT/four' || g) FROM generate_series(1, 3) g" \
      -c "SELECT dq.alert_route('four4', '{\"source\": \"anomaly\"}', 'webhook', 'http://127.0.0.1:$RPORT/four4')" >/dev/null
q=$((ALERTS / 4))
bpsql -c "SELECT count(dq.raise_alert('monitor', 'b2:' || g, (ARRAY['warn', 'error', 'critical'])[1 + g % 3], 'bench ' || g))
            FROM generate_series(1, $((q * 3))) g" \
      -c "SELECT count(dq.raise_alert('anomaly', 'b2:' || g, 'error', 'bench ' || g)) FROM generate_series(1, $q) g" >/dev/null
B2=$(throughput $((q * 4)))

dq_say "(B3) $ALERTS deliveries, one NOTIFY route"
reset_history
bpsql -c "SELECT dq.drop_alert_route(name) FROM dq.alert_routes" \
      -c "SELECT dq.alert_route('notify', '{\"source\": \"monitor\"}', 'notify', 'bench_alerts')" >/dev/null
queue "$ALERTS" b3
B3=$(throughput "$ALERTS")

# ---------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f ms (%+.1f%%)", a - b, (a - b) * 100 / b }'; }
cat <<REPORT

alerts benchmark
machine: $(bench_machine), load before start: $LOADAVG
(A) dq.validate('bench_orders'): $ROWS rows, 5 expectations (1 failing), 3 routes; pgbench, $TXNS transactions per round,
    $RUNS alternating rounds with the alert trigger on and off (delivery off); medians over the rounds of
    the median transaction latency and of the backend's CPU time per transaction:
  (A1) the failure repeats (one more occurrence)
       latency   on ${L[repeat-on]} ms, off ${L[repeat-off]} ms: $(ratio "${L[repeat-on]}" "${L[repeat-off]}")
       CPU       on ${L[repeat-con]} ms, off ${L[repeat-coff]} ms: $(ratio "${L[repeat-con]}" "${L[repeat-coff]}")
       rounds: ${L[repeat-all]}
  (A2) a new alert each time, 3 deliveries queued, resolved in the same transaction (3 more)
       latency   on ${L[cycle-on]} ms, off ${L[cycle-off]} ms: $(ratio "${L[cycle-on]}" "${L[cycle-off]}")
       CPU       on ${L[cycle-con]} ms, off ${L[cycle-coff]} ms: $(ratio "${L[cycle-con]}" "${L[cycle-coff]}")
       rounds: ${L[cycle-all]}
       (10 transactions of A2 leave $CYCLE_ROWS)
(B) delivery throughput, first attempt to last delivery, receiver: one Perl process on 127.0.0.1 answering 200:
  (B1) one webhook route       $B1   (receiver answered 200 to $B1_KEYS requests)
  (B2) four webhook routes     $B2
  (B3) one NOTIFY route        $B3
REPORT
