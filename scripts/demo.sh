#!/usr/bin/env bash
# scripts/demo.sh: build, install and try dq_lineage on a local cluster.
#
#   scripts/demo.sh [start]   (make demo) install what is missing, build,
#                             install, start ./demo/data, load demo data,
#                             profile it, print the profile, schedule
#                             an hourly profile and route a failing
#                             expectation's alert to a NOTIFY channel
#   scripts/demo.sh stop      (make demo-stop) stop the demo cluster
#   scripts/demo.sh status    is the demo cluster running?
#   scripts/demo.sh reset     stop, delete ./demo, then start afresh
#
# The cluster lives in ./demo/data and listens only on a Unix socket in
# ./demo (no TCP), so it cannot clash with another server.  Environment:
# DQ_DEMO_PORT (default 54329; it only names the socket), PG_CONFIG.
#
# Running it again reuses the cluster: it is (re)started so that it loads
# the freshly installed library, and the demo tables are recreated.
set -euo pipefail

# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

DEMO_DIR=$DQ_ROOT/demo
DEMO_DATA=$DEMO_DIR/data
DEMO_LOG=$DEMO_DIR/postgresql.log
DEMO_PORT=${DQ_DEMO_PORT:-54329}
DEMO_DB=dq_demo

# pg_ctl and friends of the server we build against.
pg_bin() {
  printf '%s/%s' "$("$PG_CONFIG" --bindir)" "$1"
}

cluster_exists() {
  [ -f "$DEMO_DATA/PG_VERSION" ]
}

cluster_running() {
  cluster_exists && dq_as_run_user "$(pg_bin pg_ctl)" status -D "$DEMO_DATA" >/dev/null 2>&1
}

# psql on the demo cluster as its owner (the superuser initdb made).
demo_psql() {
  dq_as_run_user "$(pg_bin psql)" -X -q -v ON_ERROR_STOP=1 -P pager=off \
    -h "$DEMO_DIR" -p "$DEMO_PORT" "$@"
}

show_log_tail() {
  if [ -f "$DEMO_LOG" ]; then
    echo "--- last lines of $DEMO_LOG ---" >&2
    tail -n 30 "$DEMO_LOG" >&2
  fi
}

do_stop() {
  dq_find_pg_config || dq_die "pg_config not found (set PG_CONFIG)"
  if ! cluster_exists; then
    dq_say "no demo cluster in $DEMO_DATA"
    return 0
  fi
  dq_setup_run_user "$DEMO_DATA"
  if cluster_running; then
    dq_say "stopping the demo cluster"
    dq_as_run_user "$(pg_bin pg_ctl)" stop -D "$DEMO_DATA" -m fast -w >/dev/null
  else
    dq_say "demo cluster is not running"
  fi
}

do_status() {
  dq_find_pg_config || dq_die "pg_config not found (set PG_CONFIG)"
  cluster_exists || { echo "no demo cluster"; return 1; }
  dq_setup_run_user "$DEMO_DATA"
  dq_as_run_user "$(pg_bin pg_ctl)" status -D "$DEMO_DATA"
}

# Create ./demo for the run user and check that it can get there: as root
# only ./demo changes hands, never the checkout (git refuses to work in a
# repository owned by another user).
prepare_demo_dir() {
  mkdir -p "$DEMO_DIR"
  if dq_is_root; then
    chown "$DQ_RUN_USER": "$DEMO_DIR"
  fi
  # Only the owner reaches the socket; with that, trust auth is safe.
  chmod 0700 "$DEMO_DIR"
  dq_as_run_user test -w "$DEMO_DIR" ||
    dq_die "user $DQ_RUN_USER cannot write $DEMO_DIR (is a parent directory" \
      "closed to other users?): use a checkout other users can enter, or" \
      "run as a normal user with sudo"

  # A Unix socket path is limited to 107 bytes.
  local sock="$DEMO_DIR/.s.PGSQL.$DEMO_PORT"
  [ "${#sock}" -le 107 ] ||
    dq_die "socket path $sock is longer than 107 bytes: use a shorter checkout path"
}

init_cluster() {
  if cluster_exists; then
    local have want
    have=$(cat "$DEMO_DATA/PG_VERSION")
    want=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
    [ "$have" = "$want" ] ||
      dq_die "demo cluster is PostgreSQL $have, server is $want: run scripts/demo.sh reset"
    dq_say "reusing the demo cluster in $DEMO_DATA"
    return 0
  fi
  dq_say "creating the demo cluster in $DEMO_DATA (owner $DQ_RUN_USER)"
  # trust is fine: the socket directory is open to its owner only.
  dq_as_run_user "$(pg_bin initdb)" -D "$DEMO_DATA" --auth=trust \
    --encoding=UTF8 --locale="$(dq_stable_locale)" >"$DEMO_DIR/initdb.log" 2>&1 ||
    { tail -n 30 "$DEMO_DIR/initdb.log" >&2; dq_die "initdb failed"; }
}

# The demo's settings go into a file of their own, rewritten on every run
# from test/dq_test.conf (one source of truth with the test instances),
# and included once from postgresql.conf.
configure_cluster() {
  {
    echo "# Written by scripts/demo.sh on every run; edit test/dq_test.conf instead."
    dq_test_settings
    echo
    echo "# Demo cluster: Unix socket in ./demo only."
    echo "listen_addresses = ''"
    echo "port = $DEMO_PORT"
    echo "unix_socket_directories = '$DEMO_DIR'"
    echo "unix_socket_permissions = 0700"
    echo "timezone = 'UTC'"
  } | dq_as_run_user tee "$DEMO_DATA/dq_demo.conf" >/dev/null

  if ! grep -qx "include = 'dq_demo.conf'" "$DEMO_DATA/postgresql.conf"; then
    echo "include = 'dq_demo.conf'" |
      dq_as_run_user tee -a "$DEMO_DATA/postgresql.conf" >/dev/null
  fi
}

# Start the cluster, or restart it when it runs: a running server keeps the
# library it preloaded, not the one just installed.
start_cluster() {
  local action=start
  cluster_running && action=restart
  dq_say "${action}ing the demo cluster (log: $DEMO_LOG)"
  # restart takes -l too: the new postmaster logs to the same file.
  if ! dq_as_run_user "$(pg_bin pg_ctl)" "$action" -D "$DEMO_DATA" \
      -l "$DEMO_LOG" -w -t 60 >/dev/null; then
    show_log_tail
    dq_die "the demo cluster did not start"
  fi
}

load_demo() {
  local exists
  exists=$(demo_psql -d postgres -At -c \
    "SELECT count(*) FROM pg_database WHERE datname = '$DEMO_DB'")
  if [ "$exists" = 0 ]; then
    dq_say "creating database $DEMO_DB"
    demo_psql -d postgres -c "CREATE DATABASE $DEMO_DB"
  fi

  dq_say "CREATE EXTENSION IF NOT EXISTS dq_lineage"
  demo_psql -d "$DEMO_DB" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dq_lineage;
-- An existing demo database gets a newer extension version when there is one.
ALTER EXTENSION dq_lineage UPDATE;
SQL

  dq_say "generating demo data (demo.customers, demo.orders)"
  demo_psql -d "$DEMO_DB" -f - <"$DQ_ROOT/scripts/demo-data.sql"
}

profile_demo() {
  local have
  have=$(demo_psql -d "$DEMO_DB" -At -c \
    "SELECT count(*) FROM pg_proc WHERE proname = 'profile' AND pronamespace = 'dq'::regnamespace")
  [ "$have" != 0 ] ||
    dq_die "the installed extension has no dq.profile() yet"

  dq_say "profiling: dq.profile('demo.orders'), dq.profile('demo.customers')"
  demo_psql -d "$DEMO_DB" <<'SQL'
SELECT dq.profile('demo.orders') AS orders_run_id,
       dq.profile('demo.customers') AS customers_run_id;

-- The newest profile of each column of the demo tables, in column order.
-- The view keeps the history of dropped relations under their old names,
-- and every run recreates the tables: select the current ones by OID.
-- Long values are cut so that the table stays readable in a terminal.
\pset null '(null)'
\pset title 'dq.latest_profile of the demo tables'
SELECT p.table_name,
       p.column_name,
       p.data_type,
       p.row_count,
       p.null_count,
       p.distinct_count,
       left(p.min_value::text, 25) AS min_value,
       left(p.max_value::text, 25) AS max_value,
       round(p.mean::numeric, 2) AS mean,
       left(p.top_values -> 0 ->> 'value', 20) AS top_value,
       (p.top_values -> 0 ->> 'count')::bigint AS top_count
  FROM dq.latest_profile AS p
 WHERE p.relid IN ('demo.orders'::regclass, 'demo.customers'::regclass)
 ORDER BY p.table_name, p.attnum;

-- Keep profiling the orders every hour from the background worker.
SELECT dq.schedule_profile('demo.orders', '@hourly') AS job_id \gset
\pset title 'dq.job_status: the background worker profiles demo.orders every hour'
SELECT job_name, schedule, timezone, next_run, command FROM dq.job_status;

-- One monitor of each kind (docs/monitors.md); a re-run first removes those
-- of the tables it dropped.
SELECT count(dq.unmonitor(m.relid::regclass)) AS removed
  FROM (SELECT DISTINCT relid FROM dq.monitor_definitions WHERE schema_name = 'demo') m \gset
SELECT dq.monitor('demo.orders', 'freshness') AS freshness,
       dq.monitor('demo.orders', 'volume') AS volume,
       dq.monitor('demo.orders', 'schema') AS schema,
       dq.monitor('demo.orders', 'column', 'amount', '{"watermark": "created_at"}') AS column_id,
       dq.monitor('demo.orders', 'distribution', 'status', '{"watermark": "created_at"}') AS distribution \gset
SELECT dq.run_monitors() AS anomalies \gset
\pset title 'dq.monitors: one monitor of each kind on demo.orders, run once'
SELECT monitor_id, kind, column_name, schedule, open_anomalies, next_run
  FROM dq.monitors WHERE schema_name = 'demo' ORDER BY monitor_id;
SQL
}

# Route the failures of the demo tables to a NOTIFY channel, validate a
# failing expectation and show the alert, then the notification the
# delivery worker sent (psql prints it after the next command).
alert_demo() {
  dq_say "alerts: a failing expectation of demo.orders, routed to NOTIFY dq_demo_alerts"
  demo_psql -d "$DEMO_DB" <<'SQL'
-- the demo data has a few negative amounts: this expectation fails
SELECT dq.expect('demo.orders', 'expect_column_values_to_be_between', 'amount',
                 '{"min_value": 0}') AS expectation_id \gset
SELECT dq.alert_route('demo-notify', '{"relation": "demo.*"}', 'notify', 'dq_demo_alerts') AS route_id \gset
LISTEN dq_demo_alerts;
SELECT dq.validate('demo.orders') AS run_id \gset
\pset title 'dq.open_alerts: the failing expectation is an alert'
SELECT alert_id, source, severity, state, title, occurrences
  FROM dq.open_alerts WHERE relation = 'demo.orders';
\pset title
SELECT pg_sleep(1) AS waited_1s;
\pset title 'dq.alert_deliveries: sent by the delivery worker'
SELECT d.route_name, d.event, d.status, d.attempts
  FROM dq.alert_deliveries d JOIN dq.alerts a USING (alert_id)
 WHERE a.relid = 'demo.orders'::regclass;
SQL
}

do_start() {
  dq_install_prereqs build
  dq_build
  dq_install
  dq_setup_run_user "$DEMO_DATA"
  prepare_demo_dir
  init_cluster
  configure_cluster
  start_cluster
  load_demo
  profile_demo
  alert_demo

  local who=""
  dq_is_root && who=" -U $DQ_RUN_USER"
  echo
  dq_say "demo cluster running; connect with:"
  echo "    psql -h $DEMO_DIR -p $DEMO_PORT$who $DEMO_DB"
  echo "  stop it with: make demo-stop"
}

case ${1:-start} in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  reset)
    do_stop
    dq_say "removing $DEMO_DIR"
    rm -rf "$DEMO_DIR"
    do_start
    ;;
  *)
    echo "usage: $0 [start|stop|status|reset]" >&2
    exit 2
    ;;
esac
