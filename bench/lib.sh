# bench/lib.sh: the throwaway cluster every benchmark runs on.  Sourced
# first by every bench/*/*.sh (after `set -euo pipefail`); it sources
# scripts/common.sh and sets HERE (the folder of the script) and LOADAVG
# (the load average when the script started, printed in its report:
# another busy process distorts the figures).
#
#   bench_machine                     cores, memory and server version
#   bench_int VAR DEFAULT [ENV]       VAR from the environment variable ENV
#                                     (default BENCH_VAR), else DEFAULT; dies
#                                     unless it is a positive integer
#   bench_prepare [apt-package ...]   prerequisites (build tools, the server,
#                                     the packages named), build and install
#                                     the checkout if it is not installed
#                                     (or BENCH_BUILD=1)
#   bench_cluster_init NAME           initdb in a new /tmp directory owned by
#                                     the run user, Unix socket only, a free
#                                     port (the first from BENCH_PORT on, if
#                                     set), test/dq_test.conf's settings;
#                                     settings on stdin are appended; the
#                                     cluster is stopped and deleted on exit
#   bench_huge_pages MB               reserve 2 MB huge pages for MB of shared
#                                     memory (root or sudo; bench_memory_settings
#                                     calls it for tuned) and set BENCH_HUGE_PAGES_CONF to
#                                     the huge_pages line for bench_cluster_init;
#                                     the kernel's count is restored on exit
#   bench_huge_pages_used             "N MB" of huge pages the server holds
#   bench_memory_settings             the memory settings BENCH_SETTINGS names:
#                                     default (PostgreSQL's own: shared_buffers
#                                     = 128MB, no huge pages), buffers
#                                     (shared_buffers = 2GB, no huge pages) or
#                                     tuned (2GB in huge pages, reserved with
#                                     bench_huge_pages); sets BENCH_MEMORY_CONF
#                                     for bench_cluster_init and BENCH_PREWARM,
#                                     pg_prewarm's mode (read: into the
#                                     operating system's cache; buffer)
#   bench_cluster_start / _stop / _restart
#   bpsql [psql args]                 psql as the superuser on db "bench"
#   bval SQL                          one value
#   median N...                       median of numbers
#   bench_cpu_ms RUNS SETUP STMT      median CPU time of a statement, ms:
#                                     backend, parallel workers, both
#   bench_callgrind_ir OUT STMTS [postgres args]
#                                     total instructions (valgrind's
#                                     callgrind) of one single-user backend
#                                     (postgres --single on db "bench",
#                                     stopped cluster) running the file STMTS;
#                                     OUT is callgrind's output file
#                                     (BENCH_CALLGRIND_KEEP=DIR keeps a copy)
#
# Sets BINDIR, BENCH_DIR, BENCH_DATA, BENCH_LOG, PORT.

# shellcheck disable=SC2034 # used by the scripts that source this file
HERE=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck disable=SC2034
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

bench_int() {
  local env=${3:-BENCH_$1} value
  value=${!env:-$2}
  [[ $value =~ ^[1-9][0-9]*$ ]] || dq_die "$env must be a positive integer"
  printf -v "$1" '%s' "$value"
}

# bench_machine: "N cores, M GiB, postgres (PostgreSQL) V" for a report's
# first lines (after bench_prepare, which sets BINDIR)
bench_machine() {
  echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $("$BINDIR/postgres" --version)"
}

bench_prepare() {
  local extra=() pkg
  dq_install_prereqs build
  BINDIR=$("$PG_CONFIG" --bindir)
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || extra+=("$pkg")
  done
  [ "${#extra[@]}" -eq 0 ] || dq_apt_install "${extra[@]}"
  local sharedir pkglibdir
  sharedir=$("$PG_CONFIG" --sharedir)
  pkglibdir=$("$PG_CONFIG" --pkglibdir)
  if [ "${BENCH_BUILD:-0}" = 1 ] || [ ! -f "$sharedir/extension/dq_lineage.control" ] ||
     [ ! -f "$pkglibdir/dq_lineage.so" ]; then
    dq_build
    dq_install
  fi
  dq_setup_run_user ""
}

BENCH_STARTED=0
BENCH_OLD_HUGEPAGES=

# Parallel workers are new processes: without huge pages each one maps
# every shared-buffer page it reads, 4 kB at a time, which on a small
# machine costs more than a plain scan of the page.  PostgreSQL's manual
# recommends huge pages for large shared_buffers.
bench_huge_pages() {
  local want=$(( ($1 + 1) / 2 )) have
  BENCH_HUGE_PAGES_CONF="huge_pages = off"
  if ! { dq_is_root || sudo -n true 2>/dev/null; }; then
    return 0
  fi
  have=$(cat /proc/sys/vm/nr_hugepages)
  if [ "$have" -lt "$want" ]; then
    BENCH_OLD_HUGEPAGES=$have
    echo "$want" | dq_as_root tee /proc/sys/vm/nr_hugepages >/dev/null 2>&1 || true
  fi
  BENCH_HUGE_PAGES_CONF="huge_pages = try"
}

# The benchmarks' headline figures come from a default-configured cluster;
# a table larger than a quarter of shared_buffers is then read through the
# operating system's cache and a small ring of buffers.  The other two are
# reported beside them, labelled.
bench_memory_settings() {
  BENCH_SETTINGS=${BENCH_SETTINGS:-default}
  case $BENCH_SETTINGS in
    default)
      BENCH_MEMORY_CONF="huge_pages = off"
      BENCH_PREWARM='read' ;;
    buffers)
      BENCH_MEMORY_CONF=$'shared_buffers = 2GB\nhuge_pages = off'
      BENCH_PREWARM=buffer ;;
    tuned)
      bench_huge_pages 2300
      BENCH_MEMORY_CONF=$'shared_buffers = 2GB\n'$BENCH_HUGE_PAGES_CONF
      BENCH_PREWARM=buffer ;;
    *) dq_die "BENCH_SETTINGS must be default, buffers or tuned" ;;
  esac
}

bench_huge_pages_used() {
  awk '/^HugePages_Total/ { t = $2 } /^HugePages_Free/ { f = $2 } /^HugePages_Rsvd/ { r = $2 }
       END { printf "%d MB", (t - f + r) * 2 }' /proc/meminfo
}

bench_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$BENCH_STARTED" = 1 ]; then
    if [ "$rc" -ne 0 ] && [ -f "$BENCH_LOG" ]; then
      echo "--- last lines of the server log ---" >&2
      tail -n 30 "$BENCH_LOG" >&2 || true
    fi
    dq_as_run_user "$BINDIR/pg_ctl" stop -D "$BENCH_DATA" -m immediate -w \
      >/dev/null 2>&1 || true
  fi
  [ -n "${BENCH_DIR:-}" ] && rm -rf "$BENCH_DIR"
  if [ -n "$BENCH_OLD_HUGEPAGES" ]; then
    echo "$BENCH_OLD_HUGEPAGES" | dq_as_root tee /proc/sys/vm/nr_hugepages >/dev/null 2>&1 || true
  fi
  exit "$rc"
}

# A port nobody uses (the cluster listens on a socket in BENCH_DIR only);
# BENCH_PORT=N starts the search at N, for runs side by side.
bench_pick_port() {
  local p start=$((54400 + $$ % 400))
  if [ -n "${BENCH_PORT:-}" ]; then
    [[ $BENCH_PORT =~ ^[1-9][0-9]*$ ]] || dq_die "BENCH_PORT must be a port number"
    start=$BENCH_PORT
  fi
  for ((p = start; p < start + 1000; p++)); do
    [ -e "/tmp/.s.PGSQL.$p" ] || [ -e "/var/run/postgresql/.s.PGSQL.$p" ] && continue
    if command -v ss >/dev/null 2>&1 && ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
      continue
    fi
    echo "$p"
    return 0
  done
  dq_die "no free port found"
}

bench_cluster_init() {
  local name=$1
  BENCH_DIR=$(mktemp -d "/tmp/dq-$name-bench.XXXXXX")
  BENCH_DATA=$BENCH_DIR/data
  BENCH_LOG=$BENCH_DIR/server.log
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  dq_is_root && chown "$DQ_RUN_USER": "$BENCH_DIR"
  chmod 0700 "$BENCH_DIR"
  PORT=$(bench_pick_port)
  dq_say "creating a cluster (owner $DQ_RUN_USER, port $PORT, Unix socket only)"
  dq_as_run_user "$BINDIR/initdb" -D "$BENCH_DATA" --auth=trust --encoding=UTF8 \
    --locale="$(dq_stable_locale)" >"$BENCH_DIR/initdb.log" 2>&1 ||
    { tail -n 30 "$BENCH_DIR/initdb.log" >&2; dq_die "initdb failed"; }
  {
    echo "# Written by bench/lib.sh for bench/$name."
    dq_test_settings
    echo
    echo "listen_addresses = ''"
    echo "port = $PORT"
    echo "unix_socket_directories = '$BENCH_DIR'"
    echo "unix_socket_permissions = 0700"
    echo "timezone = 'UTC'"
    cat
  } | dq_as_run_user tee "$BENCH_DATA/bench.conf" >/dev/null
  echo "include = 'bench.conf'" | dq_as_run_user tee -a "$BENCH_DATA/postgresql.conf" >/dev/null
}

bench_cluster_start() {
  dq_as_run_user "$BINDIR/pg_ctl" start -D "$BENCH_DATA" -l "$BENCH_LOG" -w -t 120 \
    >/dev/null || { BENCH_STARTED=1; dq_die "the cluster did not start"; }
  BENCH_STARTED=1
  dq_as_run_user "$BINDIR/psql" -X -q -h "$BENCH_DIR" -p "$PORT" -d postgres -At \
    -c "SELECT 1 FROM pg_database WHERE datname = 'bench'" | grep -q 1 ||
    dq_as_run_user "$BINDIR/createdb" -h "$BENCH_DIR" -p "$PORT" bench
}

bench_cluster_stop() {
  dq_as_run_user "$BINDIR/pg_ctl" stop -D "$BENCH_DATA" -m fast -w >/dev/null
  BENCH_STARTED=0
}

bench_cluster_restart() {
  bench_cluster_stop
  bench_cluster_start
}

bpsql() {
  dq_as_run_user "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -P pager=off \
    -h "$BENCH_DIR" -p "$PORT" -d bench "$@"
}

bval() {
  bpsql -At -c "$1"
}

# bench_pair_ratios RUNS SETUP_A STMT_A STMT_B: RUNS pairs in one session,
# A (after SETUP_A) then B (after RESET ALL); prints the median, the
# smallest and the largest of the per-pair ratios B / A.  Each ratio
# compares two runs a second apart, so a slow spell of the machine (a
# shared host) weighs on both sides of it alike.
bench_pair_ratios() {
  local runs=$1 setup=$2 a=$3 b=$4 out i ratios
  out=$({
    printf '%s\n' '\o /dev/null' '\timing on'
    for ((i = 0; i < runs; i++)); do
      printf '%s\n\\echo @@a\n%s;\nRESET ALL;\n\\echo @@b\n%s;\n' "$setup" "$a" "$b"
    done
  } | bpsql)
  ratios=$(awk '/^@@a/ { w = "a"; next } /^@@b/ { w = "b"; next }
                /^Time: / && w == "a" { ta = $2; w = "" }
                /^Time: / && w == "b" { printf "%.2f\n", $2 / ta; w = "" }' <<<"$out")
  # shellcheck disable=SC2086
  echo "$(median $ratios) $(sort -g <<<"$ratios" | head -n 1) $(sort -g <<<"$ratios" | tail -n 1)"
}

# bench_cpu_ms RUNS SETUP STMT: the CPU time of STMT, RUNS runs in one
# session after SETUP and one unmeasured run (the session's first touch
# of the shared buffers); prints the medians, in ms, of the time of the
# backend and of its parallel workers (the postmaster's reaped children)
# and of their sum.  Unlike the time psql measures, CPU time does not grow
# while other processes hold the machine's CPUs (a shared host); it still
# grows with their use of caches and memory.
bench_cpu_ms() {
  local runs=$1 setup=$2 stmt=$3 pm hz probe out i rows
  pm=$(head -n 1 "$BENCH_DATA/postmaster.pid")
  hz=$(getconf CLK_TCK)
  # shellcheck disable=SC2016
  probe='\! p=$(pgrep -P '"$pm"' -f "bench \[local\]" | head -n 1); echo "@@cpu $(cut -d" " -f14,15 /proc/$p/stat) $(cut -d" " -f16,17 /proc/'"$pm"'/stat)"'
  out=$({
    printf '%s\n' '\o /dev/null' "$setup" "$stmt;"
    for ((i = 0; i < runs; i++)); do
      printf '%s\n%s;\n%s\n' "$probe" "$stmt" "$probe"
    done
  } | bpsql)
  rows=$(awk -v hz="$hz" '/^@@cpu/ { b = ($2 + $3) * 1000 / hz; w = ($4 + $5) * 1000 / hz
                                     if (n++ % 2) printf "%d %d %d\n", b - b0, w - w0, b - b0 + w - w0
                                     else { b0 = b; w0 = w } }' <<<"$out")
  # shellcheck disable=SC2046
  echo "$(median $(cut -d' ' -f1 <<<"$rows")) $(median $(cut -d' ' -f2 <<<"$rows")) $(median $(cut -d' ' -f3 <<<"$rows"))"
}

median() {
  printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
    END { if (NR == 0) exit 1
          if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# bench_callgrind_ir OUT STMTS [postgres args]: the instructions a
# single-user backend takes to run the statements of file STMTS on db
# "bench" (the cluster must be stopped).  Callers run it with N1 and N2
# repetitions of their unit of work and take (Ir(N2) - Ir(N1)) / (N2 - N1),
# which cancels start-up and shutdown.  Dies if the backend fails or a
# statement reports an ERROR.
bench_callgrind_ir() {
  local out=$1 stmts=$2
  shift 2
  command -v valgrind >/dev/null 2>&1 || dq_die "valgrind is not installed (apt-get install valgrind)"
  dq_is_root && chown "$DQ_RUN_USER": "$stmts"
  dq_as_run_user valgrind --tool=callgrind -q --callgrind-out-file="$out" \
    "$BINDIR/postgres" --single -D "$BENCH_DATA" "$@" bench \
    <"$stmts" >"$BENCH_DIR/single.out" 2>"$BENCH_DIR/single.err" ||
    { tail "$BENCH_DIR/single.err" >&2; dq_die "postgres --single failed"; }
  if grep -q 'ERROR' "$BENCH_DIR/single.out" "$BENCH_DIR/single.err"; then
    grep 'ERROR' "$BENCH_DIR/single.out" "$BENCH_DIR/single.err" >&2
    dq_die "a statement failed under callgrind"
  fi
  # BENCH_CALLGRIND_KEEP=DIR keeps the output files for callgrind_annotate
  [ -n "${BENCH_CALLGRIND_KEEP:-}" ] && cp "$out" "$BENCH_CALLGRIND_KEEP/"
  sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out" | head -1
}
