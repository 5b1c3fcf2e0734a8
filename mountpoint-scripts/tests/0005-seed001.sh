#!/usr/bin/env bash
# 0005-seed001: the seed 001 scenario on a mount, era by era; 50 requests blocked on
# modeled locks while other files still answer; unmount with tasks deadlocked in hang mode.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

SCENARIO="$ROOT/mountpoint-scripts/scenarios/seed-001-cpu-partial-vs-destroy.sh"
BLOCKERS=50

run_scenario() { timeout 60 "$SCENARIO" "$MNT" >"$SLABFS_DIR.out" 2>&1; }
out_has() { grep -q -- "$1" "$SLABFS_DIR.out" || { echo "no '$1' in:"; cat "$SLABFS_DIR.out"; return 1; }; }
dmesg_has() { grep -Eq -- "$1" "$MNT/sim/dmesg" || { echo "no /$1/ in sim/dmesg"; return 1; }; }
dmesg_lacks() { ! grep -Eq -- "$1" "$MNT/sim/dmesg" || { grep -E -- "$1" "$MNT/sim/dmesg"; return 1; }; }
stat_is() { local v; v=$(slabfs_stat "$MNT" "$1"); [[ $v == "$2" ]] || { echo "$1 is $v, want $2"; return 1; }; }
all_free() { stat_is held_locks 0 && stat_is blocked_tasks 0 && stat_is active_refs 0; }

umount_clean() {
  slabfs_cmd umount "$MNT" && [[ -z $(slabfs_mount_type "$MNT") ]] && [[ -z $(slabfs_daemon_pids "$MNT") ]]
}

others_answer() {
  timeout 10 cat "$MNT/sim/dmesg" >/dev/null &&
    timeout 10 sh -c "echo 7 > '$MNT/kernel/slab/kmalloc-64/min_partial'" &&
    [[ $(timeout 10 cat "$MNT/kernel/slab/kmalloc-64/min_partial") == 7 ]] &&
    timeout 10 sh -c "printf 'kmem_cache_create while_blocked 64' > '$MNT/sim/ctl.d/3'" &&
    [[ -L $MNT/kernel/slab/while_blocked ]]
}

ktap_header
ktap_plan 17

# ---- v5.19: the report, the hang, the broken deadlock
if slabfs_mount_tmp --kernel v5.19 --hung-task-timeout 2; then
  ktap_ok "mount --kernel v5.19 --hung-task-timeout 2"
  ktap_run "v5.19: the scenario finishes" run_scenario
  ktap_run "v5.19: W's write fails with EDEADLK, D and H complete" \
    sh -c "grep -q 'W (cpu_partial write):.*Resource deadlock avoided' '$SLABFS_DIR.out' &&
           grep -q 'D (kmem_cache_destroy): ok' '$SLABFS_DIR.out' &&
           grep -q 'H (cpu1 offline):       ok' '$SLABFS_DIR.out'"
  ktap_run "v5.19: lockdep reports cpu_hotplug_lock --> slab_mutex --> kn->active#N" \
    dmesg_has 'cpu_hotplug_lock --> slab_mutex --> kn->active#[0-9]+'
  ktap_run "v5.19: hung-task reports, then the deadlock is broken" \
    sh -c "grep -q 'INFO: task .* blocked for more than' '$MNT/sim/dmesg' &&
           grep -q 'breaking it by failing the system call' '$MNT/sim/dmesg'"
  ktap_run "v5.19: afterwards every lock is free, no task blocked, no active reference" all_free
  ktap_run "v5.19: umount leaves nothing" umount_clean
else
  ktap_not_ok "mount --kernel v5.19"
  ktap_fail_rest "no v5.19 mount"
  ktap_finish
fi

# ---- v6.18: the same run, nothing happens
if slabfs_mount_tmp --kernel v6.18 --hung-task-timeout 2; then
  ktap_ok "mount --kernel v6.18"
  ktap_run "v6.18: the scenario finishes, all three complete" \
    sh -c "timeout 60 '$SCENARIO' '$MNT' >'$SLABFS_DIR.out' 2>&1 &&
           [ \$(grep -cE '(write|destroy|offline)\\):  *ok' '$SLABFS_DIR.out') = 3 ]"
  ktap_run "v6.18: no lockdep report, no hung task" \
    dmesg_lacks 'circular locking|INFO: task|deadlock'

  # ---- 50 requests blocked on modeled locks; everything else still answers
  ctl() { printf '%s' "$*" >"$MNT/sim/ctl"; }
  mapfile -t CACHES < <(find "$MNT/kernel/slab" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' |
    sort | head -n "$BLOCKERS")
  ctl pause shrink_store
  PIDS=()
  for c in "${CACHES[@]}"; do
    ( echo 1 >"$MNT/kernel/slab/$c/shrink" ) &
    PIDS+=($!)
  done
  ktap_run "$BLOCKERS writers of shrink park in shrink_store" ctl "await_blocked $BLOCKERS timeout=60"
  ktap_run "while they are blocked, dmesg, another cache and sim/ctl.d still answer" others_answer
  ktap_run "sim/stats counts $BLOCKERS blocked tasks" stat_is blocked_tasks "$BLOCKERS"
  ctl resume shrink_store
  # wait here, not through ktap_run: its command runs in a subshell, which has no children
  failed=0
  for pid in "${PIDS[@]}"; do wait "$pid" || failed=$((failed + 1)); done
  if ((failed == 0)); then
    ktap_ok "resumed, all $BLOCKERS writes succeed"
  else
    ktap_not_ok "resumed, all $BLOCKERS writes succeed ($failed failed)"
  fi
  ktap_run "v6.18: umount leaves nothing" umount_clean
else
  ktap_not_ok "mount --kernel v6.18"
  ktap_fail_rest "no v6.18 mount"
  ktap_finish
fi

# ---- hang mode: tasks stay deadlocked; unmount still works
if slabfs_mount_tmp --kernel v5.19 --deadlock hang --hung-task-timeout 1; then
  ktap_run "hang: the scenario leaves W, D and H deadlocked" \
    sh -c "timeout 60 '$SCENARIO' '$MNT' >'$SLABFS_DIR.out' 2>&1 &&
           printf 'await_blocked 3 timeout=30' > '$MNT/sim/ctl'"
  ktap_run "hang: umount completes and leaves no daemon behind" umount_clean
else
  ktap_fail_rest "no hang-mode mount"
fi
ktap_finish
