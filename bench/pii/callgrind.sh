#!/usr/bin/env bash
# bench/pii/callgrind.sh: what the sensitive-data detectors cost dq.profile,
# in instructions counted by valgrind's callgrind: repeatable, unlike
# timings on a shared machine, where a 10% difference can drown in the
# noise of other processes.
#
#   bench/pii/callgrind.sh   (as root, or as a user who may sudo)
#
# One backend in single-user mode (postgres --single: one process; the
# per-row work is the same in parallel workers) profiles a table N1 and N2
# times under callgrind with dq_lineage.detect_sensitive off and on; the
# instructions of one profile are (Ir(N2) - Ir(N1)) / (N2 - N1), which
# cancels start-up and shutdown.  Tables:
#   bench_mixed   the 12-column table of bench/profile (two columns of
#                 unique text: every value meets the detectors, the worst
#                 case for their cost)
#   pii.*         the labeled tables of bench/pii/setup.sql (e-mails,
#                 phones, cards, IBANs, ... in four languages, and
#                 look-alikes: every detector finds work)
# Environment: BENCH_ROWS (rows of bench_mixed, default 100000).  About 10
# minutes on 2 cores.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int ROWS 100000
N1=1
N2=3
bench_prepare valgrind
bench_cluster_init pii-callgrind <<CONF
autovacuum = off
CONF
bench_cluster_start
bpsql -c "CREATE EXTENSION dq_lineage" >/dev/null
bpsql -f "$HERE/../profile/setup.sql" >/dev/null
bpsql -f "$HERE/setup.sql" >/dev/null
bpsql -c "SELECT bench.make_mixed('bench_mixed', $ROWS)" -c "VACUUM ANALYZE" >/dev/null
PII_TABLES=$(bval "SELECT string_agg(c.oid::regclass::text, ' ' ORDER BY c.relname) FROM pg_class c
                    WHERE c.relnamespace = 'pii'::regnamespace AND c.relkind = 'r'
                      AND c.relname <> 'truth'")
bench_cluster_stop

unit() {
  case $1 in
    bench_mixed) echo "SELECT dq.profile('bench_mixed');" ;;
    pii) local t
         for t in $PII_TABLES; do echo "SELECT dq.profile('$t');"; done ;;
  esac
}
instructions() {   # UNIT N DETECT -> total Ir
  local unit=$1 n=$2 detect=$3 i
  { for ((i = 0; i < n; i++)); do unit "$unit"; done; } >"$BENCH_DIR/stmts.sql"
  bench_callgrind_ir "$BENCH_DIR/cg.$unit.$n.$detect" "$BENCH_DIR/stmts.sql" \
    -c "max_parallel_workers_per_gather=0" -c "jit=off" \
    -c "dq_lineage.detect_sensitive=$detect"
}
declare -A R
for unit in bench_mixed pii; do
  for detect in off on; do
    a=$(instructions "$unit" "$N1" "$detect")
    b=$(instructions "$unit" "$N2" "$detect")
    R[$unit/$detect]=$(( (b - a) / (N2 - N1) ))
    dq_say "$unit, detect_sensitive = $detect: ${R[$unit/$detect]} instructions per unit"
  done
done
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f%%", (a - b) * 100 / b }'; }
cat <<EOT

sensitive-data detection in dq.profile, instructions per unit (callgrind,
postgres --single, (Ir($N2) - Ir($N1)) / $((N2 - N1))); $("$BINDIR/postgres" --version)
target: detection on costs at most 10% more than off

unit                                        detection off    detection on     on vs. off
dq.profile(bench_mixed), $(printf '%-9s' "$ROWS") rows    $(printf '%-16s %-16s' "${R[bench_mixed/off]}" "${R[bench_mixed/on]}") $(pct "${R[bench_mixed/on]}" "${R[bench_mixed/off]}")
dq.profile of the $(wc -w <<<"$PII_TABLES") labeled pii tables     $(printf '%-16s %-16s' "${R[pii/off]}" "${R[pii/on]}") $(pct "${R[pii/on]}" "${R[pii/off]}")
EOT
