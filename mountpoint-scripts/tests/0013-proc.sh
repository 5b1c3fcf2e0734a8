#!/usr/bin/env bash
# 0013-proc: the simulated /proc, sim/proc/, through a real mount with real cat and echo.
# Its listing (the simulated files, and every other name of the real /proc as a symlink to
# /run/slabfs/proc/...), procfs's modes; slabinfo's rows against the sysfs files of the same
# caches; modules as root and as nobody and with kptr_restrict 2; the sysctls: valid writes,
# garbage with the kernel's errno and the value unchanged, nobody refused; a hung-task
# report that stops with hung_task_timeout_secs 0 and comes back with 1; stat's cpu lines
# for the online CPUs; the lockdep files as sim/lockdep*.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

ktap_header
ktap_plan 14

if slabfs_mount_tmp --hung-task-timeout 1 --allow-other; then
  ktap_ok "mount --hung-task-timeout 1 --allow-other"
else
  ktap_not_ok "mount --hung-task-timeout 1 --allow-other"
  ktap_fail_rest "mount failed"
  ktap_finish
fi
P=$MNT/sim/proc
K=$P/sys/kernel
OPEN_BEFORE=$(slabfs_open_files "$MNT") # the reader of sim/stats counts itself
ctl() { slabfs_ctl "$MNT" "$@"; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }

# read_file FILE: FILE's content into TEXT (read builtin: one open, reads to EOF).
TEXT=""
read_file() {
  TEXT=""
  IFS= read -r -d '' TEXT <"$1" || true
}

# write_msg FILE TEXT: echo TEXT > FILE (one write(2)); prints the error message, if any.
write_msg() {
  local err
  err=$({ echo "$2" >"$1"; } 2>&1) && return 0
  echo "${err##*: }"
}

check_listing() {
  local name names list bad=0
  list=$(find "$P/" -mindepth 1 -maxdepth 1 -printf '%f\n')
  names=" $(tr '\n' ' ' <<<"$list") "
  for name in slabinfo modules lockdep lockdep_chains lockdep_stats stat sys; do
    [[ $names == *" $name "* ]] || {
      echo "sim/proc lacks $name"
      bad=1
    }
  done
  # every name of the real /proc now (pids aside: they come and go) is listed
  for name in /proc/*; do
    name=${name#/proc/}
    [[ $name =~ ^[0-9]+$ || $names == *" $name "* ]] || {
      echo "sim/proc lacks the real /proc's $name"
      bad=1
    }
  done
  [[ $names == *" $$ "* ]] || {
    echo "sim/proc lacks this shell's pid $$"
    bad=1
  }
  [[ $(sort <<<"$list" | uniq -d) == "" ]] || {
    echo "duplicate names: $(sort <<<"$list" | uniq -d)"
    bad=1
  }
  [[ -f $P/slabinfo && ! -L $P/slabinfo && -f $P/stat && ! -L $P/stat && -d $P/sys && ! -L $P/sys ]] || {
    echo "slabinfo, stat (shadowing the real ones) and sys are not ours"
    bad=1
  }
  for name in self meminfo "$$" sys/vm sys/kernel/hostname; do
    [[ -L $P/$name && $(readlink "$P/$name") == "/run/slabfs/proc/$name" ]] || {
      echo "$P/$name: not a link to /run/slabfs/proc/$name ($(readlink "$P/$name" || true))"
      bad=1
    }
  done
  [[ -f $K/tainted && ! -L $K/tainted ]] || {
    echo "sys/kernel/tainted is not ours"
    bad=1
  }
  return "$bad"
}

check_modes() {
  local got want
  got=$(cd "$P" && stat -c '%n %a' . slabinfo modules lockdep lockdep_chains lockdep_stats stat sys \
    sys/kernel sys/kernel/hung_task_timeout_secs sys/kernel/hung_task_warnings \
    sys/kernel/hung_task_check_interval_secs sys/kernel/tainted sys/kernel/kptr_restrict)
  want=". 555
slabinfo 400
modules 444
lockdep 400
lockdep_chains 400
lockdep_stats 400
stat 444
sys 555
sys/kernel 555
sys/kernel/hung_task_timeout_secs 644
sys/kernel/hung_task_warnings 644
sys/kernel/hung_task_check_interval_secs 644
sys/kernel/tainted 644
sys/kernel/kptr_restrict 644"
  [[ $got == "$want" ]] || {
    diff <(echo "$want") <(echo "$got")
    return 1
  }
}

# first FILE: the first word of FILE (a sysfs counter without its N0= parts).
first() {
  local v
  read -r v _ <"$1"
  echo "$v"
}

check_slabinfo() {
  local line name active num size per pages slabs rows=0 bad=0 d order
  ctl kmem_cache_create proc_suite 200 ctor=proc_ctor || return 1
  ctl alloc proc_suite 1000 || return 1
  ctl free proc_suite 300 || return 1
  mapfile -t LINES <"$P/slabinfo"
  [[ ${LINES[0]} == "slabinfo - version: 2.1" ]] || {
    echo "line 1: ${LINES[0]}"
    return 1
  }
  [[ ${LINES[1]} == "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>" ]] || {
    echo "line 2: ${LINES[1]}"
    return 1
  }
  [[ ${LINES[2]} == "proc_suite "* && ${LINES[-1]} == "kmem_cache "* ]] || {
    echo "not newest first, kmem_cache last: ${LINES[2]} ... ${LINES[-1]}"
    return 1
  }
  for line in "${LINES[@]:2}"; do
    rows=$((rows + 1))
    read -r name active num size per pages _ _ _ _ _ _ _ slabs _ _ <<<"$line"
    if [[ ! $line =~ ^[^\ ]+\ +[0-9]+\ +[0-9]+\ +[0-9]+\ +[0-9]+\ +[0-9]+\ :\ tunables\ +0\ +0\ +0\ :\ slabdata\ +[0-9]+\ +[0-9]+\ +0$ ]]; then
      echo "malformed: $line"
      bad=$((bad + 1))
      continue
    fi
    d=$MNT/kernel/slab/$name
    order=$(first "$d/order")
    if [[ $active != "$(first "$d/objects")" || $num != "$(first "$d/total_objects")" ||
      $size != "$(first "$d/slab_size")" || $per != "$(first "$d/objs_per_slab")" ||
      $pages != $((1 << order)) || $slabs != "$(first "$d/slabs")" ]]; then
      echo "$name: '$line' but sysfs: objects $(first "$d/objects") total_objects" \
        "$(first "$d/total_objects") slab_size $(first "$d/slab_size") objs_per_slab" \
        "$(first "$d/objs_per_slab") order $order slabs $(first "$d/slabs")"
      bad=$((bad + 1))
    fi
  done
  [[ $rows == "$(slabfs_stat "$MNT" caches)" ]] || {
    echo "$rows rows, sim/stats caches $(slabfs_stat "$MNT" caches)"
    bad=$((bad + 1))
  }
  ((bad == 0))
}

check_modules() {
  local root nobody
  ctl insmod proc_base || return 1
  ctl insmod proc_user depends=proc_base || return 1
  read_file "$P/modules"
  root=$TEXT
  local want='^proc_user [0-9]+ 0 - Live 0xffffffff[0-9a-f]{8} \(O\)
proc_base [0-9]+ 1 proc_user, Live 0xffffffff[0-9a-f]{8} \(O\)
$'
  [[ $root =~ $want ]] || {
    echo "as root: $root"
    return 1
  }
  nobody=$(as_nobody cat "$P/modules") || return 1
  [[ $nobody == "$(sed -E 's/0x[0-9a-f]{16}/0x0000000000000000/' <<<"$root")" && $nobody != "${root%$'\n'}" ]] || {
    echo "as nobody: $nobody"
    return 1
  }
  echo 2 >"$K/kptr_restrict"
  read_file "$P/modules"
  [[ $TEXT == *"proc_base "*" Live 0x0000000000000000 (O)"* ]] || {
    echo "root with kptr_restrict 2: $TEXT"
    return 1
  }
  [[ $(cat "$MNT/module/proc_base/sections/.text") == 0x0000000000000000 ]] || return 1
  echo 0 >"$K/kptr_restrict"
  [[ $(cat "$P/modules") == "${root%$'\n'}" ]] || return 1
  ctl rmmod proc_user && ctl rmmod proc_base
}

# sysctl_case FILE INPUT WANT_MSG WANT_VALUE: echo INPUT > FILE says WANT_MSG (empty for
# success), then FILE reads WANT_VALUE.
sysctl_case() {
  local msg
  msg=$(write_msg "$1" "$2")
  [[ $msg == "$3" ]] || {
    echo "echo '$2' > ${1##*/}: '$msg', expected '$3'"
    return 1
  }
  read_file "$1"
  [[ $TEXT == "$4"$'\n' ]] || {
    echo "${1##*/} after '$2': '$TEXT', expected '$4'"
    return 1
  }
}

check_sysctls() {
  local f=$K/hung_task_timeout_secs bad=0 msg
  sysctl_case "$f" 5 "" 5 || bad=1
  sysctl_case "$f" " 0x1e " "" 30 || bad=1
  sysctl_case "$f" abc "Invalid argument" 30 || bad=1
  sysctl_case "$f" -1 "Invalid argument" 30 || bad=1
  sysctl_case "$f" 5x "Invalid argument" 30 || bad=1
  sysctl_case "$f" 36893488147419104 "Invalid argument" 30 || bad=1
  sysctl_case "$f" 1 "" 1 || bad=1
  grep -qx 'hung_task_timeout 1' "$MNT/sim/variant" || {
    echo "sim/variant: $(grep hung_task "$MNT/sim/variant")"
    bad=1
  }
  f=$K/hung_task_warnings
  sysctl_case "$f" -2 "Invalid argument" 10 || bad=1
  sysctl_case "$f" 2147483648 "Invalid argument" 10 || bad=1
  sysctl_case "$f" -1 "" -1 || bad=1
  sysctl_case "$f" 10 "" 10 || bad=1
  f=$K/hung_task_check_interval_secs
  sysctl_case "$f" 2 "" 2 || bad=1
  sysctl_case "$f" 1.5 "Invalid argument" 2 || bad=1
  sysctl_case "$f" 0 "" 0 || bad=1
  f=$K/kptr_restrict
  sysctl_case "$f" 3 "Invalid argument" 0 || bad=1
  sysctl_case "$f" 1 "" 1 || bad=1
  sysctl_case "$f" 0 "" 0 || bad=1
  f=$K/tainted
  read_file "$f"
  local t=${TEXT%$'\n'}
  sysctl_case "$f" W "Invalid argument" "$t" || bad=1
  sysctl_case "$f" 512 "" $((t | 512)) || bad=1
  sysctl_case "$f" 0 "" $((t | 512)) || bad=1
  for f in hung_task_timeout_secs tainted kptr_restrict; do
    msg=$(as_nobody sh -c "echo 1 > '$K/$f'" 2>&1) && {
      echo "nobody wrote $f"
      bad=1
    }
    [[ $msg == *"Permission denied"* ]] || {
      echo "nobody writing $f: '$msg'"
      bad=1
    }
    as_nobody cat "$K/$f" >/dev/null || bad=1
  done
  return "$bad"
}

# check_hung_stops: a writer parked at shrink_store is reported every second; with
# hung_task_timeout_secs 0 no report comes (await_dmesg times out), with 1 again they do.
check_hung_stops() {
  local pid rc=0 msg
  ctl pause shrink_store || return 1
  (echo 1 >"$MNT/kernel/slab/kmalloc-64/shrink") &
  pid=$!
  ctl await shrink_store timeout=30 || rc=1
  ((rc == 0)) && { ctl "await_dmesg blocked for more than timeout=30" || rc=1; }
  if ((rc == 0)); then
    echo 0 >"$K/hung_task_timeout_secs"
    ctl dmesg_clear
    msg=$({ printf '%s' "await_dmesg blocked for more than timeout=4" >"$MNT/sim/ctl"; } 2>&1) && {
      echo "a hung-task report came with hung_task_timeout_secs 0: $(grep -a 'blocked for' "$MNT/sim/dmesg")"
      rc=1
    }
    [[ $rc != 0 || $msg == *"Connection timed out"* ]] || {
      echo "await_dmesg: '$msg'"
      rc=1
    }
    echo 1 >"$K/hung_task_timeout_secs"
    ctl "await_dmesg blocked for more than timeout=30" || {
      echo "no report after hung_task_timeout_secs 1 again"
      rc=1
    }
  fi
  ctl resume shrink_store
  wait "$pid" || rc=1
  return "$rc"
}

check_stat() {
  local text total cpu0 cpu1 t2 idle
  text=$(cat "$P/stat")
  [[ $(grep -c '^cpu' <<<"$text") == 3 ]] || {
    echo "$text"
    return 1
  }
  read -r _ _ _ _ total _ < <(grep '^cpu ' <<<"$text")
  read -r _ _ _ _ cpu0 _ < <(grep '^cpu0 ' <<<"$text")
  read -r _ _ _ _ cpu1 _ < <(grep '^cpu1 ' <<<"$text")
  ((total == cpu0 + cpu1 || total == cpu0 + cpu1 + 1)) || {
    echo "cpu idle $total, cpu0 $cpu0 + cpu1 $cpu1"
    return 1
  }
  if ! grep -qE '^intr 0( 0)+$' <<<"$text" || ! grep -qE '^ctxt [0-9]+$' <<<"$text" ||
    ! grep -qE '^btime [0-9]+$' <<<"$text" || ! grep -qE '^procs_running [1-9][0-9]*$' <<<"$text" ||
    ! grep -qE '^softirq 0( 0){10}$' <<<"$text"; then
    echo "$text"
    return 1
  fi
  echo 0 >"$MNT/devices/system/cpu/cpu1/online"
  text=$(cat "$P/stat")
  echo 1 >"$MNT/devices/system/cpu/cpu1/online"
  if [[ $(grep -c '^cpu' <<<"$text") != 2 ]] || grep -q '^cpu1 ' <<<"$text"; then
    echo "with cpu1 offline: $text"
    return 1
  fi
  read -r _ _ _ _ t2 _ < <(grep '^cpu ' <<<"$text")
  read -r _ _ _ _ idle _ < <(grep '^cpu0 ' <<<"$text")
  ((t2 >= total && idle >= cpu0)) || {
    echo "idle went back: cpu $total -> $t2, cpu0 $cpu0 -> $idle"
    return 1
  }
}

check_lockdep_views() {
  local f
  for f in lockdep lockdep_chains lockdep_stats; do
    # both readers once, so that their own lock classes and chains are known
    cat "$P/$f" "$MNT/sim/$f" >/dev/null
  done
  for f in lockdep_stats lockdep_chains; do
    [[ $(cat "$P/$f") == "$(cat "$MNT/sim/$f")" ]] || {
      diff <(cat "$MNT/sim/$f") <(cat "$P/$f") | head
      return 1
    }
  done
  grep -A3 -E ': &p->lock$' "$P/lockdep" | grep -q -- '-> \[[0-9a-f]*\] slab_mutex$' || {
    echo "no &p->lock -> slab_mutex dependency in sim/proc/lockdep"
    return 1
  }
}

check_readonly() {
  [[ $(write_msg "$P/slabinfo" 1) == "Input/output error" ]] || return 1
  [[ $(write_msg "$P/stat" 1) == "Input/output error" ]] || return 1
  [[ $(as_nobody cat "$P/slabinfo" 2>&1) == *"Permission denied"* ]]
}

check_quiet() {
  local k
  for k in held_locks blocked_tasks active_refs; do
    [[ $(slabfs_stat "$MNT" "$k") == 0 ]] || {
      echo "$k $(slabfs_stat "$MNT" "$k")"
      return 1
    }
  done
}

ktap_run "sim/proc lists its files and every name of the real /proc as links to /run/slabfs/proc" check_listing
ktap_run "sim/proc has procfs's modes" check_modes
ktap_run "slabinfo: header, one row per cache, newest first, counters as the sysfs files" check_slabinfo
ktap_run "modules: root sees addresses, nobody and kptr_restrict 2 see 0x0000000000000000" check_modules
ktap_run "sysctls: valid writes, garbage EINVAL and unchanged, nobody refused" check_sysctls
ktap_run "hung-task reports stop with hung_task_timeout_secs 0 and resume with 1" check_hung_stops
ktap_run "stat: cpu, cpu0, cpu1 (not while offline), idle time grows" check_stat
ktap_run "lockdep files as sim/lockdep*; a slabinfo reader takes slab_mutex under &p->lock" check_lockdep_views
ktap_run "slabinfo and stat refuse writes with EIO, nobody cannot read slabinfo" check_readonly
ktap_run "sim/stats: no held lock, blocked task or active reference" check_quiet
check_no_open_files() {
  local n
  n=$(slabfs_open_files "$MNT") || return 1
  [[ $n == "$OPEN_BEFORE" ]] || {
    echo "open_files $n, $OPEN_BEFORE after the mount"
    return 1
  }
}
check_gone() { [[ -z $(slabfs_mount_type "$MNT") && -z $(slabfs_daemon_pids "$MNT") ]]; }

ktap_run "sim/stats open_files as after the mount" check_no_open_files
ktap_run "slabfs umount returns 0" slabfs_cmd umount "$MNT"
ktap_run "the mount and its daemon are gone" check_gone
ktap_finish
