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

HERE=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=scripts/common.sh
. "$HERE/../../scripts/common.sh"

QUERIES=${BENCH_QUERIES:-10000}
SEED=${BENCH_SEED:-1}
[[ $QUERIES =~ ^[1-9][0-9]*$ && $SEED =~ ^[0-9]+$ ]] || dq_die "BENCH_QUERIES and BENCH_SEED must be integers"

dq_install_prereqs tests
BINDIR=$("$PG_CONFIG" --bindir)
SHAREDIR=$("$PG_CONFIG" --sharedir)
PKGLIBDIR=$("$PG_CONFIG" --pkglibdir)
if [ ! -f "$SHAREDIR/extension/dq_lineage.control" ] || [ ! -f "$PKGLIBDIR/dq_lineage.so" ]; then
  dq_build
  dq_install
fi

dq_setup_run_user ""
DIR=$(mktemp -d /tmp/dq-lineage-fuzz.XXXXXX)
DATA=$DIR/data
LOG=$DIR/server.log
STARTED=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ "$STARTED" = 1 ] && dq_as_run_user "$BINDIR/pg_ctl" stop -D "$DATA" -m immediate -w >/dev/null 2>&1
  rm -rf "$DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
dq_is_root && chown "$DQ_RUN_USER": "$DIR"
chmod 0700 "$DIR"
PORT=$((55400 + $$ % 400))

dq_as_run_user "$BINDIR/initdb" -D "$DATA" --auth=trust --encoding=UTF8 \
  --locale="$(dq_stable_locale)" >"$DIR/initdb.log" 2>&1 || { tail "$DIR/initdb.log" >&2; dq_die "initdb failed"; }
{
  dq_test_settings
  echo "listen_addresses = ''"
  echo "port = $PORT"
  echo "unix_socket_directories = '$DIR'"
} | dq_as_run_user tee -a "$DATA/postgresql.conf" >/dev/null
dq_as_run_user "$BINDIR/pg_ctl" start -D "$DATA" -l "$LOG" -w -t 120 >/dev/null || dq_die "the cluster did not start"
STARTED=1

bpsql() {
  dq_as_run_user "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -d fuzz "$@"
}
dq_as_run_user "$BINDIR/createdb" -h "$DIR" -p "$PORT" fuzz
bpsql <<'SQL'
ALTER DATABASE fuzz SET statement_timeout = '2s';
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
dq_as_run_user sqlsmith "--target=host=$DIR port=$PORT dbname=fuzz" \
  --max-queries="$QUERIES" --seed="$SEED" --verbose >"$DIR/sqlsmith.out" 2>"$DIR/sqlsmith.err" || true
END=$(date +%s)
tail -25 "$DIR/sqlsmith.err"
CRASHES=$(grep -c -E 'terminated by signal|was terminated|PANIC' "$LOG" || true)
UP=$(bpsql -At -c "SELECT 1" 2>/dev/null || echo down)
EDGES=$(bpsql -At -c "SELECT count(*) FROM dq.column_lineage" 2>/dev/null || echo "?")
cat <<EOT

sqlsmith: $(grep -o 'queries: [0-9]*' "$DIR/sqlsmith.err" | tail -1) in $((END - START)) s, seed $SEED
server up afterwards: $([ "$UP" = 1 ] && echo yes || echo NO); crashes in the server log: $CRASHES; lineage edges: $EDGES
EOT
[ "$CRASHES" = 0 ] && [ "$UP" = 1 ]
