#!/usr/bin/env bash
# 0007-stress: the stress scripts of mountpoint-scripts/stress/ on one fresh v6.18 mount,
# one after the other: readers, writers, cache-churn, cpu-churn and module-churn for
# SLABFS_TEST_SECONDS (default 15) each with 4 workers, then all of them at once with 16.
# Each script checks its own invariants (no unexpected errno, locks free, sim/stats back
# to its start, counters consistent, clean dmesg, no request slower than the hung-task
# timeout) and prints its table, shown here as diagnostics. Then the mount goes, and
# nothing may be left behind. Last, `all` once more on a v5.19 mount: the era of the real
# deadlock, and of cache flags the later kernels added (no SLAB_NO_MERGE before 6.5).
# run-tests' limit for this suite: seven scripts, each bounded by SCRIPT_TIMEOUT (T + 180 s,
# T = SLABFS_TEST_SECONDS), plus the mounts and the checks.
# ktap-timeout: 7 * (T + 180) + 180
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

STRESS=$ROOT/mountpoint-scripts/stress
SECONDS_EACH=${SLABFS_TEST_SECONDS:-15}
JOBS=4
ALL_JOBS=16
# a script may take its run time plus cleanup and checks; past this it is hung
SCRIPT_TIMEOUT=$((SECONDS_EACH + 180))

# run_stress NAME JOBS: one stress script; its output becomes the point's diagnostics.
run_stress() {
  local name=$1 jobs=$2 out rc=0 desc
  desc="stress/$name -t $SECONDS_EACH -j $jobs: no unexpected errno, every invariant holds"
  out=$(TMPDIR=$STRESS_TMP timeout -k 10 "$SCRIPT_TIMEOUT" \
    "$STRESS/$name" -t "$SECONDS_EACH" -j "$jobs" "$MNT" 2>&1) || rc=$?
  if ((rc == 0)); then
    ktap_ok "$desc"
  else
    ktap_not_ok "$desc"
    ((rc != 124 && rc != 137)) || ktap_diag "killed after ${SCRIPT_TIMEOUT}s"
    ktap_diag "exit $rc"
  fi
  ktap_diag "$out"
}

nothing_left() {
  local procs
  slabfs_cmd umount "$MNT" || return 1
  if [[ -n $(slabfs_mount_type "$MNT") ]]; then
    echo "$MNT is still mounted"
    return 1
  fi
  if [[ -n $(slabfs_daemon_pids "$MNT") ]]; then
    echo "daemon still running: $(slabfs_daemon_pids "$MNT")"
    return 1
  fi
  procs=$(pgrep -af -- "$STRESS/.* $MNT" || true)
  if [[ -n $procs ]]; then
    echo "stress processes left: $procs"
    return 1
  fi
  if [[ -n $(find "$STRESS_TMP" -mindepth 1 -print -quit) ]]; then
    echo "stress scripts left files behind: $(find "$STRESS_TMP" -mindepth 1 | head -n 5)"
    return 1
  fi
}

ktap_header
ktap_plan 11

slabfs_tmpdir
STRESS_TMP=$SLABFS_DIR
if slabfs_mount_tmp --kernel v6.18; then
  ktap_ok "mount a fresh v6.18 slabfs"
else
  ktap_not_ok "mount a fresh v6.18 slabfs"
  ktap_fail_rest "no mount"
  ktap_finish
fi

for name in readers writers cache-churn cpu-churn module-churn; do
  run_stress "$name" "$JOBS"
done
run_stress all "$ALL_JOBS"
ktap_run "umount: no mount, no daemon, no stress process or temporary file left" nothing_left

if slabfs_mount_tmp --kernel v5.19; then
  ktap_ok "mount a fresh v5.19 slabfs"
  run_stress all "$ALL_JOBS"
  ktap_run "v5.19 umount: no mount, no daemon, no stress process or temporary file left" \
    nothing_left
else
  ktap_not_ok "mount a fresh v5.19 slabfs"
  ktap_fail_rest "no v5.19 mount"
fi
ktap_finish
