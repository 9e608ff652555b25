#!/usr/bin/env bash
# bench/profile/run.sh: how long dq.profile() takes next to a bare scan,
# ANALYZE, the queries Python profilers send, and hll + tdigest, and how much
# memory it uses; every figure from the same run on the same throwaway
# cluster.
#
#   bench/profile/run.sh              (as root, or as a user who may sudo)
#
# What it does:
#   1. installs what is missing with apt-get (what scripts/common.sh
#      installs for building, plus postgresql-15-hll, postgresql-15-tdigest),
#      and builds and installs the extension when it is not installed;
#   2. creates a cluster in a new temporary directory (owned by the calling
#      user, or when run as root by the system user dq_lineage), Unix socket
#      only, on a free port, with test/dq_test.conf's settings and the
#      memory settings BENCH_SETTINGS names (bench/lib.sh,
#      bench_memory_settings): default, PostgreSQL's own (shared_buffers =
#      128MB, no huge pages: the tables are read through the operating
#      system's cache); buffers, shared_buffers = 2GB without huge pages
#      (the tables fit in shared buffers); tuned, the same in huge pages
#      (reserved for the run); it is stopped and deleted on exit;
#   3. loads two tables, VACUUM ANALYZEs and prewarms them (pg_prewarm,
#      into shared buffers or, with the default settings, the OS cache):
#        pgbench_accounts   pgbench -i -s 50: 5,000,000 rows, 4 columns
#        bench_mixed        2,000,000 rows, 12 columns of mixed types
#                           (bench/profile/setup.sql)
#   4. times, on each table, the median of N runs of:
#        (1) SELECT count(*), one process (parallel and index scans off)
#        (2) SELECT count(<last column>), one process: deforms every
#            column, the floor for any profiler
#        (2b) the same, in a new connection each run: a new process maps
#            the shared buffers it reads page by page, as every parallel
#            worker does (this is what parallel queries pay on top)
#        (3) the same with parallel workers (the cluster's settings)
#        (4) dq.profile(tbl), one process (max_parallel_workers_per_gather = 0)
#        (5) dq.profile(tbl) with the cluster's settings (parallel allowed;
#            its scan takes at most one worker fewer than the CPUs:
#            dq_lineage.scan_workers = -1)
#        (5b) the same with dq_lineage.scan_workers = 2 (the planner's choice)
#        (6) ANALYZE tbl
#        (7) the single exact query of Python profilers: count(*), and per
#            column count, count(DISTINCT), min, max, and for numeric
#            columns avg, stddev, percentile_cont(0.5)
#        (8) the same metrics, one query each (the total of all of them)
#        (9) hll distinct counts of every column and tdigest quantiles of
#            the numeric ones, in one query (parallel allowed)
#        (10) the cost of progress reporting (dq.progress): dq.profile with
#            dq_lineage.track_progress off, then on, in alternating pairs,
#            in one process and with parallel workers
#      and prints them with the ratios and the targets;
#   5. checks with auto_explain whether dq.profile's scan got parallel
#      workers;
#   6. samples the backend's RssAnon (/proc/<pid>/status, every 20 ms) while
#      dq.profile runs in one process on 1M, 2M and 10M rows of
#      bench_mixed's shape, and prints the peaks (they should be flat).
#      With jit = off: above jit_above_cost (at 10M rows) the planner
#      JIT-compiles the scan, and loading LLVM adds about 10 MB of private
#      memory to the backend whatever the query; that figure is printed
#      apart.
#
# Timing is client-side: psql's \timing (time from sending a statement to
# receiving its result, over the Unix socket), of the N runs of a statement
# one after the other in one session (except (2b)); no EXPLAIN ANALYZE
# overhead.  The whole run takes about 8 minutes on 2 cores.  Other load on
# the machine distorts the figures: next to each one the report prints the
# CPU time that processes other than the benchmark's (its cluster, psql)
# used while it was measured, as a share of all cores.
#
# Environment:
#   BENCH_RUNS        runs per measurement, the median is reported (default 5)
#   BENCH_SLOW_RUNS   runs of (7) and (8), the slow ones (default BENCH_RUNS;
#                     at 5 they take about 4 of the 8 minutes on 2 cores)
#   BENCH_SCALE       pgbench scale (default 50)
#   BENCH_ROWS        rows of bench_mixed (default 2000000)
#   BENCH_PROGRESS_PAIRS  pairs of (10), per table and mode (default 9)
#   BENCH_PROGRESS_ONLY   1: only (10), on the same data; hll and tdigest
#                     are then not needed (default 0)
#   BENCH_MEMORY      1 (default): also the 10M-row memory run (about 1
#                     minute to generate, 20 s to profile twice, 1.7 GB of
#                     disk); 0: only 1M and 2M rows
#   BENCH_BUILD       1: build and install the checkout first even when the
#                     extension is already installed (default: only if missing)
#   PG_CONFIG, DQ_PG_MAJOR   as for scripts/demo.sh
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int RUNS 5
bench_int SLOW_RUNS "$RUNS"
bench_int SCALE 50
bench_int ROWS 2000000
bench_int PROGRESS_PAIRS 9
MEMORY=${BENCH_MEMORY:-1}
PROGRESS_ONLY=${BENCH_PROGRESS_ONLY:-0}
MEM_SMALL_ROWS=1000000
MEM_BIG_ROWS=10000000

# ---------------------------------------------------------------------------
# Prerequisites

# The server, its headers, gcc and make (scripts/common.sh), then what only
# the benchmark needs: hll and tdigest for (9); pgbench (client package);
# pg_prewarm and auto_explain (contrib, in the server package).
if [ "$PROGRESS_ONLY" = 1 ]; then
  bench_prepare "postgresql-client-$DQ_PG_MAJOR" "postgresql-$DQ_PG_MAJOR"
else
  bench_prepare "postgresql-$DQ_PG_MAJOR-hll" "postgresql-$DQ_PG_MAJOR-tdigest" \
    "postgresql-client-$DQ_PG_MAJOR" "postgresql-$DQ_PG_MAJOR"
fi

# ---------------------------------------------------------------------------
# The throwaway cluster

bench_memory_settings
bench_cluster_init profile <<CONF
$BENCH_MEMORY_CONF
# No checkpoint during the measurements (one runs after loading).
max_wal_size = 16GB
checkpoint_timeout = 1d
CONF
bench_cluster_start
PM_PID=$(head -n 1 "$BENCH_DATA/postmaster.pid")

bpsql -c "CREATE EXTENSION dq_lineage" -c "CREATE EXTENSION pg_prewarm"
[ "$PROGRESS_ONLY" = 1 ] || bpsql -c "CREATE EXTENSION hll" -c "CREATE EXTENSION tdigest"
bpsql <"$HERE/setup.sql"

# ---------------------------------------------------------------------------
# Data

now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'; }

PGB=pgbench_accounts
MIX=bench_mixed

t0=$(now_s)
dq_say "pgbench -i -s $SCALE"
dq_as_run_user "$BINDIR/pgbench" -i -q -s "$SCALE" -h "$BENCH_DIR" -p "$PORT" bench \
  >"$BENCH_DIR/pgbench.log" 2>&1 || { cat "$BENCH_DIR/pgbench.log" >&2; dq_die "pgbench -i failed"; }
LOAD_PGB_S=$(elapsed "$t0")

t0=$(now_s)
dq_say "generating $MIX ($ROWS rows)"
bpsql -c "SELECT bench.make_mixed('$MIX', $ROWS)" >/dev/null
LOAD_MIX_S=$(elapsed "$t0")

dq_say "VACUUM ANALYZE, CHECKPOINT, pg_prewarm"
bpsql -c "VACUUM ANALYZE $PGB" -c "VACUUM ANALYZE $MIX" -c "CHECKPOINT"
# The tables and their indexes (pgbench_accounts_pkey serves min/max).
bpsql -At -c "SELECT c.relname, pg_prewarm(c.oid, '$BENCH_PREWARM') FROM pg_class c
               WHERE c.oid IN ('$PGB'::regclass, '$MIX'::regclass)
                  OR c.oid IN (SELECT indexrelid FROM pg_index
                                WHERE indrelid IN ('$PGB'::regclass, '$MIX'::regclass))" >/dev/null

# ---------------------------------------------------------------------------
# Timing

declare -A R      # key -> median in ms; key.other -> other processes' CPU %
declare -A N_OF   # key -> number of runs


# CPU ticks, in three numbers: busy on all cores (user, nice, system, irq,
# softirq: not steal), used by the cluster (the postmaster and its children,
# which it reaps: backends, parallel workers), used by this script and its
# children (psql).  The first minus the others is everybody else's.
cpu_ticks() {
  local busy cluster ours
  busy=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
  # Fields after "pid (comm) ": utime 12, stime 13, cutime 14, cstime 15.
  cluster=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$PM_PID/stat")
  ours=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$$/stat")
  echo "$busy $cluster $ours"
}
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
measure_begin() {
  MEASURE_T0=$(now_s)
  MEASURE_C0=$(cpu_ticks)
}
# measure_end KEY: R[KEY.other] = other processes' CPU since measure_begin,
# in % of all cores.
measure_end() {
  R[$1.other]=$(awk -v t0="$MEASURE_T0" -v t1="$(now_s)" -v c0="$MEASURE_C0" \
    -v c1="$(cpu_ticks)" -v hz="$CLK_TCK" -v n="$NCPU" 'BEGIN {
      split(c0, a, " "); split(c1, b, " ")
      other = (b[1] - a[1]) - (b[2] - a[2]) - (b[3] - a[3])
      if (other < 0) other = 0
      printf "%.0f", 100 * other / hz / ((t1 - t0) * n) }')
}

# time_stmt KEY RUNS SETUP STATEMENT: runs STATEMENT RUNS times, one after
# the other, in one session after SETUP (SET commands, not timed); R[KEY]
# is the median of psql's \timing of each run.
time_stmt() {
  local key=$1 runs=$2 setup=$3 stmt=$4 out i
  measure_begin
  out=$({
    printf '%s\n' "$setup" '\o /dev/null' '\timing on'
    for ((i = 0; i < runs; i++)); do printf '%s;\n' "$stmt"; done
  } | bpsql)
  # shellcheck disable=SC2046
  R[$key]=$(median $(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out"))
  N_OF[$key]=$runs
  measure_end "$key"
}

# time_script KEY RUNS FILE: runs the statements of FILE (one per line)
# RUNS times in one session; R[KEY] is the median of the runs' totals.
time_script() {
  local key=$1 runs=$2 file=$3 out i
  measure_begin
  out=$({
    printf '%s\n' '\o /dev/null' '\timing on'
    for ((i = 0; i < runs; i++)); do
      sed 's/$/;/' "$file"
      printf '%s\n' '\echo @@end-of-run'
    done
  } | bpsql)
  # shellcheck disable=SC2046
  R[$key]=$(median $(awk '/^Time: / { t += $2 } /^@@end-of-run/ { print t; t = 0 }' <<<"$out"))
  N_OF[$key]=$runs
  measure_end "$key"
}

# time_fresh KEY RUNS SETUP STATEMENT: as time_stmt, but each run in a
# new connection (a new backend process).
time_fresh() {
  local key=$1 runs=$2 setup=$3 stmt=$4 out='' i
  measure_begin
  for ((i = 0; i < runs; i++)); do
    out+=$(printf '%s\n' "$setup" '\o /dev/null' '\timing on' "$stmt;" | bpsql)
    out+=$'\n'
  done
  # shellcheck disable=SC2046
  R[$key]=$(median $(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out"))
  N_OF[$key]=$runs
  measure_end "$key"
}

# time_pairs KEY RUNS SETUP_A STMT_A STMT_B: bench_pair_ratios (bench/lib.sh);
# R[KEY] is the median of the ratios B / A, R[KEY.lo] and R[KEY.hi] their range.
time_pairs() {
  local key=$1 r
  measure_begin
  read -r -a r <<<"$(bench_pair_ratios "$2" "$3" "$4" "$5")"
  R[$key]=${r[0]}
  R[$key.lo]=${r[1]}
  R[$key.hi]=${r[2]}
  measure_end "$key"
}

# time_progress KEY RUNS TABLE SETUP: RUNS pairs in one session after SETUP:
# dq.profile(TABLE) with dq_lineage.track_progress off (A), then on (B);
# R[KEY] is the median of the per-pair ratios B / A, R[KEY.lo] and
# R[KEY.hi] their range (as bench_pair_ratios, without its RESET ALL).
time_progress() {
  local key=$1 runs=$2 t=$3 setup=$4 out i ratios
  measure_begin
  out=$({
    printf '%s\n' '\o /dev/null' "$setup"
    for ((i = 0; i < runs; i++)); do
      printf '%s\n' 'SET dq_lineage.track_progress = off;' '\timing on' '\echo @@a' \
        "SELECT dq.profile('$t');" '\timing off' 'SET dq_lineage.track_progress = on;' \
        '\timing on' '\echo @@b' "SELECT dq.profile('$t');" '\timing off'
    done
  } | bpsql)
  ratios=$(awk '/^@@a/ { w = "a"; next } /^@@b/ { w = "b"; next }
                /^Time: / && w == "a" { ta = $2; w = "" }
                /^Time: / && w == "b" { printf "%.4f\n", $2 / ta; w = "" }' <<<"$out")
  # shellcheck disable=SC2086
  R[$key]=$(median $ratios)
  R[$key.lo]=$(sort -g <<<"$ratios" | head -n 1)
  R[$key.hi]=$(sort -g <<<"$ratios" | tail -n 1)
  N_OF[$key]=$runs
  measure_end "$key"
}

# progress_row LABEL KEY: the ratios of time_progress as percentages
progress_row() {
  printf '%-46s %-7s %7s%% %-8s %7s%% %s\n' "$1" "< 1%" \
    "$(awk -v r="${R[pgb.$2]}" 'BEGIN { printf "%+.1f", (r - 1) * 100 }')" \
    "$(awk -v r="${R[pgb.$2]}" 'BEGIN { print (r < 1.01) ? "met" : "NOT met" }')" \
    "$(awk -v r="${R[mix.$2]}" 'BEGIN { printf "%+.1f", (r - 1) * 100 }')" \
    "$(awk -v r="${R[mix.$2]}" 'BEGIN { print (r < 1.01) ? "met" : "NOT met" }')"
  printf '%-46s %-7s %17s %17s\n' "   (range of the $PROGRESS_PAIRS pair ratios on/off)" "" \
    "${R[pgb.$2.lo]}-${R[pgb.$2.hi]}" "${R[mix.$2.lo]}-${R[mix.$2.hi]}"
}

# The report of (10).
progress_report() {
  echo "(10) cost of progress reporting: dq.profile with dq_lineage.track_progress on"
  echo "     against off, median of $PROGRESS_PAIRS alternating pairs"
  printf '%-46s %-7s %8s %-8s %8s\n' "" "target" "pgbench" "" "mixed"
  progress_row "(10) 1 process: on / off - 1" progress1
  progress_row "(10) parallel: on / off - 1" progresspar
  echo "     (other processes' CPU while measured: pgbench ${R[pgb.progress1.other]}%/${R[pgb.progresspar.other]}%," \
    "mixed ${R[mix.progress1.other]}%/${R[mix.progresspar.other]}% of all cores)"
}

SERIAL="SET max_parallel_workers_per_gather = 0;"
# A heap scan, not an index-only scan of pgbench_accounts_pkey.
SEQ_ONLY="SET enable_indexonlyscan = off; SET enable_indexscan = off; SET enable_bitmapscan = off;"

bench_table() {
  local t=$1 p=$2 last exact sketch
  last=$(bval "SELECT bench.last_column('$t')")
  exact=$(bval "SELECT bench.exact_query('$t')")
  sketch=$(bval "SELECT bench.sketch_query('$t')")
  bval "SELECT * FROM bench.metric_queries('$t')" >"$BENCH_DIR/metrics_$t.sql"

  dq_say "$t: (1) count(*), (2)-(3) count($last)"
  time_stmt "$p.count"      "$RUNS" "$SERIAL $SEQ_ONLY" "SELECT count(*) FROM $t"
  time_stmt "$p.scan1"      "$RUNS" "$SERIAL $SEQ_ONLY" "SELECT count($last) FROM $t"
  time_fresh "$p.scanfresh" "$RUNS" "$SERIAL $SEQ_ONLY" "SELECT count($last) FROM $t"
  time_stmt "$p.scanpar"    "$RUNS" "$SEQ_ONLY"         "SELECT count($last) FROM $t"
  dq_say "$t: (4)-(5) dq.profile"
  time_stmt "$p.prof1"      "$RUNS" "$SERIAL"           "SELECT dq.profile('$t')"
  time_stmt "$p.profpar"    "$RUNS" ""                  "SELECT dq.profile('$t')"
  time_stmt "$p.profpar2"   "$RUNS" "SET dq_lineage.scan_workers = 2;" "SELECT dq.profile('$t')"
  time_pairs "$p.pairs" 7 "$SERIAL $SEQ_ONLY" "SELECT count($last) FROM $t" "SELECT dq.profile('$t')"
  dq_say "$t: (6) ANALYZE"
  time_stmt "$p.analyze"    "$RUNS" ""                  "ANALYZE $t"
  dq_say "$t: (7) exact single query, $SLOW_RUNS runs"
  time_stmt "$p.exact"      "$SLOW_RUNS" ""             "$exact"
  dq_say "$t: (8) one query per metric ($(wc -l <"$BENCH_DIR/metrics_$t.sql") queries), $SLOW_RUNS runs"
  time_script "$p.permetric" "$SLOW_RUNS" "$BENCH_DIR/metrics_$t.sql"
  dq_say "$t: (9) hll + tdigest"
  time_stmt "$p.sketch"     "$RUNS" ""                  "$sketch"
  dq_say "$t: (10) progress reporting off/on, $PROGRESS_PAIRS pairs, 1 process and parallel"
  time_progress "$p.progress1"   "$PROGRESS_PAIRS" "$t" "$SERIAL"
  time_progress "$p.progresspar" "$PROGRESS_PAIRS" "$t" ""
}

# Workers planned for a query (EXPLAIN: planned, not run).
workers_planned() {
  bpsql -At -c "EXPLAIN (COSTS OFF) $1" | sed -n 's/.*Workers Planned: \([0-9]*\).*/\1/p' | head -n 1
}

# The plan of the query dq.profile() runs, as auto_explain logs it (with
# ANALYZE, so "Workers Launched" is what happened), into plan_<prefix>.txt.
explain_profile() {
  local t=$1 p=$2 off
  off=$(stat -c %s "$BENCH_LOG")
  bpsql >/dev/null <<EOF
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_timing = off;
SELECT dq.profile('$t');
EOF
  # The block of the scan: from its "Query Text" to the next log line.
  # awk reads to the end: leaving early would end tail by SIGPIPE, which
  # pipefail turns into the script's failure once the log outgrows a pipe.
  tail -c +"$((off + 1))" "$BENCH_LOG" |
    awk '!done && /Query Text: SELECT pg_catalog.count\(\*\)/ { on = 1 }
         on && /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / { on = 0; done = 1 }
         on' >"$BENCH_DIR/plan_$p.txt"
}

if [ "$PROGRESS_ONLY" = 1 ]; then
  measure_begin
  ALL_T0=$MEASURE_T0
  for pair in "$PGB pgb" "$MIX mix"; do
    read -r tbl p <<<"$pair"
    dq_say "$tbl: (10) progress reporting off/on, $PROGRESS_PAIRS pairs, 1 process and parallel"
    time_progress "$p.progress1"   "$PROGRESS_PAIRS" "$tbl" "$SERIAL"
    time_progress "$p.progresspar" "$PROGRESS_PAIRS" "$tbl" ""
  done
  measure_end all
  echo
  echo "dq.profile benchmark, progress reporting only, $(date -u +%Y-%m-%d)"
  echo "machine: $(nproc) cores; $("$BINDIR/postgres" --version)"
  echo "tables: pgbench = $PGB: $(bval "SELECT to_char(count(*), 'FM999,999,999') FROM $PGB") rows;" \
    "mixed = $MIX: $(bval "SELECT to_char(count(*), 'FM999,999,999') FROM $MIX") rows"
  echo "other processes' CPU: ${R[all.other]}% of all cores over $(elapsed "$ALL_T0") s (load average before: $LOADAVG)"
  echo
  progress_report
  exit 0
fi

measure_begin
ALL_T0=$MEASURE_T0
bench_table "$PGB" pgb
bench_table "$MIX" mix
measure_end all
TIMING_S=$(elapsed "$ALL_T0")

dq_say "plans: auto_explain of dq.profile's scan, EXPLAIN of the others"
for pair in "$PGB pgb" "$MIX mix"; do
  read -r tbl p <<<"$pair"
  set -- "$tbl" "$p"
  explain_profile "$1" "$2"
  R[$2.w_scan]=$(workers_planned "SELECT count($(bval "SELECT bench.last_column('$1')")) FROM $1")
  R[$2.w_exact]=$(workers_planned "$(bval "SELECT bench.exact_query('$1')")")
  R[$2.w_sketch]=$(workers_planned "$(bval "SELECT bench.sketch_query('$1')")")
  R[$2.w_prof_planned]=$(sed -n 's/.*Workers Planned: \([0-9]*\).*/\1/p' "$BENCH_DIR/plan_$2.txt" | head -n 1)
  R[$2.w_prof_launched]=$(sed -n 's/.*Workers Launched: \([0-9]*\).*/\1/p' "$BENCH_DIR/plan_$2.txt" | head -n 1)
done

# ---------------------------------------------------------------------------
# Memory: peak RssAnon of the backend running dq.profile in one process

rss_anon() {   # sets RSS (kB) from /proc/<pid>/status; fails once it is gone
  local k v
  RSS=
  while read -r k v _; do
    if [ "$k" = RssAnon: ]; then RSS=$v; return 0; fi
  done 2>/dev/null <"/proc/$1/status" || return 1
  [ -n "$RSS" ]
}

# mem_peak TABLE KEY JIT: R[KEY.base] (idle backend), R[KEY.peak] (kB),
# R[KEY.samples], R[KEY.secs]; JIT is the setting of jit (on or off)
mem_peak() {
  local t=$1 key=$2 jit=$3 pidfile=$BENCH_DIR/mem.pid bg bpid peak=0 base n=0 t0
  rm -f "$pidfile"
  bpsql -At >"$BENCH_DIR/mem.out" 2>&1 <<EOF &
$SERIAL
SET jit = $jit;
\o $pidfile
SELECT pg_backend_pid();
\o
SELECT pg_sleep(0.5);
SELECT dq.profile('$t');
EOF
  bg=$!
  until [ -s "$pidfile" ]; do
    kill -0 "$bg" 2>/dev/null || { cat "$BENCH_DIR/mem.out" >&2; dq_die "memory run failed"; }
    sleep 0.01
  done
  sleep 0.05
  bpid=$(tr -dc 0-9 <"$pidfile")
  rss_anon "$bpid" || dq_die "cannot read /proc/$bpid/status"
  base=$RSS
  t0=$(now_s)
  # Until the backend exits (psql quits after dq.profile returns).
  while rss_anon "$bpid"; do
    ((RSS > peak)) && peak=$RSS
    n=$((n + 1))
    sleep 0.02
  done
  wait "$bg" || { cat "$BENCH_DIR/mem.out" >&2; dq_die "memory run failed"; }
  R[$key.base]=$base
  R[$key.peak]=$peak
  R[$key.samples]=$n
  R[$key.secs]=$(elapsed "$t0")
}

mem_table() {   # mem_table ROWS KEY: makes bench_mixed_<ROWS> and measures it
  local rows=$1 key=$2 t=bench_mixed_$1 t0
  t0=$(now_s)
  dq_say "generating $t"
  bpsql -c "SELECT bench.make_mixed('$t', $rows)" -c "VACUUM $t" >/dev/null
  R[$key.gen]=$(elapsed "$t0")
  dq_say "memory of dq.profile('$t'), one process"
  mem_peak "$t" "$key" off
  [ "$key" = m10 ] && mem_peak "$t" "$key.jit" on
  # The next table needs the space more than this one does.
  bpsql -c "DROP TABLE $t"
}

mem_table "$MEM_SMALL_ROWS" m1
dq_say "memory of dq.profile('$MIX'), one process"
mem_peak "$MIX" m2 off
if [ "$MEMORY" = 1 ]; then
  mem_table "$MEM_BIG_ROWS" m10
fi

# ---------------------------------------------------------------------------
# Report

fmt_s() { awk -v ms="$1" 'BEGIN { printf "%9.3f s", ms / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# verdict RATIO OP TARGET
verdict() {
  awk -v r="$1" -v op="$2" -v t="$3" 'BEGIN {
    ok = (op == "<=") ? (r <= t) : (op == ">=") ? (r >= t) : (r > t)
    print ok ? "met" : "NOT met" }'
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }

relsize() { bval "SELECT pg_size_pretty(pg_relation_size('$1'))"; }
ncols() { bval "SELECT count(*) FROM bench.columns('$1')"; }
nrows() { bval "SELECT to_char(count(*), 'FM999,999,999') FROM $1"; }

PGB_DESC="$(nrows $PGB) rows, $(ncols $PGB) cols, $(relsize $PGB)"
MIX_DESC="$(nrows $MIX) rows, $(ncols $MIX) cols, $(relsize $MIX)"
MEM_TOTAL=$(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)

row() {   # row LABEL KEY
  local l=$1 k=$2 n
  n=${N_OF[pgb.$k]}
  [ "$n" != "$RUNS" ] && l="$l [$n runs]"
  printf '%-56s %11s %4s%% %11s %4s%%\n' "$l" "$(fmt_s "${R[pgb.$k]}")" "${R[pgb.$k.other]}" \
    "$(fmt_s "${R[mix.$k]}")" "${R[mix.$k.other]}"
}

# ratio_row LABEL NUM DEN OP TARGET (OP empty: no target)
ratio_row() {
  local l=$1 num=$2 den=$3 op=$4 target=$5 a b ta tb
  a=$(ratio "${R[pgb.$num]}" "${R[pgb.$den]}")
  b=$(ratio "${R[mix.$num]}" "${R[mix.$den]}")
  if [ -n "$op" ]; then
    ta="$(verdict "$a" "$op" "$target")"
    tb="$(verdict "$b" "$op" "$target")"
    printf '%-46s %-7s %7sx %-8s %7sx %s\n' "$l" "$op $target" "$a" "$ta" "$b" "$tb"
  else
    printf '%-46s %-7s %7sx %-8s %7sx\n' "$l" "" "$a" "" "$b"
  fi
}

echo
echo "dq.profile benchmark ($BENCH_SETTINGS settings), $(date -u +%Y-%m-%d)"
echo "machine: $(nproc) cores, $MEM_TOTAL RAM; $("$BINDIR/postgres" --version)"
echo "settings: $(bval "SELECT string_agg(name || ' = ' || current_setting(name), ', ' ORDER BY name)
  FROM pg_settings WHERE name IN ('shared_buffers', 'max_parallel_workers_per_gather',
  'max_parallel_workers', 'work_mem', 'jit', 'huge_pages')")"
echo "huge pages held by the server: $(bench_huge_pages_used); dq_lineage.scan_workers = -1 (default): at most $(( $(nproc) - 1 )) worker(s) for dq.profile's scan"
printf '%s\n' "timing: client-side psql \\timing, median of $RUNS runs (fewer where marked)"
echo "other processes' CPU while timing: ${R[all.other]}% of all cores over ${TIMING_S} s (load average before: $LOADAVG)"
echo "data load: pgbench -i -s $SCALE ${LOAD_PGB_S} s, $MIX ${LOAD_MIX_S} s"
echo
echo "tables: pgbench = $PGB: $PGB_DESC"
echo "        mixed   = $MIX: $MIX_DESC"
echo
echo "(other: CPU used by processes other than the benchmark's while a row was measured, % of all cores)"
echo
printf '%-56s %11s %5s %11s %5s\n' "median time" "pgbench" "other" "mixed" "other"
row "(1) count(*), 1 process"                               count
row "(2) count(last column), 1 process: reads every column" scan1
row "(2b) the same, new connection each run"               scanfresh
row "(3) count(last column), parallel"                      scanpar
row "(4) dq.profile, 1 process"                             prof1
row "(5) dq.profile, parallel allowed"                      profpar
row "(5b) dq.profile, dq_lineage.scan_workers = 2"          profpar2
row "(6) ANALYZE"                                           analyze
row "(7) exact metrics, one query"                          exact
row "(8) exact metrics, one query per metric (total)"       permetric
row "(9) hll + tdigest, one query"                          sketch
echo
printf '%-46s %-7s %8s %-8s %8s\n' "ratio" "target" "pgbench" "" "mixed"
ratio_row "(5) dq.profile / (2) scan, 1 process"       profpar   scan1   "<=" 3
ratio_row "(5) dq.profile / (3) scan, parallel"        profpar   scanpar "<=" 3
ratio_row "(5b) scan_workers = 2 / (2) scan, 1 process" profpar2 scan1  "" ""
printf '%-46s %-7s %7sx %-8s %7sx %s\n' "(5)/(2) in 7 alternating pairs, median" "<= 3" \
  "${R[pgb.pairs]}" "$(verdict "${R[pgb.pairs]}" "<=" 3)" "${R[mix.pairs]}" "$(verdict "${R[mix.pairs]}" "<=" 3)"
printf '%-46s %-7s %17s %17s\n' "   (range of the 7 pair ratios)" "" \
  "${R[pgb.pairs.lo]}-${R[pgb.pairs.hi]}" "${R[mix.pairs.lo]}-${R[mix.pairs.hi]}"
ratio_row "(4) dq.profile 1 proc / (2) scan 1 proc"    prof1     scan1   "<=" 3
ratio_row "(7) exact single query / (5) dq.profile"    exact     profpar ">=" 10
ratio_row "(8) one query per metric / (5) dq.profile"  permetric profpar "" ""
ratio_row "(9) hll + tdigest / (5) dq.profile"         sketch    profpar ">" 1
ratio_row "(6) ANALYZE / (5) dq.profile"               analyze   profpar "" ""
ratio_row "(4) dq.profile 1 proc / (5) parallel"       prof1     profpar "" ""
echo
progress_report
echo
echo "parallel workers (planned by EXPLAIN; dq.profile: planned/launched by auto_explain)"
for p in pgb mix; do
  printf '  %-17s count(last column) %s, exact query %s, hll+tdigest %s, dq.profile scan %s/%s\n' \
    "$([ $p = pgb ] && echo $PGB || echo $MIX):" "${R[$p.w_scan]:-0}" "${R[$p.w_exact]:-0}" \
    "${R[$p.w_sketch]:-0}" "${R[$p.w_prof_planned]:-0}" "${R[$p.w_prof_launched]:-0}"
done
echo
echo "dq.profile's scan on $MIX (auto_explain, ANALYZE without timing):"
cut -c1-160 "$BENCH_DIR/plan_mix.txt" | sed 's/^[^\t]*\t\{0,1\}/  /'
echo
echo "memory: peak RssAnon of the backend running dq.profile in one process, jit = off"
echo "(sampled every 20 ms; must be flat: it may not grow with the row count)"
mem_row() {
  [ -n "${R[$2.peak]:-}" ] || return 0
  printf '  %-22s idle %10s  peak %10s  (+%s; %s samples, %s s)\n' "$1" \
    "$(mb "${R[$2.base]}")" "$(mb "${R[$2.peak]}")" \
    "$(mb $((${R[$2.peak]} - ${R[$2.base]})))" "${R[$2.samples]}" "${R[$2.secs]}"
}
mem_row "1M rows"  m1
mem_row "$(awk -v n="$ROWS" 'BEGIN { printf "%gM rows", n / 1e6 }') ($MIX)" m2
mem_row "10M rows" m10
mem_row "10M rows, jit = on" m10.jit
if [ -n "${R[m10.peak]:-}" ]; then
  grow=$((${R[m10.peak]} - ${R[m1.peak]}))
  # Flat: 10 times the rows adds at most 10% (and at least 2 MB of slack).
  limit=$((${R[m1.peak]} / 10 > 2048 ? ${R[m1.peak]} / 10 : 2048))
  if [ "$grow" -le "$limit" ]; then flat="flat: met"; else flat="NOT flat: target not met"; fi
  echo "  10M - 1M peak: $(mb "$grow") ($flat); 10M table generated in ${R[m10.gen]} s"
  echo "  jit = on adds $(mb $((${R[m10.jit.peak]} - ${R[m10.peak]}))) at 10M rows: LLVM loaded once the"
  echo "  plan's cost exceeds jit_above_cost (as for any query; not the profiler's state)"
else
  echo "  (10M rows skipped: BENCH_MEMORY=1 measures them)"
fi
