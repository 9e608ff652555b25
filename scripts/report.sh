#!/usr/bin/env bash
# scripts/report.sh: write the data quality report (dq.report_html) of a
# database to a self-contained HTML file.
#
#   scripts/report.sh [-o FILE] [-t TABLE] [-s SINCE] [psql options...]
#
#   -o FILE   where to write it (default: dq-report.html; - for stdout)
#   -t TABLE  only the page of one table, e.g. -t public.orders
#   -s SINCE  start of the history shown, e.g. -s '2024-05-01' or
#             -s "$(date -d '7 days ago' -Iseconds)" (default: 30 days ago)
#
# Everything else goes to psql: -h, -p, -U, -d (or the PG* variables).
# The report shows what the connecting role may read; a BI user granted
# dq_reader sees the tables its own privileges allow.  The file is written
# only when the query succeeded.
#
# Example, against the demo cluster (scripts/demo.sh):
#   scripts/report.sh -o /tmp/report.html -h "$PWD/demo" -p 54329 -d dq_demo
set -euo pipefail

out=dq-report.html
table=
since=
psql_args=()

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

while [ $# -gt 0 ]; do
  case $1 in
    -o) out=${2:?-o needs a file name}; shift 2 ;;
    -t) table=${2:?-t needs a table name}; shift 2 ;;
    -s) since=${2:?-s needs a time}; shift 2 ;;
    --help) usage 0 ;;
    *) psql_args+=("$1"); shift ;;
  esac
done

PSQL=${PSQL:-psql}
command -v "$PSQL" >/dev/null 2>&1 || {
  echo "error: psql not found (install postgresql-client, or set PSQL)" >&2
  exit 1
}

tmp=$(mktemp "${TMPDIR:-/tmp}/dq-report.XXXXXX")
trap 'rm -f "$tmp"' EXIT

# The table and the time are passed as psql variables and quoted by psql
# (:'name'), never pasted into the SQL text.
PGCLIENTENCODING=UTF8 "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 \
  -v table="$table" -v since="$since" "${psql_args[@]}" -o "$tmp" <<'SQL'
SELECT dq.report_html(NULLIF(:'table', '')::regclass, NULLIF(:'since', '')::timestamptz);
SQL

if [ "$out" = - ]; then
  cat "$tmp"
else
  mv "$tmp" "$out"
  trap - EXIT
  echo "wrote $out ($(wc -c <"$out") bytes)" >&2
fi
