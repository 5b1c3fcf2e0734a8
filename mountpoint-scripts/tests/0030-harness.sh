#!/usr/bin/env bash
# 0030-harness: the harness ends what hangs and leaves nothing behind. fixtures/stuck.sh
# mounts and gets stuck in a FUSE request on purpose (a write parked in the model for
# good; SIGKILL does not end it): a ktap_run point past its limit must end as timed out and
# the suite go on, and run-tests must end a suite past its limit, even one whose own shell
# is stuck, and remove every mount, daemon and process of it.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

# each point runs a whole fixture suite (a mount, a limit, the cleanup) and, for run-tests,
# its shellcheck pass
KTAP_CASE_TIMEOUT=400
FIXTURE="$ROOT/mountpoint-scripts/tests/fixtures/stuck.sh"
# the fixture suites' limit in run-tests: far more than reaching the stuck write takes
SUITE_LIMIT=45

# nothing_left DIR: no slabfs mount at or below DIR, no daemon serving one, no process
# whose command line names DIR.
nothing_left() {
  local m p bad=0
  for m in $(slabfs_mounts_at "$1"); do
    echo "still mounted: $m"
    bad=1
  done
  for p in $(pgrep -f "slabfs\\.jar mount $1/" || true); do
    echo "daemon left: $(stuck_report "$p")"
    bad=1
  done
  for p in $(pgrep -f "$1/" || true); do
    [[ $p != "$BASHPID" ]] || continue
    echo "process left: $(stuck_report "$p")"
    bad=1
  done
  ((bad == 0))
}

# contains OUT TEXT: OUT has TEXT.
contains() { [[ $1 == *"$2"* ]] || { echo "no '$2' in the output"; return 1; }; }

point_ends() {
  local t out rc=0
  t=$(mktemp -d)
  out=$(STUCK_MODE=point TMPDIR=$t bash "$FIXTURE" 2>&1) || rc=$?
  echo "$out"
  ((rc == 1)) || { echo "fixture exited $rc, want 1"; return 1; }
  contains "$out" "not ok 1 - a point stuck in a FUSE request" &&
    contains "$out" "timed out after 2s" &&
    contains "$out" "ok 2 - the point after it runs, with nothing of point 1 left" &&
    nothing_left "$t" && rmdir "$t"
}

# run_fixture MODE GRACE: run-tests on the fixture; its output in OUT, its status in RC.
run_fixture() {
  local t
  t=$(mktemp -d)
  RC=0
  OUT=$(STUCK_MODE=$1 TMPDIR=$t SLABFS_SUITE_TIMEOUT=$SUITE_LIMIT SLABFS_SUITE_GRACE=$2 \
    "$ROOT/mountpoint-scripts/run-tests" --skip-maven "$FIXTURE" 2>&1) || RC=$?
  echo "$OUT"
  nothing_left "$t" || RC=99
  rmdir "$t" || RC=99
}

suite_stuck_ends() {
  run_fixture suite 5
  ((RC == 1)) || { echo "run-tests exited $RC, want 1"; return 1; }
  contains "$OUT" "FAILED: mountpoint-scripts/tests/fixtures/stuck.sh: timed out after ${SUITE_LIMIT}s"
}

suite_trap_cleans() {
  run_fixture trap 120
  ((RC == 1)) || { echo "run-tests exited $RC, want 1"; return 1; }
  contains "$OUT" "timed out after ${SUITE_LIMIT}s" &&
    contains "$OUT" "cleanup: ending point 1, still running"
}

ktap_header
ktap_plan 3
ktap_run "a point stuck in a FUSE request ends at its limit; the next point runs" point_ends
ktap_run "run-tests ends a suite whose own shell is stuck in a FUSE request; nothing left" \
  suite_stuck_ends
ktap_run "run-tests' SIGTERM runs the suite's EXIT trap: it ends the point, unmounts" \
  suite_trap_cleans
ktap_finish
