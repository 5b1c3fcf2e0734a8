#!/usr/bin/env bash
# 0009-faults: a client killed while blocked in a modeled lock, the daemon killed in the
# middle of a read storm, and unmounting with requests in flight.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

ctl() { printf '%s' "$*" >"$MNT/sim/ctl"; }
stat_is() { local v; v=$(slabfs_stat "$MNT" "$1"); [[ $v == "$2" ]] || { echo "$1 is $v, want $2"; return 1; }; }
umount_clean() {
  slabfs_cmd umount "$MNT" && [[ -z $(slabfs_mount_type "$MNT") ]] && [[ -z $(slabfs_daemon_pids "$MNT") ]]
}
proc_state() { awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo gone; }

# A writer parked inside shrink_store (holding of->mutex and the active reference) is
# SIGKILLed: like any task waiting for its FUSE request it stays until the request ends
# (fs/fuse/dev.c request_wait_answer: the kill ends the interruptible wait, the request is
# already with the daemon, so it waits on uninterruptibly). ps shows it in D, or in R for a
# moment: the kill woke it and, on a loaded machine, it may not yet have run to go back to
# sleep. When the point is resumed the store completes, the process is gone and nothing is
# left held. The point is resumed on every path: a writer left parked would never end.
killed_client() {
  local w st rc=0
  ctl "pause shrink_store"
  # not on this check's output: a process stuck there would keep ktap_run from reading it
  bash -c "echo 1 > '$MNT/kernel/slab/kmalloc-64/shrink'" >/dev/null 2>&1 &
  w=$!
  if ctl "await shrink_store timeout=20"; then
    kill -9 "$w"
    st=$(proc_state "$w")
    echo "after SIGKILL the writer is in state $st (waiting for its FUSE request)"
    [[ $st == D || $st == R ]] || rc=1
    stat_is held_locks 3 || rc=1
  else
    echo "the writer did not reach shrink_store"
    rc=1
  fi
  ctl "resume shrink_store" || rc=1
  wait "$w" 2>/dev/null || true
  ((rc == 0)) && [[ $(proc_state "$w") == gone ]] && stat_is held_locks 0 &&
    stat_is blocked_tasks 0 && stat_is active_refs 0
}

# Sixteen writers parked in the model at once, far more than the FUSE workers the daemon
# starts with: every request still reaches the model (a new worker starts whenever none is
# left waiting), other requests are served while they wait, and all complete on resume.
many_parked_writers() {
  local dirs=() d pids=() p
  for d in "$MNT"/kernel/slab/kmalloc-*; do
    [[ -L $d ]] || dirs+=("$d")
  done
  ((${#dirs[@]} >= 16)) || { echo "only ${#dirs[@]} kmalloc directories"; return 1; }
  ctl "pause shrink_store"
  for d in "${dirs[@]:0:16}"; do
    bash -c "echo 1 > '$d/shrink'" >/dev/null 2>&1 &
    pids+=($!)
  done
  local rc=0
  # under timeout(1): with no worker left to read it, this request would wait forever
  if ! timeout -s KILL 40 bash -c "printf '%s' 'await_blocked 16 timeout=20' >'$MNT/sim/ctl'"; then
    echo "the 16 writers did not all reach the model"
    rc=1
  elif [[ $(cat "$MNT/kernel/slab/kmalloc-64/object_size") != 64 ]]; then
    echo "kmalloc-64/object_size not served while the writers wait"
    rc=1
  else
    stat_is blocked_tasks 16 || rc=1
  fi
  # on every path: parked writers would never end
  ctl "resume shrink_store" || rc=1
  for p in "${pids[@]}"; do
    wait "$p" || { echo "a writer failed"; rc=1; }
  done
  ((rc == 0)) && stat_is blocked_tasks 0 && stat_is held_locks 0
}

# Every symlink in the tree is relative and resolves inside the mount (or dangles): no path
# leads from the mount onto the host, and the daemon itself never follows a link.
links_stay_inside() {
  ctl "insmod conf_a" && ctl "insmod conf_b depends=conf_a" || return 1
  local link target resolved bad=0 n=0
  while IFS= read -r link; do
    n=$((n + 1))
    target=$(readlink "$link")
    resolved=$(realpath -m "$link")
    if [[ $target == /* || $resolved != "$MNT"/* ]]; then
      echo "escapes: $link -> $target ($resolved)"
      bad=$((bad + 1))
    fi
  done < <(find "$MNT" -path "$MNT/sim/proc" -prune -o -type l -print)
  # sim/proc's passthrough names point out of the mount on purpose: at the real procfs
  # that slabfs shell mounts at /run/slabfs/proc, each at its own relative path
  while IFS= read -r link; do
    # a pid's name goes with its process (find's own children among them)
    target=$(readlink "$link" 2>/dev/null) || [[ ! ${link##*/} =~ ^[0-9]+$ ]] || continue
    if [[ $target != "/run/slabfs/proc/${link#"$MNT"/sim/proc/}" ]]; then
      echo "sim/proc link $link -> $target"
      bad=$((bad + 1))
    fi
  done < <(find "$MNT/sim/proc" -type l)
  echo "$n links checked"
  ctl "rmmod conf_b" && ctl "rmmod conf_a"
  ((bad == 0 && n > 100))
}

READERS=()
start_readers() {
  local _
  for _ in 1 2 3 4; do
    ( while :; do cat "$MNT"/kernel/slab/kmalloc-*/objects >/dev/null 2>&1 || true; done ) &
    READERS+=($!)
  done
}
stop_readers() {
  local p
  for p in "${READERS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  READERS=()
}

daemon_killed_mid_storm() {
  local pid
  pid=$(slabfs_daemon_pids "$MNT")
  [[ -n $pid ]] || return 1
  start_readers
  ctl "alloc kmalloc-64 1000" # requests in flight
  kill -9 "$pid"
  stop_readers
  echo "after kill -9: $(slabfs_mount_type "$MNT") still listed; cat gives: $(head -n1 "$MNT/sim/stats" 2>&1)"
  [[ -n $(slabfs_mount_type "$MNT") ]]
}

remount_clears() {
  slabfs_cmd mount "$MNT" && [[ $(cat "$MNT/kernel/slab/kmalloc-64/object_size") == 64 ]] &&
    [[ $(grep -c " $MNT " /proc/mounts) == 1 ]]
}

umount_under_load() {
  start_readers
  local rc=0
  slabfs_cmd umount "$MNT" || rc=1
  stop_readers
  ((rc == 0)) && [[ -z $(slabfs_mount_type "$MNT") ]] && [[ -z $(slabfs_daemon_pids "$MNT") ]]
}

# umount -f aborts the FUSE connection (fuse_umount_begin) while a writer is parked in the
# model: its request can never be answered now, so the daemon fails the model's waits
# itself, its workers come back, and it exits instead of waiting on the parked task.
aborted_with_parked_writer() {
  local pid w
  slabfs_cmd mount "$MNT" >/dev/null || return 1
  pid=$(slabfs_daemon_pids "$MNT")
  ctl "pause shrink_store"
  bash -c "echo 1 > '$MNT/kernel/slab/kmalloc-64/shrink'" >/dev/null 2>&1 &
  w=$!
  if ! ctl "await shrink_store timeout=20"; then
    ctl "resume shrink_store"
    wait "$w"
    return 1
  fi
  umount -f "$MNT" 2>/dev/null || true # aborts the connection even when it cannot unmount
  if ! timeout 30 tail --pid="$pid" -f /dev/null; then
    echo "daemon $pid still running 30 s after the abort"
    return 1
  fi
  wait "$w" && { echo "the parked write succeeded"; return 1; }
  # what is left is a dead mount point, as after kill -9: the next mount clears it
  slabfs_cmd mount "$MNT" >/dev/null && slabfs_cmd umount "$MNT" >/dev/null
}

ktap_header
ktap_plan 8
if slabfs_mount_tmp --kernel v6.18; then
  ktap_run "every symlink resolves inside the mount" links_stay_inside
  ktap_run "a client SIGKILLed while blocked leaves nothing held once its request ends" killed_client
  ktap_run "16 writers blocked in the model at once: the mount still serves, all complete" \
    many_parked_writers
  ktap_run "kill -9 of the daemon during a read storm leaves a dead mount" daemon_killed_mid_storm
  ktap_run "the next mount on that directory clears it and works" remount_clears
  ktap_run "umount with readers hammering the mount completes, no daemon left" umount_under_load
  ktap_run "umount -f with a writer parked in the model: the daemon exits" \
    aborted_with_parked_writer
  ktap_run "nothing of the mount is left" sh -c "! grep -q ' $MNT ' /proc/mounts"
else
  ktap_fail_rest "no mount"
fi
ktap_finish
