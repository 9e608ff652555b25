#!/usr/bin/env bash
# bench/cdc/run.sh: change validation.
#
#   bench/cdc/run.sh          (as root, or as a user who may sudo)
#
# (1) Decoding throughput on the same WAL: BENCH_CHANGES inserted rows
#     (default 1,000,000; 6 columns; 10 row-level expectations, 1% of the
#     rows violate) read with pg_logical_slot_peek_changes through
#     test_decoding, wal2json (format-version 2) and dq_lineage (decode and
#     validate; one line per violation); changes/s, median of BENCH_RUNS
#     runs (default 3).
# (2) End-to-end detection lag: dq.watch on the table, pgbench inserting
#     BENCH_RATE rows/s (default 5,000: 10-row transactions) for
#     BENCH_LAG_SECONDS (default 30); lag = detected_at - commit_time of
#     each violation, median and p99.
# A throwaway cluster on a Unix socket, deleted on exit.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int RUNS 3
bench_int CHANGES 1000000
bench_int RATE 5000
bench_int LAGSECS 30 BENCH_LAG_SECONDS
bench_prepare "postgresql-$DQ_PG_MAJOR-wal2json"
[ -f "$("$PG_CONFIG" --pkglibdir)/wal2json.so" ] || dq_die "wal2json is not installed (Debian: postgresql-15-wal2json)"
plugins=""
dq_has_output_plugin_libraries &&
  plugins="output_plugin_libraries = 'pgoutput, test_decoding, dq_lineage, wal2json'"
bench_cluster_init cdc <<CONF
$plugins
shared_buffers = 1GB
logical_decoding_work_mem = 64MB
max_wal_size = 16GB
checkpoint_timeout = 1d
CONF
bench_cluster_start
bpsql -c "CREATE EXTENSION dq_lineage"
bpsql <"$HERE/setup.sql" >/dev/null

# ---------------------------------------------------------------------------
# (1) the same WAL through three plugins.  The table is entered into
# dq.watched_tables directly, so no worker consumes anything meanwhile.
dq_say "decoding throughput: $CHANGES changes"
bpsql -c "SELECT 'x' FROM pg_create_logical_replication_slot('b_test_decoding', 'test_decoding')" \
  -c "SELECT 'x' FROM pg_create_logical_replication_slot('b_wal2json', 'wal2json')" \
  -c "SELECT 'x' FROM pg_create_logical_replication_slot('b_dq_lineage', 'dq_lineage')" \
  -c "INSERT INTO dq.watched_tables (relid, schema_name, table_name, owner) VALUES ('bench_cdc'::regclass, 'public', 'bench_cdc', current_user)" >/dev/null
BATCH=10000
for ((first = 1; first <= CHANGES; first += BATCH)); do
  n=$BATCH
  (( first + n - 1 > CHANGES )) && n=$((CHANGES - first + 1))
  echo "INSERT INTO bench_cdc SELECT * FROM bench_cdc_rows($first, $n);"
done | bpsql
declare -A T
peek() {   # KEY SLOT OPTIONS
  local out
  out=$({ printf '%s\n' '\o /dev/null' '\timing on'
          for ((i = 0; i < RUNS; i++)); do
            printf "SELECT count(*) FROM pg_logical_slot_peek_changes('%s', NULL, NULL%s);\n" "$2" "$3"
          done; } | bpsql)
  # shellcheck disable=SC2046
  T[$1]=$(median $(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out"))
}
peek td b_test_decoding ""
peek w2j b_wal2json ", 'format-version', '2'"
peek dq b_dq_lineage ""
peek dqnoimg b_dq_lineage ", 'row_images', 'off'"
NLINES=$(bpsql -At -c "SELECT count(*) FROM pg_logical_slot_peek_changes('b_dq_lineage', NULL, NULL)")
bpsql -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" \
  -c "DELETE FROM dq.watched_tables" -c "TRUNCATE bench_cdc" >/dev/null

# ---------------------------------------------------------------------------
# (2) detection lag under a sustained insert load
dq_say "detection lag: $RATE rows/s for ${LAGSECS}s"
bpsql -c "SELECT dq.watch('bench_cdc')" -c "CREATE SEQUENCE bench_seq" >/dev/null
TPS=$((RATE / 10))
echo "INSERT INTO bench_cdc SELECT * FROM bench_cdc_rows(nextval('bench_seq') * 10, 10);" >"$BENCH_DIR/load.sql"
dq_is_root && chown "$DQ_RUN_USER": "$BENCH_DIR/load.sql"
PGB=$(dq_as_run_user "$BINDIR/pgbench" -n -h "$BENCH_DIR" -p "$PORT" -c 2 -j 2 -R "$TPS" -T "$LAGSECS" \
  -f "$BENCH_DIR/load.sql" bench 2>&1 | grep -E '^tps|latency average|number of transactions actually' || true)
END_LSN=$(bpsql -At -c "SELECT pg_current_wal_lsn()")
for ((i = 0; i < 600; i++)); do
  [ "$(bpsql -At -c "SELECT confirmed_flush_lsn >= '$END_LSN' FROM pg_replication_slots")" = t ] && break
  sleep 0.1
done
LAG=$(bpsql -At -F ' ' -c "
  SELECT count(*),
         round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 1),
         round((percentile_cont(0.99) WITHIN GROUP (ORDER BY ms))::numeric, 1),
         round(max(ms)::numeric, 1)
    FROM (SELECT 1000 * extract(epoch FROM detected_at - commit_time) AS ms FROM dq.violations) s")
read -r NVIOL LAG50 LAG99 LAGMAX <<<"$LAG"
ROWS=$(bpsql -At -c "SELECT count(*) FROM bench_cdc")
EXPECTED=$(bpsql -At -c "SELECT count(*) FROM bench_cdc WHERE qty < 0")

rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", n / (ms / 1000) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<EOT

change validation benchmark
machine: $(bench_machine), load before start: $LOADAVG
(1) pg_logical_slot_peek_changes over the same WAL: $CHANGES inserted rows x 6 columns, 10 row-level expectations; median of $RUNS runs
  test_decoding                    ${T[td]} ms   $(rate "$CHANGES" "${T[td]}") changes/s
  wal2json (format-version 2)      ${T[w2j]} ms   $(rate "$CHANGES" "${T[w2j]}") changes/s
  dq_lineage (decode + validate)   ${T[dq]} ms   $(rate "$CHANGES" "${T[dq]}") changes/s   ($NLINES violation lines)
  dq_lineage, row_images off       ${T[dqnoimg]} ms   $(rate "$CHANGES" "${T[dqnoimg]}") changes/s
  dq_lineage / test_decoding time  $(ratio "${T[dq]}" "${T[td]}")x   (target <= 1x)
  dq_lineage / wal2json time       $(ratio "${T[dq]}" "${T[w2j]}")x
(2) detection lag (commit_time to detected_at), pgbench -R $TPS x 10-row transactions for ${LAGSECS}s:
  pgbench: $(echo "$PGB" | tr '\n' ';')
  rows inserted $ROWS, violations recorded $NVIOL (expected $EXPECTED)
  lag median ${LAG50} ms, p99 ${LAG99} ms, max ${LAGMAX} ms   (target p99 < 1000 ms)
EOT
