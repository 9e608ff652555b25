#!/usr/bin/env bash
# bench/scheduler/run.sh: how late scheduled jobs start, and what the
# scheduler costs while idle, for dq_lineage and for pg_cron on the same
# throwaway cluster in the same run.
#
#   bench/scheduler/run.sh            (as root, or as a user who may sudo)
#
#   (A) dq_lineage, 200 interval jobs '10 seconds' (SELECT 1) with their
#       anchors spread over 10 s, for BENCH_SECONDS (default 120):
#       lateness = started_at - scheduled_at of every run (dq.job_runs),
#       median, p99 and max, and the ticks skipped;
#   (B) dq_lineage, 200 jobs '* * * * *' for two whole minutes: every job
#       fires at the same second (a burst of 200 runs);
#   (C) pg_cron (postgresql-15-cron, cron.use_background_workers = on, so
#       no libpq connection either) with the same 200 '* * * * *' jobs:
#       lateness = start_time - the minute it belongs to
#       (cron.job_run_details; pg_cron 1.4 has no sub-minute schedules, so
#       (A) has no pg_cron counterpart);
#   (D) idle CPU: user + system CPU time of the launcher and the scheduler
#       (dq_lineage, jobs disabled) and of pg_cron's launcher (no job)
#       over BENCH_IDLE_SECONDS (default 60), as a share of one core.
#
# Both schedulers may run 16 jobs at a time (dq_lineage.max_running_jobs,
# cron.max_running_jobs); max_worker_processes = 64.  Other load on the
# machine delays process starts: the load average is printed.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int SECONDS_A 120 BENCH_SECONDS
bench_int IDLE_S 60 BENCH_IDLE_SECONDS
JOBS=200

bench_prepare "postgresql-$DQ_PG_MAJOR-cron"
bench_cluster_init scheduler <<CONF
max_worker_processes = 64
dq_lineage.max_running_jobs = 16
cron.database_name = 'bench'
cron.use_background_workers = on
cron.max_running_jobs = 16
cron.log_run = on
cron.log_statement = off
CONF
bench_cluster_start
bpsql -c "CREATE EXTENSION dq_lineage"

# Percentiles of a set of lateness values (ms), as "median p99 max n".
stats() {
  bval "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) || ' ' ||
               round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1) || ' ' ||
               round(max(ms)::numeric, 1) || ' ' || count(*)
          FROM ($1) s"
}

# CPU seconds (user + system) of the processes of a backend_type.
cpu_of() {
  local pids pid total=0 hz
  hz=$(getconf CLK_TCK)
  pids=$(bval "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE backend_type = '$1'")
  for pid in $pids; do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  awk -v t="$total" -v hz="$hz" 'BEGIN { printf "%.3f", t / hz }'
}

idle_share() {
  local type1=$1 type2=${2:-} a b
  a=$(cpu_of "$type1"); [ -n "$type2" ] && a=$(awk -v x="$a" -v y="$(cpu_of "$type2")" 'BEGIN { print x + y }')
  sleep "$IDLE_S"
  b=$(cpu_of "$type1"); [ -n "$type2" ] && b=$(awk -v x="$b" -v y="$(cpu_of "$type2")" 'BEGIN { print x + y }')
  awk -v a="$a" -v b="$b" -v s="$IDLE_S" 'BEGIN { printf "%.3f s in %d s = %.4f%% of one core", b - a, s, (b - a) * 100 / s }'
}

wait_next_minute() {
  sleep $((60 - $(date +%-S) + 1))
}

# ---------------------------------------------------------------------------
dq_say "(A) dq_lineage: $JOBS interval jobs every 10 s for ${SECONDS_A} s"
bpsql <<SQL
BEGIN;
SELECT count(dq.schedule('interval ' || g, '10 seconds', 'SELECT 1')) FROM generate_series(1, $JOBS) g;
UPDATE dq.jobs SET schedule_anchor = now() + interval '2 seconds'
                                    + (job_id % $JOBS) * (interval '10 seconds' / $JOBS);
SELECT dq.start_scheduler();
COMMIT;
SQL
T0=$(bval "SELECT now()")
sleep $((SECONDS_A + 5))
bpsql -c "UPDATE dq.jobs SET enabled = false" -c "SELECT dq.start_scheduler()" >/dev/null
sleep 3
A=$(stats "SELECT extract(epoch FROM started_at - scheduled_at) * 1000 AS ms FROM dq.job_runs
            WHERE status = 'succeeded' AND scheduled_at BETWEEN '$T0'::timestamptz + interval '3 s'
                  AND '$T0'::timestamptz + interval '$((SECONDS_A + 2)) s'")
A_SKIPPED=$(bval "SELECT count(*) FROM dq.job_runs WHERE status = 'skipped'")
A_FAILED=$(bval "SELECT count(*) FROM dq.job_runs WHERE status = 'failed'")

dq_say "(D1) dq_lineage idle CPU over ${IDLE_S} s (launcher + scheduler, jobs disabled)"
IDLE_DQ=$(idle_share 'dq_lineage launcher' 'dq_lineage scheduler')

dq_say "(B) dq_lineage: $JOBS jobs '* * * * *', two minutes"
bpsql -c "TRUNCATE dq.job_runs" -c "DELETE FROM dq.jobs" >/dev/null
bpsql -c "SELECT count(dq.schedule('cron ' || g, '* * * * *', 'SELECT 1')) FROM generate_series(1, $JOBS) g" >/dev/null
wait_next_minute
T0=$(bval "SELECT date_trunc('minute', now())")
sleep 125
bpsql -c "UPDATE dq.jobs SET enabled = false" -c "SELECT dq.start_scheduler()" >/dev/null
B=$(stats "SELECT extract(epoch FROM started_at - scheduled_at) * 1000 AS ms FROM dq.job_runs
            WHERE status = 'succeeded' AND scheduled_at >= '$T0'::timestamptz
              AND scheduled_at < '$T0'::timestamptz + interval '2 minutes'")
B_SKIPPED=$(bval "SELECT count(*) FROM dq.job_runs WHERE status = 'skipped'")

# ---------------------------------------------------------------------------
dq_say "(C) pg_cron: $JOBS jobs '* * * * *', two minutes"
bpsql -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_cron'" >/dev/null
bench_cluster_restart
bpsql -c "CREATE EXTENSION pg_cron" >/dev/null
dq_say "(D2) pg_cron idle CPU over ${IDLE_S} s (launcher, no job)"
sleep 2
IDLE_CRON=$(idle_share 'pg_cron launcher')
bpsql -c "SELECT count(cron.schedule('cron ' || g, '* * * * *', 'SELECT 1')) FROM generate_series(1, $JOBS) g" >/dev/null
wait_next_minute
T0=$(bval "SELECT date_trunc('minute', now())")
sleep 125
bpsql -c "SELECT count(cron.unschedule(jobid)) FROM cron.job" >/dev/null
C=$(stats "SELECT extract(epoch FROM start_time - date_trunc('minute', start_time)) * 1000 AS ms
             FROM cron.job_run_details
            WHERE status = 'succeeded' AND start_time >= '$T0'::timestamptz
              AND start_time < '$T0'::timestamptz + interval '2 minutes'")
C_OTHER=$(bval "SELECT count(*) FROM cron.job_run_details WHERE status <> 'succeeded'")

# ---------------------------------------------------------------------------
cat <<REPORT

dq_lineage scheduler benchmark ($(bench_machine); load average before: $LOADAVG)
start lateness (ms): median, p99, max, runs
REPORT
printf '%-58s %9s %9s %9s %6s\n' "" median p99 max runs
for k in A B C; do
  case $k in
    A) label="(A) dq_lineage, $JOBS jobs every 10 s, spread" ;;
    B) label="(B) dq_lineage, $JOBS jobs '* * * * *' (bursts)" ;;
    C) label="(C) pg_cron 1.4, $JOBS jobs '* * * * *' (bursts)" ;;
  esac
  # shellcheck disable=SC2086
  set -- ${!k}
  printf '%-58s %9s %9s %9s %6s\n' "$label" "$1" "$2" "$3" "$4"
done
cat <<REPORT

(A) skipped ticks: $A_SKIPPED, failed runs: $A_FAILED; (B) skipped ticks: $B_SKIPPED; (C) runs not succeeded: $C_OTHER
targets for (A): median < 100 ms, p99 < 1000 ms
(B) vs (C) median ratio (pg_cron / dq_lineage): $(awk -v b="${B%% *}" -v c="${C%% *}" 'BEGIN { if (b > 0) printf "%.1fx", c / b; else print "n/a" }')

idle CPU, dq_lineage launcher + scheduler: $IDLE_DQ
idle CPU, pg_cron launcher:                $IDLE_CRON
REPORT
