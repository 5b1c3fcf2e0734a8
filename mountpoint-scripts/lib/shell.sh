# shellcheck shell=bash
# lib/shell.sh: `slabfs shell MOUNTPOINT [-- CMD...]`, sourced by the launcher.
#
# CMD (default: an interactive shell) runs in a private mount namespace where the mount is
# stacked over /sys, its sim/proc over /proc (after the real procfs is bound at
# SLABFS_REAL_PROC, where sim/proc's passthrough symlinks point) and its sim/kmsg over
# /dev/kmsg. The namespace ends with CMD: nothing of it is left behind.

# The real procfs inside a shell. The daemon's sim/proc symlinks point under it.
SLABFS_REAL_PROC=/run/slabfs/proc

shell_cmd() {
  local mnt era
  [[ $# -ge 1 ]] || die "shell: usage: slabfs shell MOUNTPOINT [-- COMMAND ARGS...]"
  [[ $EUID == 0 ]] || die "shell: must be run as root (it makes a private mount namespace)"
  mnt=$(readlink -e -- "$1" 2>/dev/null) || die "shell: $1: no such directory"
  shift
  if [[ ${1:-} == -- ]]; then
    shift
  elif [[ $# -gt 0 ]]; then
    die "shell: unexpected '$1' (put the command after --)"
  fi
  [[ $(findmnt -n -o FSTYPE --mountpoint "$mnt" 2>/dev/null) == fuse.slabfs ]] ||
    die "shell: $mnt is not a slabfs mount (mount one with: slabfs mount $mnt)"
  era=$(awk '$1 == "kernel" { print $2; exit }' "$mnt/sim/variant" 2>/dev/null) || true
  [[ -n $era ]] || die "shell: $mnt/sim/variant names no kernel era; is its daemon alive?"
  mkdir -p "$SLABFS_REAL_PROC"
  exec unshare --mount --propagation private -- \
    bash "$ROOT/mountpoint-scripts/lib/shell-ns.sh" "$mnt" "$era" "$SLABFS_REAL_PROC" "$@"
}
