#!/usr/bin/env bash
# bench/validate/callgrind.sh: instructions per row of dq.validate() with
# the 20 expectations of bench/validate/run.sh, next to the scan that reads
# every column, counted by valgrind's callgrind: repeatable where timings
# on a shared virtual machine move by 10% from run to run.
#
#   bench/validate/callgrind.sh   (as root, or as a user who may sudo)
#
# One backend in single-user mode (postgres --single: one process, no
# parallel worker, JIT off) runs each statement N times; the instructions
# of one run are (Ir(3 runs) - Ir(1 run)) / 2, which cancels start-up and
# shutdown, and are divided by the rows.  Statements: the read-every-column
# scan of run.sh (1), the same passing every column to count() (10b),
# max(c_numeric) against dq_internal.numeric_max(c_numeric), and
# dq.validate().
#
# Environment: BENCH_ROWS (rows of bench_mixed, default 200000).  About 5
# minutes on 2 cores.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int ROWS 200000
bench_prepare valgrind "postgresql-client-$DQ_PG_MAJOR"
bench_cluster_init validate-callgrind <<CONF
autovacuum = off
max_parallel_workers_per_gather = 0
jit = off
CONF
bench_cluster_start
bpsql -c "CREATE EXTENSION dq_lineage"
bpsql <"$HERE/../profile/setup.sql" >/dev/null
bpsql <"$HERE/expectations.sql" >/dev/null
bpsql -c "SELECT bench.make_mixed('bench_mixed', $ROWS)" -c "VACUUM ANALYZE bench_mixed" >/dev/null
bpsql -At -c "SELECT dq.expect('bench_mixed', kind, col, params) FROM bench.expectation_set ORDER BY n" >/dev/null
LAST=$(bval "SELECT bench.last_column('bench_mixed')")
ALLCOUNTS=$(bval "SELECT string_agg(format('count(%I)', attname), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'bench_mixed'::regclass AND attnum > 0 AND NOT attisdropped")
# (dq_internal.numeric_max is in 0.2.0 and later)
HAS_NUMERIC_MAX=$(bval "SELECT to_regprocedure('dq_internal.numeric_max(numeric)') IS NOT NULL")
bench_cluster_stop

per_row() {   # KEY STATEMENT -> instructions per row of one run
  local key=$1 stmt=$2 a b
  printf '%s;\n' "$stmt" >"$BENCH_DIR/stmts.sql"
  a=$(bench_callgrind_ir "$BENCH_DIR/cg.$key.1" "$BENCH_DIR/stmts.sql")
  printf '%s;\n' "$stmt" "$stmt" "$stmt" >"$BENCH_DIR/stmts.sql"
  b=$(bench_callgrind_ir "$BENCH_DIR/cg.$key.3" "$BENCH_DIR/stmts.sql")
  R[$key]=$(( (b - a) / 2 / ROWS ))
  dq_say "$key: ${R[$key]} instructions per row"
}
declare -A R
per_row scan "SELECT count($LAST) FROM bench_mixed"
per_row counts "SELECT count(*), $ALLCOUNTS FROM bench_mixed"
per_row max_numeric "SELECT max(c_numeric), count($LAST) FROM bench_mixed"
if [ "$HAS_NUMERIC_MAX" = t ]; then
  per_row dq_numeric_max "SELECT dq_internal.numeric_max(c_numeric), count($LAST) FROM bench_mixed"
else
  R[dq_numeric_max]="(not in this version)"
fi
per_row validate "SELECT dq.validate('bench_mixed')"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<EOT

dq.validate, instructions per row (callgrind, postgres --single, one process,
(Ir(3 runs) - Ir(1 run)) / 2 / rows); bench_mixed $ROWS rows x 12 columns;
$("$BINDIR/postgres" --version)
  (1) read-every-column scan                      ${R[scan]}
  (10b) the scan passing every column to count()  ${R[counts]}   ($(ratio "${R[counts]}" "${R[scan]}")x the scan)
  scan + max(c_numeric)                           ${R[max_numeric]}
  scan + dq_internal.numeric_max(c_numeric)       ${R[dq_numeric_max]}
  dq.validate(), 20 expectations                  ${R[validate]}   ($(ratio "${R[validate]}" "${R[scan]}")x the scan)
EOT
