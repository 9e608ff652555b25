#!/usr/bin/env bash
# scripts/test-all.sh (make test-all): install what is missing, build,
# install, run the pg_regress, isolation and TAP suites, and print the
# totals as the last line:
#
#   N passed, N failed
#
# Counting: pg_regress and isolation count test files (their own summary
# line); TAP counts individual assertions (prove's "Tests=" total, minus
# the failed subtests of its summary report).  A TAP file that fails with
# no failed assertion (it died, or ran fewer tests than planned) adds the
# missing planned tests, or at least 1, to the failures, and a file prove
# skipped after a BAIL_OUT counts 1.  A step that could not run at all
# (build, install, an instance that did not start) counts as 1 failure.
# The exit status is 0 only when nothing failed.
#
# The ge suite runs Great Expectations' own test definitions against
# dq.check (test/ge/run_ge.py, its own temporary instance) and counts its
# cases; the cases it skips are listed with their reasons in its log.
#
# The structure step runs scripts/check-structure.pl (include cycles,
# dependencies between subsystems, file and function lengths) and counts
# as one test: it fails when the script reports any problem.
#
# While working on one part, a subset can be run (the full command is what
# CI runs):
#   DQ_SUITES="regress tap"        the suites to run: structure, regress,
#                                  isolation, tap, ge, portable (default: all)
#   DQ_REGRESS="00_setup 30_check" the pg_regress files to run
#   DQ_TAP_TESTS="test/t/004_upgrade.pl"   the TAP files to run
#
# The instances refuse to run as root: as root the suites run as the system
# user dq_lineage in a copy of the checkout (the checkout itself stays
# root's, as git wants), and their result files are copied back.
set -uo pipefail
# No "set -e": every step's failure is counted and reported, and the EXIT
# trap below always prints the totals.

# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()          # one line per step, printed before the totals
FINISHED=0          # set when the script got to the end on its own
WORK_DIR=$DQ_ROOT   # where the suites run (a copy when we are root)
COPY_DIR=""
LOG_DIR=$DQ_ROOT/build/test-all

# pg_regress writes these (regress: ./, isolation: output_iso/), TAP writes
# tmp_check/log; they are what a failure is explained with.
RESULT_FILES=(regression.diffs regression.out results log output_iso tmp_check)

note() {
  SUMMARY+=("$(printf '%-10s %s' "$1" "$2")")
}

fail_step() {
  TOTAL_FAILED=$((TOTAL_FAILED + 1))
  note "$1" "FAILED: $2"
}

finish() {
  local status=$?
  trap - EXIT
  if [ "$FINISHED" -ne 1 ]; then
    fail_step aborted "stopped early (exit status $status), see the messages above"
  fi
  if [ -n "$COPY_DIR" ]; then
    rm -rf "$COPY_DIR"
  fi
  echo
  echo "================ test-all summary ================"
  printf '%s\n' "${SUMMARY[@]}"
  # The closing line, read by people and CI alike: keep it last.
  printf '%d passed, %d failed\n' "$TOTAL_PASSED" "$TOTAL_FAILED"
  if [ "$TOTAL_FAILED" -ne 0 ]; then
    exit 1
  fi
  exit 0
}
trap finish EXIT

# Run "make ..." in the work directory as the run user, showing and logging
# its output.  Sets STEP_STATUS and STEP_LOG.
run_make() {
  local name=$1
  shift
  STEP_LOG=$LOG_DIR/$name.log
  echo
  dq_say "$name: make $*"
  (cd "$WORK_DIR" && dq_as_run_user make --no-print-directory \
    PG_CONFIG="$PG_CONFIG" "$@") 2>&1 | tee "$STEP_LOG"
  STEP_STATUS=${PIPESTATUS[0]}
}

# Print the end of a file, if it exists, for the CI log.
show_tail() {
  local file=$1 lines=$2
  [ -s "$file" ] || return 0
  echo "----- ${file#"$WORK_DIR"/} (last $lines lines) -----"
  tail -n "$lines" "$file"
}

# Parse pg_regress's (or pg_isolation_regress's) closing line from $1 into
# PARSED_PASSED and PARSED_FAILED; false when there is none.  PostgreSQL 15
# prints one of:
#   All N tests passed.
#   N of M tests passed, K failed test(s) ignored.
#   N of M tests failed.
#   N of M tests failed, K of these failures ignored.
# Ignored failures follow pg_regress's verdict: they do not fail the run.
parse_pg_regress() {
  local line found=1 re_all re_ign_ok re_fail_ign re_fail
  re_all='All ([0-9]+) tests passed\.'
  re_ign_ok='([0-9]+) of ([0-9]+) tests passed, ([0-9]+) failed test\(s\) ignored\.'
  re_fail_ign='([0-9]+) of ([0-9]+) tests failed, ([0-9]+) of these failures ignored\.'
  re_fail='([0-9]+) of ([0-9]+) tests failed\.'
  while IFS= read -r line; do
    if [[ $line =~ $re_all ]]; then
      PARSED_PASSED=${BASH_REMATCH[1]} PARSED_FAILED=0 found=0
    elif [[ $line =~ $re_ign_ok ]]; then
      PARSED_PASSED=${BASH_REMATCH[2]} PARSED_FAILED=0 found=0
    elif [[ $line =~ $re_fail_ign ]]; then
      PARSED_FAILED=$((BASH_REMATCH[1] - BASH_REMATCH[3]))
      PARSED_PASSED=$((BASH_REMATCH[2] - PARSED_FAILED)) found=0
    elif [[ $line =~ $re_fail ]]; then
      PARSED_FAILED=${BASH_REMATCH[1]}
      PARSED_PASSED=$((BASH_REMATCH[2] - BASH_REMATCH[1])) found=0
    fi
  done <"$1"
  return $found
}

# Parse prove's output in $1 into PARSED_PASSED and PARSED_FAILED
# (assertions); false when prove did not get to its summary.  prove prints
#   Files=2, Tests=14, ...           assertions run, over all files
#   Result: PASS | FAIL
# and for a failing file, under "Test Summary Report":
#   t/002_x.pl (Wstat: 256 (exited 1) Tests: 7 Failed: 2)
#     Parse errors: Bad plan.  You planned 9 tests but ran 7.
# PROVE_EXPECTED_FILES is the number of test files prove was given.
parse_prove() {
  local line total="" files=0 re_files re_file re_plan
  re_files='^Files=([0-9]+), Tests=([0-9]+),'
  re_file='\(Wstat: .*Tests: ([0-9]+) Failed: ([0-9]+)\)'
  re_plan='You planned ([0-9]+) tests? but ran ([0-9]+)'
  PROVE_FAILED=0 PROVE_FAILED_RUN=0 PROVE_FILE_FAILED=-1 PROVE_FAILED_FILES=()

  while IFS= read -r line; do
    if [[ $line =~ $re_file ]]; then
      prove_close_file
      PROVE_FILE_FAILED=${BASH_REMATCH[2]}
      PROVE_FAILED_RUN=$((PROVE_FAILED_RUN + BASH_REMATCH[2]))
      PROVE_FAILED_FILES+=("${line%% *}")
    elif [[ $line =~ $re_plan ]] && [ "$PROVE_FILE_FAILED" -ge 0 ]; then
      # Planned tests that never ran count as failed.
      PROVE_FILE_FAILED=$((PROVE_FILE_FAILED + BASH_REMATCH[1] - BASH_REMATCH[2]))
    elif [[ $line =~ $re_files ]]; then
      prove_close_file
      files=${BASH_REMATCH[1]} total=${BASH_REMATCH[2]}
    fi
  done <"$1"
  prove_close_file
  [ -n "$total" ] || return 1

  PARSED_PASSED=$((total - PROVE_FAILED_RUN))
  PARSED_FAILED=$PROVE_FAILED
  # After a BAIL_OUT ("FAILED--Further testing stopped") prove skips the
  # remaining files: each counts as a failure.
  if [ "$files" -lt "$PROVE_EXPECTED_FILES" ]; then
    PARSED_FAILED=$((PARSED_FAILED + PROVE_EXPECTED_FILES - files))
  fi
}

# End of one failing file's entry in prove's report: it counts at least 1.
prove_close_file() {
  if [ "$PROVE_FILE_FAILED" -ge 0 ]; then
    [ "$PROVE_FILE_FAILED" -gt 0 ] || PROVE_FILE_FAILED=1
    PROVE_FAILED=$((PROVE_FAILED + PROVE_FILE_FAILED))
    PROVE_FILE_FAILED=-1
  fi
}

# Add a suite's outcome to the totals.  $1 suite, $2 parser, $3 what is
# counted (for the summary line).
count_suite() {
  local name=$1 parser=$2 unit=$3
  PARSED_PASSED=0 PARSED_FAILED=0
  if "$parser" "$STEP_LOG"; then
    TOTAL_PASSED=$((TOTAL_PASSED + PARSED_PASSED))
    TOTAL_FAILED=$((TOTAL_FAILED + PARSED_FAILED))
    if [ "$PARSED_FAILED" -eq 0 ] && [ "$STEP_STATUS" -ne 0 ]; then
      # Everything passed yet make failed: count that, do not hide it.
      fail_step "$name" "all $PARSED_PASSED $unit passed but make exited with $STEP_STATUS"
    elif [ "$PARSED_FAILED" -eq 0 ]; then
      note "$name" "ok: $PARSED_PASSED $unit passed"
    else
      note "$name" "FAILED: $PARSED_FAILED failed, $PARSED_PASSED passed ($unit)"
    fi
  else
    fail_step "$name" "did not run to the end (make exit status $STEP_STATUS), no result line"
  fi
  [ "$STEP_STATUS" -eq 0 ] && [ "$PARSED_FAILED" -eq 0 ]
}

# After a failed pg_regress run: the diffs, or when there are none (the
# instance did not start, say) the instance's logs.
show_failure() {
  local diffs=$1 logdir=$2
  if [ -s "$diffs" ]; then
    show_tail "$diffs" 300
  else
    show_tail "$logdir/initdb.log" 30
    show_tail "$logdir/postmaster.log" 50
  fi
}

# Parse test/ge/run_ge.py's closing line "ge: N passed, N failed, N skipped"
# from $1 into PARSED_PASSED and PARSED_FAILED; false when there is none.
parse_ge() {
  local line found=1 re='^ge: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$'
  while IFS= read -r line; do
    if [[ $line =~ $re ]]; then
      PARSED_PASSED=${BASH_REMATCH[1]} PARSED_FAILED=${BASH_REMATCH[2]} found=0
    fi
  done <"$1"
  return $found
}

# The three suites.  Each is a make invocation of its own, with the other
# two switched off, so that one failing suite does not hide the others.

want_suite() {
  [ -z "${DQ_SUITES:-}" ] || [[ " $DQ_SUITES " == *" $1 "* ]]
}

run_regress() {
  local inputs=("$WORK_DIR"/sql/[0-9]*.sql)
  want_suite regress || return 0
  if [ "${#inputs[@]}" -eq 0 ]; then
    note regress "no tests (sql/NN_*.sql), skipped"
    return 0
  fi
  run_make regress installcheck ISOLATION= TAP_TESTS= \
    ${DQ_REGRESS:+REGRESS="$DQ_REGRESS"}
  if ! count_suite regress parse_pg_regress tests; then
    show_failure "$WORK_DIR/regression.diffs" "$WORK_DIR/log"
  fi
}

run_isolation() {
  local specs=("$WORK_DIR"/test/isolation/specs/*.spec)
  want_suite isolation || return 0
  if [ "${#specs[@]}" -eq 0 ]; then
    note isolation "no specs (test/isolation/specs/*.spec), skipped"
    return 0
  fi
  run_make isolation installcheck REGRESS= TAP_TESTS=
  if ! count_suite isolation parse_pg_regress specs; then
    show_failure "$WORK_DIR/output_iso/regression.diffs" "$WORK_DIR/output_iso/log"
  fi
}

run_tap() {
  local tests=("$WORK_DIR"/test/t/*.pl) f base logs
  want_suite tap || return 0
  if [ -n "${DQ_TAP_TESTS:-}" ]; then
    # shellcheck disable=SC2206
    tests=($DQ_TAP_TESTS)
  fi
  if [ "${#tests[@]}" -eq 0 ]; then
    note tap "no tests (test/t/*.pl), skipped"
    return 0
  fi
  run_make tap installcheck REGRESS= ISOLATION= \
    ${DQ_TAP_TESTS:+PROVE_TESTS="$DQ_TAP_TESTS"}
  PROVE_FAILED_FILES=() PROVE_EXPECTED_FILES=${#tests[@]}
  if ! count_suite tap parse_prove assertions; then
    # The failing files' own logs, then the server logs of their nodes
    # (all of them when prove did not say which files failed).
    logs=()
    if [ "${#PROVE_FAILED_FILES[@]}" -eq 0 ]; then
      logs=("$WORK_DIR"/tmp_check/log/regress_log_* "$WORK_DIR"/tmp_check/log/*.log)
    fi
    for f in "${PROVE_FAILED_FILES[@]}"; do
      base=$(basename "$f" .pl)
      logs+=("$WORK_DIR/tmp_check/log/regress_log_$base" "$WORK_DIR/tmp_check/log/${base}"_*.log)
    done
    for f in "${logs[@]}"; do
      case $f in
        */regress_log_*) show_tail "$f" 80 ;;
        *) show_tail "$f" 40 ;;
      esac
    done
  fi
}

# Great Expectations' test definitions (test/ge): a runner of its own,
# which starts and stops its own instance.
run_ge() {
  want_suite ge || return 0
  STEP_LOG=$LOG_DIR/ge.log
  echo
  dq_say "ge: Great Expectations' test definitions against dq.check"
  (cd "$WORK_DIR" && dq_as_run_user env PG_CONFIG="$PG_CONFIG" \
    /usr/bin/python3 test/ge/run_ge.py) 2>&1 | tee "$STEP_LOG"
  STEP_STATUS=${PIPESTATUS[0]}
  count_suite ge parse_ge cases || true
}

# As root: copy the checkout (without .git and previous results) for the
# run user.  A copy under the temporary directory also works when the
# checkout sits in a directory other users cannot enter.
make_copy() {
  COPY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dq_lineage-test.XXXXXX") || return 1
  tar -C "$DQ_ROOT" -cf - \
    --exclude=./.git --exclude=./demo --exclude=./build \
    --exclude='./tmp_check*' --exclude=./results --exclude=./output_iso \
    --exclude=./log --exclude='./regression.*' --exclude=./bench/out . |
    tar -C "$COPY_DIR" -xf - || return 1
  chown -R "$DQ_RUN_USER": "$COPY_DIR" || return 1
  chmod 0755 "$COPY_DIR"
  dq_as_run_user test -w "$COPY_DIR" || return 1
  WORK_DIR=$COPY_DIR
}

# Bring the result files back into the checkout, where a developer looks
# for them (the copy is deleted at exit).  TAP's node data directories are
# left behind: they are large and the logs explain a failure.
copy_results_back() {
  local f
  for f in "${RESULT_FILES[@]}"; do
    rm -rf "${DQ_ROOT:?}/$f"
  done
  for f in regression.diffs regression.out results log output_iso; do
    [ -e "$COPY_DIR/$f" ] && cp -R "$COPY_DIR/$f" "$DQ_ROOT/"
  done
  if [ -d "$COPY_DIR/tmp_check/log" ]; then
    mkdir -p "$DQ_ROOT/tmp_check"
    cp -R "$COPY_DIR/tmp_check/log" "$DQ_ROOT/tmp_check/"
  fi
}

# The regression suite against the portable build (make DQ_NO_SIMD=1: no
# SSE2 paths), so that the code paths other CPUs take are tested too.  It
# runs first; the normal build is made and installed after it.
run_portable() {
  want_suite portable || return 0
  echo
  dq_say "portable: make DQ_NO_SIMD=1 (no SIMD paths), install, regress"
  remove_objects
  if ! make -C "$DQ_ROOT" --no-print-directory PG_CONFIG="$PG_CONFIG" DQ_NO_SIMD=1 \
    >"$LOG_DIR/portable-build.log" 2>&1; then
    fail_step portable "make DQ_NO_SIMD=1 failed (see $LOG_DIR/portable-build.log)"
    return 0
  fi
  if ! dq_install >"$LOG_DIR/portable-install.log" 2>&1; then
    fail_step portable "make install of the portable build failed"
    return 0
  fi
  if dq_is_root && [ -z "$COPY_DIR" ] && ! make_copy; then
    fail_step portable "could not copy the checkout for user $DQ_RUN_USER"
    return 0
  fi
  run_make portable installcheck ISOLATION= TAP_TESTS=
  if ! count_suite portable parse_pg_regress tests; then
    show_failure "$WORK_DIR/regression.diffs" "$WORK_DIR/log"
  fi
  remove_objects
}

# The objects and the library, so the next build starts afresh ("make
# clean" would also delete build/, where the logs are).
# scripts/check-structure.pl, one counted test.
run_structure() {
  want_suite structure || return 0
  echo
  dq_say "structure: scripts/check-structure.pl"
  perl "$DQ_ROOT/scripts/check-structure.pl" 2>&1 | tee "$LOG_DIR/structure.log"
  if [ "${PIPESTATUS[0]}" -eq 0 ]; then
    TOTAL_PASSED=$((TOTAL_PASSED + 1))
    note structure "ok: $(tail -n 1 "$LOG_DIR/structure.log")"
  else
    fail_step structure "$(tail -n 1 "$LOG_DIR/structure.log") (see $LOG_DIR/structure.log)"
  fi
}

remove_objects() {
  find "$DQ_ROOT/src" -name '*.o' -delete
  rm -f "$DQ_ROOT/dq_lineage.so"
}

main() {
  shopt -s nullglob

  dq_install_prereqs tests
  mkdir -p "$LOG_DIR"

  # Same collation and messages everywhere, so expected outputs match on
  # any machine (initdb of every instance takes its locale from here).
  export LC_ALL
  LC_ALL=$(dq_stable_locale)

  dq_setup_run_user ""
  run_structure
  run_portable

  echo
  dq_say "build: make"
  make -C "$DQ_ROOT" --no-print-directory PG_CONFIG="$PG_CONFIG" 2>&1 |
    tee "$LOG_DIR/build.log"
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    fail_step build "make failed (see above); suites not run"
    FINISHED=1
    return
  fi
  note build ok

  if ! dq_install 2>&1 | tee "$LOG_DIR/install.log"; then
    fail_step install "make install failed (see above); suites not run"
    FINISHED=1
    return
  fi
  note install ok

  # Citus, a test dependency of the scale-out tests (test/vendor/citus).
  if want_suite tap; then
    if dq_as_root env PG_CONFIG="$PG_CONFIG" "$DQ_ROOT/test/vendor/citus/build.sh" \
        2>&1 | tee "$LOG_DIR/citus.log"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
      note citus "ok: installed"
    else
      fail_step citus "building Citus failed (see $LOG_DIR/citus.log)"
    fi
  fi

  if dq_is_root && [ -z "$COPY_DIR" ]; then
    if ! make_copy; then
      fail_step setup "could not copy the checkout for user $DQ_RUN_USER"
      FINISHED=1
      return
    fi
    dq_say "running the suites as $DQ_RUN_USER in a copy of the checkout"
  fi

  run_regress
  run_isolation
  run_tap
  run_ge

  if [ -n "$COPY_DIR" ]; then
    copy_results_back
  fi
  FINISHED=1
}

main "$@"
