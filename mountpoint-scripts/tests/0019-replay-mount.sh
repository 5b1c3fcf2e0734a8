#!/usr/bin/env bash
# 0019-replay-mount: `slabfs replay SCENARIO TOKEN --mount MNT` makes real processes on a live
# mount follow the schedule the model computed for the token: seed 001's three-party deadlock
# with its lockdep report on a --kernel v5.19 mount (broken with EDEADLK by --deadlock break),
# seed 000's use-after-free on v7+static-cache-unpinned; a bad token or a mount of another era
# is refused with exit 2, and a mount that cannot follow the schedule ends it with exit 3 and
# is left usable.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

SCEN=$ROOT/mountpoint-scripts/scenarios
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"; _slabfs_cleanup' EXIT

# token FILE TITLE: the replay token printed for the finding whose title contains TITLE
token() {
  awk -v t="$2" 'index($0, "== finding") && index($0, t) {f = 1} f && /^replay: / {print $2; exit}' "$1"
}

# replay NAME ARGS...: `slabfs replay ARGS` into $OUT/NAME, its exit status into $OUT/NAME.rc
replay() {
  local name=$1 rc=0
  shift
  slabfs_cmd replay "$@" >"$OUT/$name" 2>&1 || rc=$?
  echo "$rc" >"$OUT/$name.rc"
}

# has NAME RC PATTERN...: the run exited RC and its output matches every (grep -E) PATTERN
has() {
  local name=$1 rc=$2 p
  shift 2
  grep '^slabfs' "$OUT/$name" || true
  [[ $(cat "$OUT/$name.rc") == "$rc" ]] || { echo "exit status $(cat "$OUT/$name.rc"), expected $rc"; return 1; }
  for p in "$@"; do
    grep -qE -- "$p" "$OUT/$name" || { echo "no line matches: $p"; return 1; }
  done
}

dmesg_has() { grep -Eq -- "$1" "$MNT/sim/dmesg" || { echo "no /$1/ in sim/dmesg"; return 1; }; }
stat_is() { local v; v=$(slabfs_stat "$MNT" "$1"); [[ $v == "$2" ]] || { echo "$1 is $v, want $2"; return 1; }; }
all_free() { stat_is held_locks 0 && stat_is blocked_tasks 0 && stat_is active_refs 0; }
umount_clean() {
  slabfs_cmd umount "$MNT" && [[ -z $(slabfs_mount_type "$MNT") ]] && [[ -z $(slabfs_daemon_pids "$MNT") ]]
}

stepped_aside() {
  dmesg_has "^\[ *[0-9.]+\] slabfs: replay: abandoned at step [0-9]+ of 21" &&
    timeout 30 cat "$MNT/kernel/slab/kmalloc-64/order" >/dev/null && umount_clean
}

ktap_header
ktap_plan 13

slabfs_cmd explore "$SCEN/seed-001.scenario" --kernel v5.19 >"$OUT/explore" 2>&1 || true
DEADLOCK=$(token "$OUT/explore" "deadlock: ")
LOCKDEP=$(token "$OUT/explore" "lockdep: ")
ktap_diag "deadlock token $DEADLOCK, lockdep token $LOCKDEP"

if slabfs_mount_tmp --kernel v5.19 --deadlock break --hung-task-timeout 2; then
  replay seed001 "$SCEN/seed-001.scenario" "$DEADLOCK" --kernel v5.19 --mount "$MNT"
  ktap_run "seed 001 on a v5.19 mount: the processes follow all 15 steps, exit 1" \
    has seed001 1 "^slabfs: the mount followed all 15 steps of the model's schedule" \
    "^slabfs: on the mount too: deadlock: W, H and D wait for each other" \
    "^slabfs: on the mount too: lockdep: possible circular locking dependency detected"
  ktap_run "seed 001: the three processes block as in the model (sim/held_locks at the end)" \
    has seed001 1 "^   \^ waiting in percpu_rwsem_wait for cpu_hotplug_lock \(read\)" \
    "^   \^ waiting in kernfs_drain for drain of kernel/slab/seedx/cpu_partial" \
    "^   \^ waiting in percpu_down_write for cpu_hotplug_lock \(write, waiting for readers\)" \
    "^  W +pid [0-9]+ +state [A-Z]"
  ktap_run "seed 001: the lockdep report and khungtaskd's reports are in the mount's sim/dmesg" \
    sh -c "grep -q 'WARNING: possible circular locking dependency detected' '$MNT/sim/dmesg' &&
           grep -Eq 'cpu_hotplug_lock --> slab_mutex --> kn->active#[0-9]+' '$MNT/sim/dmesg' &&
           grep -Eq 'INFO: task W:[0-9]+ blocked for more than' '$MNT/sim/dmesg'"
  ktap_run "seed 001: --deadlock break fails W's write with EDEADLK, D and H complete" \
    has seed001 1 "^slabfs: W: model blocked; mount EDEADLK" "^slabfs: D: model blocked; mount ok" \
    "^slabfs: H: model blocked; mount ok"
  ktap_run "seed 001: afterwards the scheduler is gone and every lock is free" all_free
  ktap_run "seed 001: umount leaves nothing" umount_clean
else
  ktap_fail_rest "no v5.19 mount"
  ktap_finish
fi

if slabfs_mount_tmp --kernel v7+static-cache-unpinned; then
  slabfs_cmd explore "$SCEN/seed-000.scenario" --kernel v7+static-cache-unpinned \
    >"$OUT/explore0" 2>&1 || true
  replay seed000 "$SCEN/seed-000.scenario" "$(token "$OUT/explore0" "KASAN")" --mount "$MNT"
  ktap_run "seed 000 on a v7+static-cache-unpinned mount: the use-after-free, exit 1" \
    has seed000 1 "^slabfs: the mount followed all [0-9]+ steps" \
    "^slabfs: on the mount too: BUG: KASAN: vmalloc-out-of-bounds in kobject_put"
  ktap_run "seed 000: the KASAN report is in the mount's sim/dmesg, by task P" \
    dmesg_has "Write of size 4 at addr [0-9a-f]+ by task P/[0-9]+"
  replay badtoken "$SCEN/seed-000.scenario" "v7+static-cache-unpinned:2c:ffff:1.1" --mount "$MNT"
  ktap_run "a token of another scenario is refused, exit 2" \
    has badtoken 2 "the token was made for another scenario"
  replay otherera "$SCEN/seed-001.scenario" "$DEADLOCK" --mount "$MNT"
  ktap_run "a mount of another era is refused, exit 2" \
    has otherera 2 "runs --kernel v7\+static-cache-unpinned, the token is for v5.19"
  ktap_run "seed 000: umount leaves nothing" umount_clean
else
  ktap_fail_rest "no v7+static-cache-unpinned mount"
  ktap_finish
fi

# The lockdep token has a step of kworker/0:1 that the replay must start itself; on a mount
# whose flush worker already runs, the schedule cannot be followed: exit 3, nothing wedged.
if slabfs_mount_tmp --kernel v5.19 --hung-task-timeout 2; then
  # start CPU 0's flush worker for sure: a cache with a CPU slab on CPU 0 (flush_all queues
  # work only where has_cpu_slab(); kmalloc-64 has one there or not by the mount's seed)
  slabfs_ctl "$MNT" "kmem_cache_create warm 64 ctor=warm_ctor" &&
    slabfs_ctl "$MNT" "alloc warm 1 cpu=0" &&
    echo 120 >"$MNT/kernel/slab/warm/cpu_partial"
  replay diverged "$SCEN/seed-001.scenario" "$LOCKDEP" --mount "$MNT" --step-timeout 3
  ktap_run "a mount that cannot follow the schedule: exit 3, with the step and why" \
    has diverged 3 "^slabfs: the mount did not follow the schedule: step [0-9]+ of 21 \("
  ktap_run "after it, the scheduler has stepped aside and umount works" stepped_aside
else
  ktap_fail_rest "no second v5.19 mount"
fi
ktap_finish
