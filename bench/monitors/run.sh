#!/usr/bin/env bash
# bench/monitors/run.sh: how well dq.detect_anomalies finds anomalies, and
# what monitors cost, on a throwaway cluster.
#
#   bench/monitors/run.sh            (as root, or as a user who may sudo)
#
#   (A) detection (detection.sql): BENCH_SERIES (default 400) seasonal daily
#       series of a year with 10 injected spikes, drops and level shifts
#       each, fixed seeds; precision, recall and false alarms per 1,000
#       normal points of dq.detect_anomalies at its defaults, beside an
#       Elementary-style z-score (the point in its own 14-point window,
#       flagged points kept in training) with and without weekly
#       seasonality, and an oracle that knows each day's true value and
#       noise (the best precision and recall possible at sensitivity 3);
#       two seeds, without and with series that also grow by up to 10% a
#       year;
#   (B) one pass of freshness and volume monitors over BENCH_TABLES (default
#       1000) tables: the median and largest of BENCH_PASSES (default 10)
#       passes of dq.run_monitors() after 40 warm-up passes (each monitor
#       then judges a series of 40 points), the duration of three passes
#       run by the scheduler's job, and the sequential scans of the
#       monitored tables during all of it (target: under 1 s, 0 scans);
#   (C) dq.detect_anomalies over BENCH_COST_SERIES (default 10000) series of
#       365 points: the median of three runs per method, and the peak
#       memory of the backend (VmHWM of a fresh connection, less that of
#       the same connection unnesting the same arrays).
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int SERIES 400
bench_int TABLES 1000
bench_int PASSES 10
bench_int COST_SERIES 10000

bench_prepare
bench_cluster_init monitors <<CONF
shared_buffers = 256MB
max_locks_per_transaction = 1024
CONF
bench_cluster_start
bpsql -q -c "CREATE EXTENSION dq_lineage"

# ---------------------------------------------------------------------------
dq_say "(A) detection: $SERIES series, seeds 0.42 and 0.17, without and with a trend"
DETECTION=$(for run in "0.42 0" "0.17 0" "0.42 0.1" "0.17 0.1"; do
  set -- $run
  echo "seed $1, yearly growth up to $2:"
  bpsql -v series="$SERIES" -v seed="$1" -v trend="$2" -f "$HERE/detection.sql" |
    sed -n '/ detector .*| events/,/^(/p'
done)

# ---------------------------------------------------------------------------
dq_say "(B) freshness and volume monitors of $TABLES tables"
bpsql -q <<SQL
CREATE SCHEMA many;
SELECT format('CREATE TABLE many.t%s (id int PRIMARY KEY, v int)', g)
  FROM generate_series(1, $TABLES) g \gexec
SELECT count(dq.monitor(c.oid::regclass, k, options => '{"schedule": null}'))
  FROM pg_class c, (VALUES ('freshness'), ('volume')) x(k)
 WHERE c.relnamespace = 'many'::regnamespace AND c.relkind = 'r';
SQL
bval "SELECT pg_stat_force_next_flush()" >/dev/null
SEQ0=$(bval "SELECT sum(seq_scan) FROM pg_stat_user_tables WHERE schemaname = 'many'")
# writes between passes: a tenth of the tables get a row each time
PASS_SQL="SELECT format('INSERT INTO many.t%s VALUES (%s, 1)', 1 + (g * 10 + p) % $TABLES, p * 100000 + g)
            FROM generate_series(1, $((TABLES / 10))) g, (SELECT nextval('pass') AS p) s \gexec"
bval "CREATE SEQUENCE pass" >/dev/null
for ((i = 0; i < 40; i++)); do
  echo "$PASS_SQL"
  echo "SELECT dq.run_monitors();"
done | bpsql -q >/dev/null
TIMES=$(for ((i = 0; i < PASSES; i++)); do
  echo "$PASS_SQL"
  echo '\timing on'
  echo "SELECT dq.run_monitors();"
  echo '\timing off'
done | bpsql -q | awk '/^Time: / { print $2 }')
# shellcheck disable=SC2086
PASS_MEDIAN=$(median $TIMES)
PASS_MAX=$(sort -g <<<"$TIMES" | tail -n 1)
POINTS=$(bval "SELECT round(avg(n)) FROM (SELECT count(*) AS n FROM dq.metric_points
               WHERE source = 'monitor' AND metric IN ('age_seconds', 'rows_inserted') GROUP BY source_id) x")
ERRORS=$(bval "SELECT count(*) FROM dq.monitor_definitions WHERE last_error IS NOT NULL")
# the same pass, run by the scheduler's job
bpsql -q -c "UPDATE dq.monitor_definitions SET schedule = '15 seconds', job_name = 'monitors ' || current_user || ' 15 seconds'" \
  -c "SELECT dq.schedule('monitors ' || current_user || ' 15 seconds', '15 seconds', \$\$SELECT dq.run_monitors('15 seconds')\$\$)" >/dev/null
sleep 50
bpsql -q -c "SELECT dq.alter_job('monitors ' || current_user || ' 15 seconds', enabled => false)" >/dev/null
sleep 5
JOB=$(bval "SELECT string_agg(round(extract(epoch FROM ended_at - started_at) * 1000)::text, ' ' ORDER BY run_id)
              FROM dq.job_runs WHERE status = 'succeeded'")
JOB_OTHER=$(bval "SELECT count(*) FROM dq.job_runs WHERE status <> 'succeeded'")
bval "SELECT pg_stat_force_next_flush()" >/dev/null
SEQ1=$(bval "SELECT sum(seq_scan) FROM pg_stat_user_tables WHERE schemaname = 'many'")
SEQ_DQ=$(bval "SELECT coalesce(sum(seq_scan), 0) FROM pg_stat_user_tables WHERE schemaname = 'dq'")

# ---------------------------------------------------------------------------
dq_say "(C) dq.detect_anomalies over $COST_SERIES series of 365 points"
bpsql -q <<SQL
SELECT setseed(0.5);
CREATE TABLE cost_series AS
SELECT s, array_agg('2023-01-02'::timestamptz + d * interval '1 day' ORDER BY d) AS ts,
       array_agg(1000 * CASE WHEN d % 7 >= 5 THEN 0.7 ELSE 1 END
                 * (1 + 0.05 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) ORDER BY d) AS v
  FROM generate_series(1, $COST_SERIES) s, generate_series(0, 364) d GROUP BY s;
SQL
# time (ms) of a query: median of three runs in one session
qtime() {
  printf '\\timing on\n%s;\n%s;\n%s;\n' "$1" "$1" "$1" | bpsql -q -o /dev/null 2>&1 |
    awk '/^Time: / { print $2 }' | sort -g | sed -n 2p
}
# peak memory (kB) of a fresh backend that ran a query once: its VmHWM,
# read while it sleeps after the query
qpeak() {
  local job bpid="" k
  bpsql -q -o /dev/null -c "$1" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
  job=$!
  for ((k = 0; k < 3000; k++)); do
    bpid=$(bval "SELECT pid FROM pg_stat_activity
                  WHERE query = 'SELECT pg_sleep(60)' AND state = 'active' LIMIT 1")
    [ -n "$bpid" ] && break
    sleep 0.1
  done
  awk '/VmHWM/ { print $2 }' "/proc/$bpid/status"
  bval "SELECT pg_terminate_backend($bpid)" >/dev/null
  wait "$job" 2>/dev/null || true
}
FLOOR="SELECT count(*) FROM cost_series c, LATERAL unnest(c.ts, c.v) d"
declare -A COST PEAK
for m in zscore mad holt_winters; do
  COST[$m]=$(qtime "SELECT count(*) FILTER (WHERE d.is_anomaly) FROM cost_series c, LATERAL dq.detect_anomalies(c.ts, c.v, '$m') d")
  PEAK[$m]=$(qpeak "SELECT count(*) FILTER (WHERE d.is_anomaly) FROM cost_series c, LATERAL dq.detect_anomalies(c.ts, c.v, '$m') d")
done
COST_NONE=$(qtime "SELECT count(*) FROM cost_series c, LATERAL dq.detect_anomalies(c.ts, c.v, 'zscore', '{\"seasonality\": \"none\"}') d")
COST_FLOOR=$(qtime "$FLOOR")
PEAK_FLOOR=$(qpeak "$FLOOR")

# ---------------------------------------------------------------------------
cat <<REPORT

dq_lineage monitors benchmark ($(bench_machine); load average before: $LOADAVG)

(A) detection at default settings (precision = events found / (found + false positives))
$DETECTION

(B) freshness + volume monitors of $TABLES tables ($((2 * TABLES)) monitors), one pass of dq.run_monitors()
    median $PASS_MEDIAN ms, largest $PASS_MAX ms over $PASSES passes (series of about $POINTS points each; monitors in error: $ERRORS)
    passes run by the scheduler's job (ms): ${JOB:-none}  (runs not succeeded: $JOB_OTHER)
    sequential scans of the $TABLES monitored tables during all passes: $((SEQ1 - SEQ0))
    (sequential scans of the extension's own tables, for the record: $SEQ_DQ)

(C) dq.detect_anomalies over $COST_SERIES series of 365 points (median of 3, ms; peak backend memory)
    unnest of the same arrays (floor):   $COST_FLOOR ms, $PEAK_FLOOR kB
    zscore (defaults: seasonality auto): ${COST[zscore]} ms, ${PEAK[zscore]} kB
    zscore, seasonality none:            $COST_NONE ms
    mad:                                 ${COST[mad]} ms, ${PEAK[mad]} kB
    holt_winters:                        ${COST[holt_winters]} ms, ${PEAK[holt_winters]} kB
REPORT
