#!/usr/bin/env bash
# bench/lineage_overhead/run.sh: what lineage capture costs, in pgbench TPS.
#
#   bench/lineage_overhead/run.sh      (as root, or as a user who may sudo)
#
# One throwaway cluster with the library preloaded (test/dq_test.conf's
# settings, nothing tuned), pgbench scale BENCH_SCALE, BENCH_CLIENTS clients,
# the simple query protocol (every statement is parsed, so a captured
# statement is walked at every execution when no core query ID is
# computed: the worst case).  Three workloads:
#   tpcb-like      pgbench's default (three captured one-table UPDATEs)
#   select-only    pgbench -S (nothing to capture: the early exit)
#   insert-select  insert_select.pgbench: two INSERT ... SELECT and an
#                  UPDATE ... FROM per transaction, all captured
# Capture on and off are compared in the same server, through the setting
# (PGOPTIONS='-c dq_lineage.capture_dml=off' for the off side): no restart
# between the two sides, so both see the same caches and the same disk.
# Each round runs every workload twice, BENCH_SECONDS each, on then off or
# off then on (alternating by round); the ratio on/off of the two runs of a
# round is one sample.  A slow spell of a shared machine weighs on both
# halves of a pair alike.  BENCH_ROUNDS rounds give the median ratio and
# its spread (quartiles, min..max), and the median TPS of each side.
# Passes: first the cluster's default settings (synchronous_commit = on: a
# commit waits for its WAL flush), then synchronous_commit = off (commits
# do not wait: the CPU cost of capture is not hidden behind the flush).
# Environment: BENCH_ROUNDS (default 15), BENCH_SECONDS (default 5),
# BENCH_SCALE (default 10), BENCH_CLIENTS (default 2), BENCH_PASSES
# (default "default sync_off").
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int ROUNDS 15
bench_int SECONDS_PER_RUN 5 BENCH_SECONDS
bench_int SCALE 10
bench_int CLIENTS 2
PASSES=${BENCH_PASSES:-default sync_off}
for p in $PASSES; do
  [[ $p == default || $p == sync_off ]] || dq_die "BENCH_PASSES: default and/or sync_off"
done
bench_prepare "postgresql-client-$DQ_PG_MAJOR"
bench_cluster_init lineage </dev/null
bench_cluster_start

bpgbench() {
  dq_as_run_user env PGOPTIONS="${PGOPTIONS:-}" "$BINDIR/pgbench" -h "$BENCH_DIR" -p "$PORT" "$@" bench
}
bpsql -c "CREATE EXTENSION dq_lineage"
dq_say "pgbench -i -s $SCALE"
bpgbench -i -q -s "$SCALE" >"$BENCH_DIR/init.log" 2>&1 || { tail "$BENCH_DIR/init.log" >&2; dq_die "pgbench -i failed"; }
bpsql <"$HERE/setup.sql"
bpsql -c "VACUUM ANALYZE" -c "CHECKPOINT"
cp "$HERE/insert_select.pgbench" "$BENCH_DIR/"
dq_is_root && chown -R "$DQ_RUN_USER": "$BENCH_DIR"

tps() { sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | head -1; }
run() {   # WORKLOAD SIDE -> TPS
  local opts="" args=()
  [ "$2" = off ] && opts="-c dq_lineage.capture_dml=off"
  case $1 in
    tpcb) ;;
    select) args=(-S) ;;
    insert) args=(-f "$BENCH_DIR/insert_select.pgbench") ;;
  esac
  PGOPTIONS="$opts" bpgbench -n "${args[@]}" -c "$CLIENTS" -j "$CLIENTS" -T "$SECONDS_PER_RUN" 2>&1 | tps
}
quantiles() {   # numbers -> "median p25 p75 min max"
  printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
    function q(p,   i, f) { i = 1 + (NR - 1) * p; f = int(i); return a[f] + (i - f) * (f < NR ? a[f + 1] - a[f] : 0) }
    END { printf "%.4f %.4f %.4f %.4f %.4f", q(0.5), q(0.25), q(0.75), a[1], a[NR] }'
}

declare -A ON OFF RATIO
REPORT=""
for pass in $PASSES; do
  if [ "$pass" = sync_off ]; then
    bpsql -c "ALTER SYSTEM SET synchronous_commit = off" -c "SELECT pg_reload_conf()" >/dev/null
  else
    bpsql -c "ALTER SYSTEM RESET synchronous_commit" -c "SELECT pg_reload_conf()" >/dev/null
  fi
  for w in tpcb select insert; do
    ON[$w]=""; OFF[$w]=""; RATIO[$w]=""
    # one warm-up run per workload and side
    run "$w" on >/dev/null
    run "$w" off >/dev/null
  done
  for ((r = 0; r < ROUNDS; r++)); do
    for w in tpcb select insert; do
      if ((r % 2)); then
        off=$(run "$w" off); on=$(run "$w" on)
      else
        on=$(run "$w" on); off=$(run "$w" off)
      fi
      ON[$w]="${ON[$w]} $on"
      OFF[$w]="${OFF[$w]} $off"
      RATIO[$w]="${RATIO[$w]} $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.4f", a / b }')"
      dq_say "$pass round $((r + 1))/$ROUNDS $w: on $on, off $off tps"
    done
  done
  REPORT+=$'\n'"pass: $pass (synchronous_commit = $(bval 'SHOW synchronous_commit'))"$'\n'
  REPORT+=$(printf '%-14s %12s %12s %9s %17s %17s\n' workload "TPS on" "TPS off" "on/off" "quartiles" "min..max")$'\n'
  for w in tpcb select insert; do
    read -r med q1 q3 lo hi <<<"$(quantiles ${RATIO[$w]})"
    name=$w
    [ "$w" = tpcb ] && name=tpcb-like
    [ "$w" = select ] && name=select-only
    [ "$w" = insert ] && name=insert-select
    REPORT+=$(printf '%-14s %12.1f %12.1f %9.4f %8.4f..%-7.4f %8.4f..%-7.4f\n' "$name" \
      "$(median ${ON[$w]})" "$(median ${OFF[$w]})" "$med" "$q1" "$q3" "$lo" "$hi")$'\n'
  done
done
EDGES=$(bval "SELECT count(*) FROM dq.column_lineage WHERE target_schema = 'public'")

cat <<EOT

lineage capture overhead: pgbench scale $SCALE, $CLIENTS clients, simple protocol
machine: $(bench_machine), load before start: $LOADAVG
$ROUNDS rounds per pass; a round runs each workload ${SECONDS_PER_RUN}s with capture on and ${SECONDS_PER_RUN}s with capture off (dq_lineage.capture_dml), order alternating;
TPS: median of the runs; on/off: median of the per-round ratios, quartiles and min..max of those ratios
$REPORT
edges recorded for pgbench's and the script's tables: $EDGES
EOT
