#!/usr/bin/env bash
# bench/lineage_overhead/run.sh: what lineage capture costs.
#
#   bench/lineage_overhead/run.sh      (as root, or as a user who may sudo)
#
# Measured on one throwaway cluster, all in the same run:
# The cluster commits with synchronous_commit = off (see below).
#   (1) pgbench tpcb-like and select-only (scale BENCH_SCALE), the library
#       preloaded with capture on vs. not preloaded: BENCH_RUNS interleaved
#       runs of BENCH_SECONDS per side and mode (the order of the two sides
#       alternates); median TPS, their ratio, and the spread (min..max).
#   (2) one session running BENCH_STATEMENTS statements of each kind
#       (pgbench -c 1, simple protocol, so every statement is parsed and
#       analysed): a primary-key SELECT, INSERT ... VALUES, a single-table
#       UPDATE (all three decided "nothing to do" before any walk) and a
#       captured INSERT ... SELECT (cache hit: counted, not walked), with the
#       library not preloaded, preloaded with capture off, preloaded with
#       capture on; microseconds per statement.
#   (3) an INSERT ... SELECT over a 10-table join: repeated in one session
#       (cache hit) and with a new connection per statement (pgbench -C:
#       every statement is walked and its edges written with ON CONFLICT DO
#       NOTHING), capture on vs. off.
# Environment: BENCH_RUNS (default 10), BENCH_SECONDS (default 30),
# BENCH_SCALE (default 10), BENCH_STATEMENTS (default 100000),
# BENCH_CLIENTS (default 2).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd -P)
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck source=scripts/common.sh
. "$HERE/../../scripts/common.sh"

RUNS=${BENCH_RUNS:-10}
SECONDS_PER_RUN=${BENCH_SECONDS:-30}
SCALE=${BENCH_SCALE:-10}
STATEMENTS=${BENCH_STATEMENTS:-100000}
CLIENTS=${BENCH_CLIENTS:-2}
for v in "$RUNS" "$SECONDS_PER_RUN" "$SCALE" "$STATEMENTS" "$CLIENTS"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || dq_die "BENCH_* settings must be positive integers"
done

# shellcheck source=bench/lib.sh
. "$HERE/../lib.sh"
bench_prepare "postgresql-client-$DQ_PG_MAJOR"
bench_cluster_init lineage <<CONF
shared_buffers = 512MB
max_wal_size = 8GB
checkpoint_timeout = 1h
# commit without waiting for the WAL flush: the fsync of each commit would
# dominate and hide what the statements cost in CPU
synchronous_commit = off
# the side being measured: preloaded or not (written by set_side)
include_if_exists = 'bench_side.conf'
CONF

set_side() {   # on | off: library preloaded (capture on) or not preloaded
  if [ "$1" = on ]; then
    echo "shared_preload_libraries = 'dq_lineage'"
  else
    echo "shared_preload_libraries = ''"
  fi | dq_as_run_user tee "$BENCH_DATA/bench_side.conf" >/dev/null
  if [ "$BENCH_STARTED" = 1 ]; then
    bench_cluster_restart
  else
    bench_cluster_start
  fi
}
set_side on

bpgbench() {
  dq_as_run_user env PGOPTIONS="${PGOPTIONS:-}" "$BINDIR/pgbench" -h "$BENCH_DIR" -p "$PORT" "$@" bench
}
bpsql -c "CREATE EXTENSION dq_lineage"
dq_say "pgbench -i -s $SCALE"
bpgbench -i -q -s "$SCALE" >"$BENCH_DIR/init.log" 2>&1 || { tail "$BENCH_DIR/init.log" >&2; dq_die "pgbench -i failed"; }
bpsql <"$HERE/setup.sql"
bpsql -c "VACUUM ANALYZE" -c "CHECKPOINT"
for f in select insert_values update insert_select join10; do
  cp "$HERE/$f.pgbench" "$BENCH_DIR/"
done
dq_is_root && chown -R "$DQ_RUN_USER": "$BENCH_DIR"

minmax() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s..%s", lo, hi }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }
tps() { sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | head -1; }
latency_us() { sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' | awk '{ printf "%.2f", $1 * 1000 }'; }

# ---------------------------------------------------------------------------
# (1) pgbench, interleaved
declare -A T
for mode in tpcb select; do
  T[$mode-on]=""
  T[$mode-off]=""
done
for ((r = 0; r < RUNS; r++)); do
  if ((r % 2)); then order="off on"; else order="on off"; fi
  for side in $order; do
    set_side "$side"
    for mode in tpcb select; do
      flag=""
      [ "$mode" = select ] && flag="-S"
      t=$(bpgbench -n $flag -c "$CLIENTS" -j "$CLIENTS" -T "$SECONDS_PER_RUN" 2>&1 | tps)
      T[$mode-$side]="${T[$mode-$side]} $t"
      dq_say "run $((r + 1))/$RUNS $mode capture=$side: $t tps"
    done
  done
done

# ---------------------------------------------------------------------------
# (2) per-statement cost, (3) the 10-table join
declare -A M
micro() {   # KEY SIDE PGOPTIONS FILE [pgbench options]: after a warm-up run
  local key=$1 side=$2 opts=$3 file=$4
  shift 4
  PGOPTIONS="$opts" bpgbench -n -c 1 -t 200 -f "$BENCH_DIR/$file" >/dev/null 2>&1
  M[$key]=$(PGOPTIONS="$opts" bpgbench -n -c 1 "$@" -f "$BENCH_DIR/$file" 2>&1 | latency_us)
}
for side in off on; do
  set_side "$side"
  for kind in select insert_values update insert_select; do
    if [ "$side" = on ]; then
      micro "$kind-capoff" on "-c dq_lineage.capture_dml=off" "$kind.pgbench" -t "$STATEMENTS"
      micro "$kind-on" on "" "$kind.pgbench" -t "$STATEMENTS"
    else
      micro "$kind-off" off "" "$kind.pgbench" -t "$STATEMENTS"
    fi
  done
  if [ "$side" = on ]; then
    micro join-on on "" join10.pgbench -t 500
    micro join-capoff on "-c dq_lineage.capture_dml=off" join10.pgbench -t 500
    micro joinC-capoff on "-c dq_lineage.capture_dml=off" join10.pgbench -C -t 100
    micro joinC-on on "" join10.pgbench -C -t 100
  fi
done
EDGES=$(bpsql -At -c "SELECT count(*) FROM dq.column_lineage WHERE target_table = 'bench_sink10'")

cat <<EOT

lineage capture overhead: pgbench scale $SCALE, $CLIENTS clients
machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $("$BINDIR/postgres" --version), load before start: $LOADAVG
(1) pgbench, $RUNS interleaved runs of ${SECONDS_PER_RUN}s per side; TPS median (min..max)
  tpcb-like    not preloaded $(median ${T[tpcb-off]}) ($(minmax ${T[tpcb-off]}))   preloaded, capture on $(median ${T[tpcb-on]}) ($(minmax ${T[tpcb-on]}))   ratio on/off $(ratio "$(median ${T[tpcb-on]})" "$(median ${T[tpcb-off]})")
  select-only  not preloaded $(median ${T[select-off]}) ($(minmax ${T[select-off]}))   preloaded, capture on $(median ${T[select-on]}) ($(minmax ${T[select-on]}))   ratio on/off $(ratio "$(median ${T[select-on]})" "$(median ${T[select-off]})")
(2) microseconds per statement, one session, $STATEMENTS statements (not preloaded / preloaded, capture off / capture on; ratio on/not preloaded)
  SELECT by primary key        ${M[select-off]} / ${M[select-capoff]} / ${M[select-on]}   $(ratio "${M[select-on]}" "${M[select-off]}")
  INSERT ... VALUES            ${M[insert_values-off]} / ${M[insert_values-capoff]} / ${M[insert_values-on]}   $(ratio "${M[insert_values-on]}" "${M[insert_values-off]}")
  UPDATE one table             ${M[update-off]} / ${M[update-capoff]} / ${M[update-on]}   $(ratio "${M[update-on]}" "${M[update-off]}")
  INSERT ... SELECT (captured) ${M[insert_select-off]} / ${M[insert_select-capoff]} / ${M[insert_select-on]}   $(ratio "${M[insert_select-on]}" "${M[insert_select-off]}")
(3) INSERT ... SELECT over a 10-table join, microseconds (capture off / on; ratio)
  same session, 500 statements           ${M[join-capoff]} / ${M[join-on]}   $(ratio "${M[join-on]}" "${M[join-capoff]}")
  new connection each, 100 statements    ${M[joinC-capoff]} / ${M[joinC-on]}   $(ratio "${M[joinC-on]}" "${M[joinC-capoff]}")   (includes connecting)
  edges recorded for the join's target: $EDGES
EOT
