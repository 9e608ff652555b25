#!/usr/bin/env bash
# bench/validate/run.sh: dq.validate() with 20 expectations of mixed kinds
# on the 2M-row, 12-column table of bench/profile (bench_mixed), next to
# the scan that reads every column and to one query per expectation (the
# way Python validators run); all figures from the same run on the same
# throwaway cluster.
#
#   bench/validate/run.sh          (as root, or as a user who may sudo)
#
# Measured (median of BENCH_RUNS runs, psql \timing, client side):
#   (1) SELECT count(<last column>), one process: reads every column
#   (2) the same with parallel workers (the cluster's settings)
#   (3) dq.validate(), one process
#   (4) dq.validate() with the cluster's settings (parallel allowed; its
#       scan takes at most one worker fewer than the CPUs:
#       dq_lineage.scan_workers = -1)
#   (4b) the same with dq_lineage.scan_workers = 2 (the planner's choice)
#   (5) dq.validate() without the two regular-expression expectations
#   (6) the 20 per-expectation queries, one after the other (total)
#   (7a), (7b) the read-every-column scan with count(DISTINCT) of a column,
#       and with dq.exact_distinct of it (parallel allowed)
#   (8) dq.profile() of the same table against (1), in alternating pairs
#   (9) CPU time of (1), (3) and (4): the backend's and its parallel
#       workers'; on a shared machine the backend's CPU time of (4) is about
#       what its time would be with a CPU free for the worker
#   (10) what bounds the ratio from below, from the same cluster:
#       (10a) the scan of (1) in a new backend each run: a process that has
#       not yet touched the table's pages in shared memory pays for mapping
#       each one (as every parallel worker does, a new process per query);
#       without huge pages that is a page fault per 4 kB page
#       (10b) the scan of (1) passing every column to an aggregate
#       (count(c) of each): the executor's cost of handing each row's
#       values to an aggregate, before any check runs
# Environment: BENCH_RUNS (default 5), BENCH_ROWS (default 2000000),
# BENCH_SETTINGS, the cluster's memory settings:
#   default  PostgreSQL's own (shared_buffers = 128MB, no huge pages): the
#            340 MB table is larger than shared buffers, so every scan reads
#            it from the operating system's cache through a small ring of
#            buffers, the way a default-configured server reads a large table
#   buffers  shared_buffers = 2GB, no huge pages: the table lies in shared
#            buffers (pg_prewarm), and each parallel worker, a new process,
#            maps every 4 kB page of it that it reads (see (10a))
#   tuned    shared_buffers = 2GB with huge pages reserved for the run (root
#            or sudo), as PostgreSQL's manual recommends for large
#            shared_buffers
# Every configuration keeps JIT on and max_parallel_workers_per_gather at
# its default (2); max_wal_size and checkpoint_timeout are raised for the
# load only.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int RUNS 5
bench_int ROWS 2000000
bench_memory_settings
bench_prepare
bench_cluster_init validate <<CONF
$BENCH_MEMORY_CONF
max_wal_size = 16GB
checkpoint_timeout = 1d
CONF
bench_cluster_start
bpsql -c "CREATE EXTENSION dq_lineage" -c "CREATE EXTENSION pg_prewarm"
bpsql <"$HERE/../profile/setup.sql"
bpsql <"$HERE/expectations.sql"
dq_say "generating bench_mixed ($ROWS rows)"
bpsql -c "SELECT bench.make_mixed('bench_mixed', $ROWS)" >/dev/null
bpsql -c "VACUUM ANALYZE bench_mixed" -c "CHECKPOINT" -c "SELECT pg_prewarm('bench_mixed', '$BENCH_PREWARM')" >/dev/null
bpsql -At -c "SELECT dq.expect('bench_mixed', kind, col, params) FROM bench.expectation_set ORDER BY n" >/dev/null
NEXP=$(bpsql -At -c "SELECT count(*) FROM dq.expectations")
LAST=$(bpsql -At -c "SELECT bench.last_column('bench_mixed')")
bpsql -At -c "SELECT per_query FROM bench.expectation_set ORDER BY n" >"$BENCH_DIR/per_query.sql"

# ---------------------------------------------------------------------------
declare -A R
time_stmt() {   # KEY SETUP STATEMENT
  local out i
  out=$({ printf '%s\n' "$2" '\o /dev/null' '\timing on'
          for ((i = 0; i < RUNS; i++)); do printf '%s;\n' "$3"; done; } | bpsql)
  # shellcheck disable=SC2046
  R[$1]=$(median $(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out"))
}
time_script() {   # KEY FILE: total of the file's statements, median over runs
  local out i
  out=$({ printf '%s\n' '\o /dev/null' '\timing on'
          for ((i = 0; i < RUNS; i++)); do sed 's/$/;/' "$2"; printf '%s\n' '\echo @@end'; done; } | bpsql)
  # shellcheck disable=SC2046
  R[$1]=$(median $(awk '/^Time: / { t += $2 } /^@@end/ { print t; t = 0 }' <<<"$out"))
}
SERIAL="SET max_parallel_workers_per_gather = 0;"

dq_say "timing ($RUNS runs each)"
time_stmt scan1 "$SERIAL" "SELECT count($LAST) FROM bench_mixed"
time_stmt scanpar "" "SELECT count($LAST) FROM bench_mixed"
time_stmt val1 "$SERIAL" "SELECT dq.validate('bench_mixed')"
time_stmt valpar "" "SELECT dq.validate('bench_mixed')"
time_stmt valpar2 "SET dq_lineage.scan_workers = 2;" "SELECT dq.validate('bench_mixed')"
read -r -a PAIRS <<<"$(bench_pair_ratios 7 "$SERIAL" "SELECT count($LAST) FROM bench_mixed" "SELECT dq.validate('bench_mixed')")"
read -r -a PPAIRS <<<"$(bench_pair_ratios 7 "$SERIAL" "SELECT count($LAST) FROM bench_mixed" "SELECT dq.profile('bench_mixed')")"
read -r -a CSCAN <<<"$(bench_cpu_ms "$RUNS" "$SERIAL" "SELECT count($LAST) FROM bench_mixed")"
read -r -a CVAL1 <<<"$(bench_cpu_ms "$RUNS" "$SERIAL" "SELECT dq.validate('bench_mixed')")"
read -r -a CVAL <<<"$(bench_cpu_ms "$RUNS" "" "SELECT dq.validate('bench_mixed')")"
time_script perquery "$BENCH_DIR/per_query.sql"
time_fresh() {   # KEY SETUP STATEMENT: each run in a new backend
  local out i times=()
  for ((i = 0; i < RUNS; i++)); do
    out=$(printf '%s\n' "$2" '\o /dev/null' '\timing on' "$3;" | bpsql)
    times+=("$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | tail -1)")
  done
  R[$1]=$(median "${times[@]}")
}
time_fresh scanfresh "$SERIAL" "SELECT count($LAST) FROM bench_mixed"
ALLCOUNTS=$(bval "SELECT string_agg(format('count(%I)', attname), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'bench_mixed'::regclass AND attnum > 0 AND NOT attisdropped")
time_stmt scancounts "$SERIAL" "SELECT count(*), $ALLCOUNTS FROM bench_mixed"
PAGES=$(bval "SELECT pg_relation_size('bench_mixed') / 4096")
time_stmt distsql "" "SELECT count(DISTINCT c_status), count($LAST) FROM bench_mixed"
time_stmt distdq "" "SELECT dq.exact_distinct(c_status), count($LAST) FROM bench_mixed"
bpsql -At -c "SELECT dq.set_expectation_enabled(expectation_id, false) FROM dq.expectations WHERE kind LIKE '%regex%'" >/dev/null
time_stmt valnorx "" "SELECT dq.validate('bench_mixed')"
bpsql -At -c "SELECT dq.set_expectation_enabled(expectation_id, true) FROM dq.expectations" >/dev/null
FAILED=$(bpsql -At -c "SELECT failed FROM dq.validation_runs ORDER BY run_id DESC LIMIT 1")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<EOT

dq.validate benchmark ($BENCH_SETTINGS settings): $NEXP expectations (2 regular expressions over high-cardinality text, 1 exact distinct proportion), bench_mixed $ROWS rows x 12 columns
machine: $(bench_machine), load before start: $LOADAVG
settings: $(bval "SELECT string_agg(name || ' = ' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'max_parallel_workers_per_gather', 'jit', 'huge_pages')"); huge pages held: $(bench_huge_pages_used)
medians of $RUNS runs, ms:
  (1) read-every-column scan, 1 process           ${R[scan1]}
  (2) read-every-column scan, parallel            ${R[scanpar]}
  (3) dq.validate, 1 process                      ${R[val1]}
  (4) dq.validate, parallel (default)             ${R[valpar]}
  (4b) dq.validate, scan_workers = 2              ${R[valpar2]}
  (5) dq.validate without the 2 regex, parallel   ${R[valnorx]}
  (6) one query per expectation, total            ${R[perquery]}
  (7a) scan + count(DISTINCT c_status), parallel allowed   ${R[distsql]}
  (7b) scan + dq.exact_distinct(c_status), parallel allowed ${R[distdq]}
CPU time, medians of $RUNS runs, ms (backend + parallel workers):
  (9a) read-every-column scan, 1 process          ${CSCAN[0]}
  (9b) dq.validate, 1 process                     ${CVAL1[0]}
  (9c) dq.validate, parallel (default)            ${CVAL[0]} + ${CVAL[1]} = ${CVAL[2]}
lower bounds, medians of $RUNS runs, ms:
  (10a) scan (1) in a new backend each run        ${R[scanfresh]}
        first touch of the table, $PAGES x 4 kB: $(awk -v a="${R[scanfresh]}" -v b="${R[scan1]}" -v n="$PAGES" 'BEGIN { printf "%.1f us per 4 kB", (a - b) * 1000 / n }')
        a parallel worker reading half the table pays $(awk -v a="${R[scanfresh]}" -v b="${R[scan1]}" 'BEGIN { printf "%.2fx", (a - b) / 2 / b }') the whole scan (1) for it
  (10b) scan (1) passing every column to count()  ${R[scancounts]}   ($(ratio "${R[scancounts]}" "${R[scan1]}")x the scan before any check)
ratios:
  (9c) backend / (9a): parallel dq.validate / scan when a CPU is free   $(ratio "${CVAL[0]}" "${CSCAN[0]}")x
  (9b) / (9a): one process                       $(ratio "${CVAL1[0]}" "${CSCAN[0]}")x
  (4) dq.validate / (1) scan, 1 process          $(ratio "${R[valpar]}" "${R[scan1]}")x   (target <= 2x)
  (4)/(1) in 7 alternating pairs, median        ${PAIRS[0]}x   (range ${PAIRS[1]}-${PAIRS[2]}; target <= 2x)
  (8) dq.profile/(1) in 7 alternating pairs     ${PPAIRS[0]}x   (range ${PPAIRS[1]}-${PPAIRS[2]}; target <= 3x)
  (4b) scan_workers = 2 / (1) scan, 1 process    $(ratio "${R[valpar2]}" "${R[scan1]}")x
  (3) dq.validate 1 process / (1) scan           $(ratio "${R[val1]}" "${R[scan1]}")x
  (4) dq.validate / (2) scan, parallel           $(ratio "${R[valpar]}" "${R[scanpar]}")x
  (5) without regex / (1) scan, 1 process        $(ratio "${R[valnorx]}" "${R[scan1]}")x
  per-expectation queries / dq.validate (parallel)   $(ratio "${R[perquery]}" "${R[valpar]}")x faster
  expectations failed in the last run: $FAILED (c_float8 <= 900 and the 7th status are meant to fail)
EOT
