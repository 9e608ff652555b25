#!/usr/bin/env bash
# bench/profile/progress_callgrind.sh: what progress reporting (dq.progress)
# costs dq.profile, in instructions counted by valgrind's callgrind:
# repeatable, unlike timings on a shared machine, where a 1% difference
# drowns in the noise of other processes.
#
#   bench/profile/progress_callgrind.sh   (as root, or as a user who may sudo)
#
# One backend in single-user mode (postgres --single, so one process: the
# per-row work is the same in parallel workers) runs dq.profile on a table
# N times under callgrind; the instructions of one profile are
# (Ir(3 profiles) - Ir(1 profile)) / 2, which cancels start-up and
# shutdown.  Sides: the library not preloaded (no progress code runs);
# preloaded with dq_lineage.track_progress = off; preloaded with it on (the
# default: the scan's row node is wrapped, and reports to shared memory).
# Tables (bench/profile/setup.sql): pgbench_accounts (pgbench -i, 4
# columns) and bench_mixed (12 columns of mixed types).
#
# Environment: BENCH_SCALE (pgbench scale, default 2: 200,000 rows),
# BENCH_ROWS (rows of bench_mixed, default 100000).  About 5 minutes on 2
# cores with the defaults.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int SCALE 2
bench_int ROWS 100000
bench_prepare valgrind "postgresql-client-$DQ_PG_MAJOR"
bench_cluster_init profile-callgrind <<CONF
autovacuum = off
max_parallel_workers_per_gather = 0
jit = off
CONF
bench_cluster_start
DIR=$BENCH_DIR
DATA=$BENCH_DATA
bpsql -c "CREATE EXTENSION dq_lineage"
bpsql <"$HERE/setup.sql" >/dev/null
dq_as_run_user "$BINDIR/pgbench" -i -q -s "$SCALE" -h "$DIR" -p "$PORT" bench >"$DIR/init.log" 2>&1
bpsql -c "SELECT bench.make_mixed('bench_mixed', $ROWS)" -c "VACUUM ANALYZE" >/dev/null
bench_cluster_stop

instructions() {   # TABLE N PRELOAD TRACK -> total Ir
  local table=$1 n=$2 preload=$3 track=$4 i
  { for ((i = 0; i < n; i++)); do echo "SELECT dq.profile('$table');"; done; } >"$DIR/stmts.sql"
  # dq_lineage.track_progress exists only once the library is loaded
  local setting=()
  [ -n "$preload" ] && setting=(-c "dq_lineage.track_progress=$track")
  bench_callgrind_ir "$DIR/cg.$table.$n.${preload:-none}.$track" "$DIR/stmts.sql" \
    -c "shared_preload_libraries=$preload" "${setting[@]}"
}
declare -A R
for table in pgbench_accounts bench_mixed; do
  for side in none/on dq_lineage/off dq_lineage/on; do
    IFS=/ read -r preload track <<<"$side"
    [ "$preload" = none ] && preload=""
    a=$(instructions "$table" 1 "$preload" "$track")
    b=$(instructions "$table" 3 "$preload" "$track")
    R[$table/$side]=$(( (b - a) / 2 ))
    dq_say "$table preload=${preload:-none} track_progress=$track: ${R[$table/$side]} instructions per profile"
  done
done

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f%%", (a - b) * 100 / b }'; }
rows() { dq_as_run_user "$BINDIR/postgres" --single -D "$DATA" bench <<<"SELECT count(*) FROM $1;" 2>/dev/null |
  sed -n 's/^[[:space:]]*1: count = "\([0-9]*\)".*/\1/p'; }
cat <<EOT

dq.profile, instructions per run (callgrind, postgres --single, one process,
(Ir(3 runs) - Ir(1 run)) / 2); $("$BINDIR/postgres" --version)

table             rows      not preloaded   track_progress   track_progress   on vs. off   on vs. not
                                            = off            = on (default)                preloaded
EOT
for table in pgbench_accounts bench_mixed; do
  printf '%-16s %8s  %14s   %14s   %14s   %10s   %10s\n' "$table" "$(rows "$table")" \
    "${R[$table/none/on]}" "${R[$table/dq_lineage/off]}" "${R[$table/dq_lineage/on]}" \
    "$(pct "${R[$table/dq_lineage/on]}" "${R[$table/dq_lineage/off]}")" \
    "$(pct "${R[$table/dq_lineage/on]}" "${R[$table/none/on]}")"
done
