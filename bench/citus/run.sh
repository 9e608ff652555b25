#!/usr/bin/env bash
# bench/citus/run.sh: dq.profile of a Citus distributed table computed on
# the shards, against the same table with its rows gathered on the
# coordinator and against a local table, with the bytes the coordinator
# receives and the work of each node.
#
#   bench/citus/run.sh              (as root, or as a user who may sudo)
#
# What it does:
#   1. installs what is missing (as bench/profile/run.sh), builds and
#      installs the extension when it is not installed, and builds and
#      installs Citus from test/vendor/citus when it is not installed;
#   2. creates three clusters in a new temporary directory (owned by the
#      calling user, or when run as root by the system user dq_lineage),
#      Unix sockets only: a coordinator and two workers, each with
#      test/dq_test.conf's settings, shared_preload_libraries =
#      'citus,dq_lineage' and shared_buffers = 1GB; all three are stopped
#      and deleted on exit;
#   3. loads bench_mixed (bench/profile/setup.sql: 12 columns of mixed
#      types) with BENCH_ROWS rows into a local table on the coordinator,
#      and the same rows into a table distributed by c_int over
#      BENCH_SHARDS shards, half on each worker; VACUUM ANALYZE;
#   4. times, as the median of BENCH_RUNS runs each:
#        (1) dq.profile of the distributed table: dq.row_profile_pushdown
#            on every shard, the states merged on the coordinator
#        (2) the same with dq_lineage.citus_pushdown = off: Citus gathers
#            the rows of every column on the coordinator, which profiles
#            them (what dq.profile did before)
#        (3) dq.profile of the local table on the coordinator (one node,
#            its parallel workers)
#   5. measures the bytes the coordinator receives: for (1) the text of
#      the shards' states (the length of each shard's worker_partial_agg
#      result, summed), for (2) Citus's "Tuple data received from nodes"
#      of EXPLAIN ANALYZE;
#   6. measures the work of each node: the shard queries of worker 1 run
#      one after the other in one process (what one worker core does for
#      its half of the table), and the coordinator's merge of the shards'
#      states (coord_combine_agg over them), so that the time on a real
#      cluster can be estimated: about max(per-worker time / its cores) +
#      merge + the round trips.
#
# Timing is client-side (psql's \timing over the Unix socket).  On one
# machine the three nodes share its cores: the cluster cannot beat the
# local table there; the row-gathered path pays for shipping and parsing
# every value.  The whole run takes about 5 minutes on 2 cores.
#
# Environment:
#   BENCH_RUNS     runs per measurement, the median is reported (default 3)
#   BENCH_ROWS     rows of the table (default 2000000)
#   BENCH_SHARDS   shards of the distributed table (default 32)
#   BENCH_BUILD    1: build and install the checkout first even when the
#                  extension is already installed
#   PG_CONFIG, DQ_PG_MAJOR   as for scripts/demo.sh
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int RUNS 3
bench_int ROWS 2000000
bench_int SHARDS 32
dq_install_prereqs tests
bench_prepare
dq_as_root env PG_CONFIG="$PG_CONFIG" "$DQ_ROOT/test/vendor/citus/build.sh" ||
  dq_die "building Citus failed"

# ---------------------------------------------------------------------------
# Three clusters: bench_cluster_init makes the coordinator; the workers are
# made the same way in the same directory.

bench_cluster_init citus <<CONF
shared_preload_libraries = 'citus,dq_lineage'
shared_buffers = 1GB
max_worker_processes = 32
max_parallel_workers_per_gather = 2
max_wal_size = 16GB
checkpoint_timeout = 1d
CONF
COORD_DATA=$BENCH_DATA
COORD_PORT=$PORT
WORKER_PORTS=()
WORKER_DATA=()
for i in 1 2; do
  data=$BENCH_DIR/worker$i
  port=$((COORD_PORT + i))
  dq_as_run_user "$BINDIR/initdb" -D "$data" --auth=trust --encoding=UTF8 \
    --locale="$(dq_stable_locale)" >"$BENCH_DIR/initdb$i.log" 2>&1 ||
    dq_die "initdb of worker $i failed"
  dq_as_run_user cp "$COORD_DATA/bench.conf" "$data/bench.conf"
  dq_as_run_user sed -i "s/^port = .*/port = $port/" "$data/bench.conf"
  echo "include = 'bench.conf'" | dq_as_run_user tee -a "$data/postgresql.conf" >/dev/null
  WORKER_PORTS+=("$port")
  WORKER_DATA+=("$data")
done

stop_workers() {
  local d
  for d in "${WORKER_DATA[@]}"; do
    dq_as_run_user "$BINDIR/pg_ctl" stop -D "$d" -m immediate -w >/dev/null 2>&1 || true
  done
}
trap 'stop_workers; bench_cleanup' EXIT

bench_cluster_start
for i in 0 1; do
  dq_as_run_user "$BINDIR/pg_ctl" start -D "${WORKER_DATA[$i]}" \
    -l "$BENCH_DIR/worker$((i + 1)).log" -w -t 120 >/dev/null ||
    dq_die "worker $((i + 1)) did not start"
  dq_as_run_user "$BINDIR/createdb" -h "$BENCH_DIR" -p "${WORKER_PORTS[$i]}" bench
done

wpsql() {
  local port=$1
  shift
  dq_as_run_user "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -P pager=off \
    -h "$BENCH_DIR" -p "$port" -d bench "$@"
}

for port in "$COORD_PORT" "${WORKER_PORTS[@]}"; do
  wpsql "$port" -c "CREATE EXTENSION citus"
done
bpsql -o /dev/null -c "SELECT citus_set_coordinator_host('$BENCH_DIR', $COORD_PORT)"
for port in "${WORKER_PORTS[@]}"; do
  bpsql -o /dev/null -c "SELECT citus_add_node('$BENCH_DIR', $port)"
done
bpsql -c "CREATE EXTENSION dq_lineage"
bpsql <"$HERE/../profile/setup.sql"

# ---------------------------------------------------------------------------
# Data

dq_say "loading $ROWS rows into mixed_local and mixed_dist ($SHARDS shards)"
bpsql -o /dev/null -c "SELECT bench.make_mixed('mixed_local', $ROWS)"
bpsql -o /dev/null -c "CREATE TABLE mixed_dist (LIKE mixed_local)" \
  -c "SELECT create_distributed_table('mixed_dist', 'c_int', shard_count => $SHARDS)" \
  -c "INSERT INTO mixed_dist SELECT * FROM mixed_local"
bpsql -c "VACUUM ANALYZE mixed_local" -c "VACUUM ANALYZE mixed_dist"

# ---------------------------------------------------------------------------
# Timings

# median_ms SETUP STMT: the median of RUNS runs of STMT (after SETUP), in ms
median_ms() {
  local setup=$1 stmt=$2 i out
  out=$({
    printf '%s\n' "$setup" '\o /dev/null' '\timing on'
    for ((i = 0; i < RUNS; i++)); do
      printf '%s;\n' "$stmt"
    done
  } | bpsql)
  # shellcheck disable=SC2046
  median $(awk '/^Time: / { print $2 }' <<<"$out")
}

dq_say "timing dq.profile: pushed down, gathered, local ($RUNS runs each)"
T_PUSH=$(median_ms "" "SELECT dq.profile('mixed_dist')")
T_GATHER=$(median_ms "SET dq_lineage.citus_pushdown = off;" "SELECT dq.profile('mixed_dist')")
T_LOCAL=$(median_ms "" "SELECT dq.profile('mixed_local')")

# ---------------------------------------------------------------------------
# Bytes received by the coordinator

# The pushed-down profile's call, as dq.profile builds it, per shard.
COLLS=$(bval "SELECT string_agg(CASE WHEN attcollation = 0 THEN '''''' ELSE '''pg_catalog.\"default\"''' END, ', ' ORDER BY attnum)
                FROM pg_attribute WHERE attrelid = 'mixed_dist'::regclass AND attnum > 0 AND NOT attisdropped")
COLS=$(bval "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
               FROM pg_attribute WHERE attrelid = 'mixed_dist'::regclass AND attnum > 0 AND NOT attisdropped")
COLL_OIDS=$(bval "SELECT string_agg(attcollation::text, ',' ORDER BY attnum)
                    FROM pg_attribute WHERE attrelid = 'mixed_dist'::regclass AND attnum > 0 AND NOT attisdropped")
PARTIAL="pg_catalog.worker_partial_agg('dq.row_profile_pushdown(text[],record)'::regprocedure, ROW(ARRAY[$COLLS]::text[], ROW($COLS)))"
bpsql -c "CREATE TABLE shard_states AS
            SELECT shardid, result AS state
              FROM run_command_on_shards('mixed_dist', \$\$SELECT $PARTIAL::text FROM %s\$\$)"
BYTES_PUSH=$(bval "SELECT sum(length(state)) FROM shard_states")
BYTES_GATHER=$(bpsql -At -c "SET dq_lineage.citus_pushdown = off" \
  -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT pg_catalog.count(*), dq.row_profile('{$COLL_OIDS}'::oid[], $COLS) FROM mixed_dist" |
  awk '/Tuple data received from nodes:/ { print $(NF - 1), $NF; exit }')

# ---------------------------------------------------------------------------
# The work of each node

W1_SHARDS=$(bval "SELECT string_agg(shard_name(logicalrelid, shardid), ' ')
                    FROM pg_dist_shard JOIN pg_dist_placement USING (shardid)
                    JOIN pg_dist_node USING (groupid)
                   WHERE logicalrelid = 'mixed_dist'::regclass AND nodeport = ${WORKER_PORTS[0]}")
W1_ROWS=$(bval "SELECT sum(r.result::bigint)
                  FROM run_command_on_shards('mixed_dist', 'SELECT count(*) FROM %s') r
                  JOIN pg_dist_placement USING (shardid) JOIN pg_dist_node USING (groupid)
                 WHERE nodeport = ${WORKER_PORTS[0]}")
W1_TIMES=()
for i in $(seq 1 "$RUNS"); do
  out=$({
    printf '%s\n' '\o /dev/null' '\timing on'
    for s in $W1_SHARDS; do
      printf 'SELECT pg_catalog.count(*), %s FROM %s;\n' "$PARTIAL" "$s"
    done
  } | wpsql "${WORKER_PORTS[0]}")
  W1_TIMES+=("$(awk '/^Time: / { t += $2 } END { print t }' <<<"$out")")
done
T_WORKER1=$(median "${W1_TIMES[@]}")
T_MERGE=$(median_ms "" "SELECT pg_catalog.coord_combine_agg('dq.row_profile_pushdown(text[],record)'::regprocedure, state::cstring, NULL::jsonb) FROM shard_states")
N_W1=$(wc -w <<<"$W1_SHARDS")

# ---------------------------------------------------------------------------
# Report

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
secs() { awk -v a="$1" 'BEGIN { printf "%.2f s", a / 1000 }'; }

cat <<REPORT

==================== dq.profile of a distributed table ====================
machine: $(bench_machine); load before the run: $LOADAVG
table: bench_mixed shape, $ROWS rows, 12 columns; $SHARDS shards on 2 workers; the
coordinator and both workers on this machine; median of $RUNS runs

(1) dq.profile, computed on the shards            $(secs "$T_PUSH")
(2) dq.profile, rows gathered on the coordinator  $(secs "$T_GATHER")
(3) dq.profile of a local table (one node)        $(secs "$T_LOCAL")

(2) / (1), gathered vs. on the shards:    $(ratio "$T_GATHER" "$T_PUSH")x   (target: at least 5x)
(1) / (3), on the shards vs. local:       $(ratio "$T_PUSH" "$T_LOCAL")x   (one machine: the nodes share its cores)

bytes received by the coordinator:
  (1) the shards' states:                 $BYTES_PUSH bytes ($SHARDS states, $(awk -v b="$BYTES_PUSH" -v n="$SHARDS" 'BEGIN { printf "%.0f", b / n }') bytes each)
  (2) the gathered rows:                  $BYTES_GATHER

work of each node:
  worker 1, its $N_W1 shards ($W1_ROWS rows) one after another in one process:  $(secs "$T_WORKER1")
  coordinator, merging the $SHARDS states:                                $(secs "$T_MERGE")
REPORT
