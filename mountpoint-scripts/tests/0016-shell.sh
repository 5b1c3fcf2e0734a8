#!/usr/bin/env bash
# 0016-shell: `slabfs shell MOUNTPOINT [-- CMD...]`. Inside, /sys is the mount (stacked
# over the real sysfs, which the mount table still lists), the prompt names the era, a
# command's exit status comes back; outside, nothing of the namespace is left. It refuses
# a non-root caller and a directory that is not a slabfs mount with one line and exit 1.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

# in_shell CMD...: CMD inside `slabfs shell $MNT`.
in_shell() {
  slabfs_cmd shell "$MNT" -- "$@"
}

check_sys_is_the_mount() {
  local got want
  got=$(in_shell sh -c 'head -n1 /sys/sim/variant; cat /sys/kernel/slab/kmalloc-64/objects') ||
    return 1
  want="kernel v6.18"$'\n'$(cat "$MNT/kernel/slab/kmalloc-64/objects")
  echo "inside: ${got//$'\n'/ | }"
  [[ $got == "$want" ]]
}

# The simulated tree is stacked: the mount table inside lists the real sysfs at /sys under
# the slabfs mount, as the kernel selftests' "is sysfs mounted" checks look for it.
check_stacked() {
  local out
  # shellcheck disable=SC2016 # awk's fields
  out=$(in_shell awk '$2 == "/sys" { print $3 }' /proc/self/mounts) || return 1
  echo "mounts at /sys inside: ${out//$'\n'/, }"
  [[ $(head -n1 <<<"$out") == sysfs && $(tail -n1 <<<"$out") == fuse.slabfs ]]
}

check_exit_status() {
  local rc=0
  in_shell sh -c 'exit 7' || rc=$?
  echo "exit status of 'sh -c \"exit 7\"' through the shell: $rc"
  ((rc == 7))
}

# An interactive shell (stdin not a terminal: bash -i still prompts, on stderr).
check_prompt() {
  local err rc=0
  err=$(echo 'cat /sys/kernel/slab/kmalloc-64/object_size >&2; exit 0' |
    slabfs_cmd shell "$MNT" 2>&1 >/dev/null) || rc=$?
  echo "$err" | tail -n 3
  ((rc == 0)) && grep -q '^(slabfs v6.18) ' <<<"$err" && grep -qx 64 <<<"$err"
}

# After the shell: this namespace's /sys is still only the real sysfs, and no process of
# the shell is left.
check_nothing_left() {
  local n
  n=$(awk '$5 == "/sys"' /proc/self/mountinfo | wc -l)
  echo "mounts at /sys here: $n ($(awk '$5 == "/sys" { print $9 }' /proc/self/mountinfo))"
  [[ $n == 1 && $(awk '$5 == "/sys" { print $9 }' /proc/self/mountinfo) == sysfs ]] || return 1
  [[ ! -e /sys/sim ]] || {
    echo "/sys/sim exists here"
    return 1
  }
  # (only this suite's shells: other mounts may have shells of their own meanwhile)
  if pgrep -f "lib/shell-ns\\.sh $MNT " >/dev/null; then
    echo "a shell-ns.sh process of $MNT is still running"
    return 1
  fi
}

check_refuses_non_root() {
  local out rc=0
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$SLABFS" shell "$MNT" -- true 2>&1) ||
    rc=$?
  echo "as uid 65534: exit $rc: $out"
  ((rc == 1)) && [[ $(wc -l <<<"$out") == 1 && $out == *"must be run as root"* ]]
}

check_refuses_other_dir() {
  local out rc=0
  out=$(slabfs_cmd shell "$SLABFS_DIR_PLAIN" -- true 2>&1) || rc=$?
  echo "on a plain directory: exit $rc: $out"
  ((rc == 1)) && [[ $(wc -l <<<"$out") == 1 && $out == *"is not a slabfs mount"* ]]
}

ktap_header
if ((EUID != 0)); then
  ktap_skip_all "not root: slabfs shell needs root"
fi
ktap_plan 9
slabfs_mount_first
slabfs_tmpdir
SLABFS_DIR_PLAIN=$SLABFS_DIR
MNT_ONLY=$MNT

ktap_run "inside, /sys is the mount: sim/variant and kmalloc-64/objects as the mount has them" \
  check_sys_is_the_mount
ktap_run "inside, the mount is stacked over the real sysfs at /sys" check_stacked
ktap_run "the command's exit status comes back (7)" check_exit_status
ktap_run "an interactive shell prompts '(slabfs v6.18) ' and reads /sys from the mount" check_prompt
ktap_run "afterwards, /sys here is the real sysfs alone and no shell process is left" \
  check_nothing_left
ktap_run "refused for a non-root caller: one line, exit 1" check_refuses_non_root
ktap_run "refused for a directory that is not a slabfs mount: one line, exit 1" \
  check_refuses_other_dir
MNT=$MNT_ONLY
ktap_run "slabfs umount returns 0 after the shells" slabfs_cmd umount "$MNT"
ktap_finish
