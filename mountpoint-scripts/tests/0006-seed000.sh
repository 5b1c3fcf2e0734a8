#!/usr/bin/env bash
# 0006-seed000: modules and static-duration caches on a mount, era by era: refused on
# v6.18; on v7+static-cache rmmod is a blocked writer (reported by the hung-task detector)
# until the cache's last reference goes; on v7+static-cache-unpinned the late release is a
# KASAN use-after-free. Plus module files through real shells, and no leaks.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

SCENARIO="$ROOT/mountpoint-scripts/scenarios/seed-000-static-cache-vs-rmmod.sh"
STAT_KEYS=(caches kobjects kernfs_nodes active_refs open_files modules held_locks blocked_tasks)

ctl() { printf '%s' "$*" >"$MNT/sim/ctl"; }
stats_now() {
  local k v
  for k in "${STAT_KEYS[@]}"; do
    if [[ $k == open_files ]]; then v=$(slabfs_open_files "$MNT"); else v=$(slabfs_stat "$MNT" "$k"); fi
    printf '%s=%s ' "$k" "$v"
  done
}
stats_same() { local now; now=$(stats_now); [[ $now == "$1" ]] || { echo "was: $1"; echo "now: $now"; return 1; }; }
umount_clean() {
  slabfs_cmd umount "$MNT" && [[ -z $(slabfs_mount_type "$MNT") ]] && [[ -z $(slabfs_daemon_pids "$MNT") ]]
}
scenario_says() {
  if timeout 60 "$SCENARIO" "$MNT" >"$SLABFS_DIR.out" 2>&1 && grep -q -- "$1" "$SLABFS_DIR.out"; then
    return 0
  fi
  cat "$SLABFS_DIR.out"
  return 1
}

module_files() {
  ctl "insmod demo cache=demo_obj:200::demo_ctor param=level=3" &&
    expect_content "$MNT/module/demo/initstate" live &&
    expect_content "$MNT/module/demo/refcnt" 0 &&
    expect_content "$MNT/module/demo/parameters/level" 3 &&
    [[ $(stat -c '%a %s' "$MNT/module/demo/sections/.text") == "400 19" ]] &&
    [[ $(stat -c '%a' "$MNT/module/demo/uevent") == 200 ]] &&
    [[ $(cat "$MNT/kernel/slab/demo_obj/ctor") =~ ^demo_ctor\+0x[0-9a-f]+/0x[0-9a-f]+\ \[demo\]$ ]] &&
    echo 7 >"$MNT/module/demo/parameters/level" &&
    expect_content "$MNT/module/demo/parameters/level" 7 &&
    expect_error "Invalid argument" bash -c "echo x > '$MNT/module/demo/parameters/level'" &&
    expect_content "$MNT/module/demo/parameters/level" 7
}

module_errors() {
  ctl "insmod user depends=demo" &&
    [[ $(readlink "$MNT/module/demo/holders/user") == ../../user ]] &&
    expect_error "Resource temporarily unavailable" ctl "rmmod demo" &&
    ctl "module_get user" && expect_content "$MNT/module/user/refcnt" 1 &&
    expect_error "Resource temporarily unavailable" ctl "rmmod user" &&
    ctl "module_put user" && ctl "rmmod user" && ctl "rmmod demo" &&
    expect_error "No such file or directory" ctl "rmmod demo" || return 1
  # a loaded name is EEXIST (add_unformed_module); a built-in one EINVAL and "fuse: module is
  # already loaded" (mod_sysfs_init finds it in /sys/module)
  ctl "insmod user" && expect_error "File exists" ctl "insmod user" && ctl "rmmod user" &&
    expect_error "Invalid argument" ctl "insmod fuse" &&
    grep -q '] fuse: module is already loaded$' "$MNT/sim/dmesg" &&
    [[ ! -e $MNT/module/demo ]] && [[ ! -e $MNT/kernel/slab/demo_obj ]]
}

pinned_rmmod_blocks() {
  ctl "insmod st static_cache=st_cache:256" && ctl "kobject_get st_cache" || return 1
  ( printf 'rmmod st' >"$MNT/sim/ctl.d/1" ) &
  local r=$!
  if ! { ctl "await_blocked 1 timeout=20" &&
    ctl "await_dmesg INFO: task bash:$r blocked for more than timeout=20" &&
    grep -q "mod_kobject_put" "$MNT/sim/dmesg" && [[ -d $MNT/module/st ]] && kill -0 "$r"; }; then
    ctl "kobject_put st_cache"
    wait "$r"
    return 1
  fi
  ctl "kobject_put st_cache" || return 1
  wait "$r" && [[ ! -e $MNT/module/st ]] && ! grep -q KASAN "$MNT/sim/dmesg"
}

ktap_header
ktap_plan 12

if slabfs_mount_tmp --kernel v6.18; then
  BASE=$(stats_now)
  ktap_run "v6.18: module files read and write as the kernel's" module_files
  ktap_run "v6.18: holders, refcounts and the delete_module errnos" module_errors
  ktap_run "v6.18: after load/unload, sim/stats is back to its start" stats_same "$BASE"
  ktap_run "v6.18: the seed 000 module is refused at insmod" scenario_says "Exec format error"
  ktap_run "v6.18: umount leaves nothing" umount_clean
else
  ktap_fail_rest "no v6.18 mount"
  ktap_finish
fi

if slabfs_mount_tmp --kernel v7+static-cache --hung-task-timeout 1; then
  BASE=$(stats_now)
  ktap_run "v7+static-cache: rmmod blocks in mod_kobject_put, is reported, completes on kobject_put" \
    pinned_rmmod_blocks
  ktap_run "v7+static-cache: the scenario script shows rmmod waiting" \
    scenario_says "rmmod is blocked in mod_kobject_put"
  ktap_run "v7+static-cache: no use-after-free, sim/stats back to its start" \
    sh -c "grep -q '^use_after_free_reports 0$' '$MNT/sim/stats'"
  ktap_run "v7+static-cache: umount leaves nothing" umount_clean
else
  ktap_fail_rest "no v7+static-cache mount"
  ktap_finish
fi

if slabfs_mount_tmp --kernel v7+static-cache-unpinned; then
  ktap_run "v7+static-cache-unpinned: the late release is a KASAN report (vmalloc-out-of-bounds)" \
    scenario_says "BUG: KASAN: vmalloc-out-of-bounds"
  ktap_run "v7+static-cache-unpinned: the report names the module's static cache" \
    sh -c "grep -qE 'seed000_[0-9]+_cache\\+0x[0-9a-f]+/0x100 \\[seed000_[0-9]+\\]' '$MNT/sim/dmesg'"
  ktap_run "v7+static-cache-unpinned: umount leaves nothing" umount_clean
else
  ktap_fail_rest "no unpinned mount"
fi
ktap_finish
