#!/usr/bin/env bash
# bench/lineage_overhead/callgrind.sh: instructions per statement with
# lineage capture, counted by valgrind's callgrind (repeatable, unlike
# timings on a shared machine).
#
#   bench/lineage_overhead/callgrind.sh   (as root, or as a user who may sudo)
#
# One backend in single-user mode (postgres --single) runs N statements of
# one kind under callgrind; the instructions per statement are
# (Ir(N2) - Ir(N1)) / (N2 - N1), which cancels start-up and shutdown.
# Sides: library not preloaded; preloaded with capture off; preloaded with
# capture on; preloaded with capture on and compute_query_id = on (the
# statement cache then skips the walk of a repeated statement).  Kinds: a
# primary-key SELECT, INSERT ... VALUES, a one-table UPDATE (captured: it
# derives a column from itself), a captured INSERT ... SELECT, and a whole
# pgbench tpcb-like transaction (per transaction, not per statement).
# Environment: BENCH_N1 (default 1000), BENCH_N2 (default 5000),
# BENCH_KINDS (default "select insert_values update insert_select tpcb"),
# BENCH_QUERYID=0 leaves out the compute_query_id = on column.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int N1 1000
bench_int N2 5000
(( N2 > N1 )) || dq_die "need BENCH_N1 < BENCH_N2"
KINDS=${BENCH_KINDS:-select insert_values update insert_select tpcb}
SIDES="none/off/auto dq_lineage/off/auto dq_lineage/on/auto"
[ "${BENCH_QUERYID:-1}" = 0 ] || SIDES="$SIDES dq_lineage/on/on"
for k in $KINDS; do
  [[ $k =~ ^(select|insert_values|update|insert_select|tpcb)$ ]] || dq_die "BENCH_KINDS: unrecognized kind $k"
done
bench_prepare valgrind
bench_cluster_init lineage-callgrind <<CONF
synchronous_commit = off
autovacuum = off
CONF
bench_cluster_start
DIR=$BENCH_DIR
dq_as_run_user "$BINDIR/psql" -X -q -h "$DIR" -p "$PORT" -d bench -c "CREATE EXTENSION dq_lineage"
dq_as_run_user "$BINDIR/pgbench" -i -q -s 1 -h "$DIR" -p "$PORT" bench >"$DIR/init.log" 2>&1
dq_as_run_user "$BINDIR/psql" -X -q -h "$DIR" -p "$PORT" -d bench \
  -c "CREATE TABLE bench_sink (aid int, abalance int)" -c "VACUUM ANALYZE"
bench_cluster_stop

statement() {
  case $1 in
    select) echo "SELECT abalance FROM pgbench_accounts WHERE aid = 42;" ;;
    insert_values) echo "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, 42, 1, now());" ;;
    update) echo "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 42;" ;;
    insert_select) echo "INSERT INTO bench_sink SELECT aid, abalance FROM pgbench_accounts WHERE aid = 42;" ;;
    tpcb)   # one pgbench tpcb-like transaction, a statement per line
      printf '%s\n' "BEGIN;" \
        "UPDATE pgbench_accounts SET abalance = abalance + 5 WHERE aid = 42;" \
        "SELECT abalance FROM pgbench_accounts WHERE aid = 42;" \
        "UPDATE pgbench_tellers SET tbalance = tbalance + 5 WHERE tid = 3;" \
        "UPDATE pgbench_branches SET bbalance = bbalance + 5 WHERE bid = 1;" \
        "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (3, 1, 42, 5, CURRENT_TIMESTAMP);" \
        "END;" ;;
  esac
}
instructions() {   # KIND N PRELOAD CAPTURE QUERYID -> total Ir
  local kind=$1 n=$2 preload=$3 capture=$4 queryid=$5 i
  { for ((i = 0; i < n; i++)); do statement "$kind"; done; } >"$DIR/stmts.sql"
  bench_callgrind_ir "$DIR/cg.$kind.$n.$preload.$capture.$queryid" "$DIR/stmts.sql" \
    -c "shared_preload_libraries=$preload" -c "dq_lineage.capture_dml=$capture" \
    -c "compute_query_id=$queryid" -c "synchronous_commit=off"
}
declare -A R
for kind in $KINDS; do
  for side in $SIDES; do
    IFS=/ read -r preload capture queryid <<<"$side"
    [ "$preload" = none ] && preload=""
    a=$(instructions "$kind" "$N1" "$preload" "$capture" "$queryid")
    b=$(instructions "$kind" "$N2" "$preload" "$capture" "$queryid")
    R[$kind/$side]=$(( (b - a) / (N2 - N1) ))
    dq_say "$kind preload=${preload:-none} capture=$capture compute_query_id=$queryid: ${R[$kind/$side]} instructions per statement"
  done
done
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f%%", (a - b) * 100 / b }'; }
cat <<EOT

lineage capture, instructions per statement (tpcb: per transaction) (callgrind, postgres --single, (Ir($N2) - Ir($N1)) / $((N2 - N1)))
$("$BINDIR/postgres" --version)
                   not        preloaded,   preloaded,   capture on vs.  capture on vs.   preloaded, capture on,   vs. not
kind               preloaded  capture off  capture on   not preloaded   capture off      compute_query_id = on    preloaded
EOT
for kind in $KINDS; do
  qid="-" qidpct="-"
  if [ -n "${R[$kind/dq_lineage/on/on]:-}" ]; then
    qid=${R[$kind/dq_lineage/on/on]}
    qidpct=$(pct "$qid" "${R[$kind/none/off/auto]}")
  fi
  printf '%-18s %9s  %11s  %10s   %14s  %14s   %22s   %s\n' "$kind" "${R[$kind/none/off/auto]}" \
    "${R[$kind/dq_lineage/off/auto]}" "${R[$kind/dq_lineage/on/auto]}" \
    "$(pct "${R[$kind/dq_lineage/on/auto]}" "${R[$kind/none/off/auto]}")" \
    "$(pct "${R[$kind/dq_lineage/on/auto]}" "${R[$kind/dq_lineage/off/auto]}")" \
    "$qid" "$qidpct"
done
