#!/usr/bin/env bash
# bench/lineage_overhead/fuzz.sh: random SQL from Debian's sqlsmith against a
# database with lineage capture on (library preloaded); the server must
# never crash.  The long form of test/t/012_lineage_sqlsmith.pl.
#
#   bench/lineage_overhead/fuzz.sh      (as root, or as a user who may sudo)
#
# Environment: BENCH_QUERIES (default 10000), BENCH_SEED (default 1).
# sqlsmith connects through the cluster's Unix socket only; every statement
# has a 2 s statement_timeout.  Exit status 1 when a backend crashed.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int QUERIES 10000
SEED=${BENCH_SEED:-1}
[[ $SEED =~ ^[0-9]+$ ]] || dq_die "BENCH_SEED must be an integer"
bench_prepare sqlsmith
bench_cluster_init lineage-fuzz </dev/null
bench_cluster_start
bpsql <<'SQL'
ALTER DATABASE bench SET statement_timeout = '2s';
CREATE EXTENSION dq_lineage;
CREATE TABLE a (id int PRIMARY KEY, x text, y numeric);
CREATE TABLE b (id int, x text, z int);
INSERT INTO a SELECT g, g::text, g FROM generate_series(1, 1000) g;
INSERT INTO b SELECT g, g::text, g FROM generate_series(1, 1000) g;
CREATE VIEW va AS SELECT a.id, b.x, a.y + b.z AS s FROM a JOIN b USING (id);
CREATE MATERIALIZED VIEW mb AS SELECT x, count(*) AS n FROM b GROUP BY x;
SQL

dq_say "sqlsmith: $QUERIES queries, seed $SEED"
START=$(date +%s)
dq_as_run_user sqlsmith "--target=host=$BENCH_DIR port=$PORT dbname=bench" \
  --max-queries="$QUERIES" --seed="$SEED" --verbose >"$BENCH_DIR/sqlsmith.out" 2>"$BENCH_DIR/sqlsmith.err" || true
END=$(date +%s)
tail -25 "$BENCH_DIR/sqlsmith.err"
CRASHES=$(grep -c -E 'terminated by signal|was terminated|PANIC' "$BENCH_LOG" || true)
UP=$(bpsql -At -c "SELECT 1" 2>/dev/null || echo down)
EDGES=$(bpsql -At -c "SELECT count(*) FROM dq.column_lineage" 2>/dev/null || echo "?")
cat <<EOT

sqlsmith: $(grep -o 'queries: [0-9]*' "$BENCH_DIR/sqlsmith.err" | tail -1) in $((END - START)) s, seed $SEED
server up afterwards: $([ "$UP" = 1 ] && echo yes || echo NO); crashes in the server log: $CRASHES; lineage edges: $EDGES
EOT
[ "$CRASHES" = 0 ] && [ "$UP" = 1 ]
