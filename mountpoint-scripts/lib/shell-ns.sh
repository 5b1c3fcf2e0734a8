#!/usr/bin/env bash
# lib/shell-ns.sh MOUNTPOINT ERA REAL_PROC [CMD...]: the inside of `slabfs shell`, run by
# unshare in a new private mount namespace (see lib/shell.sh). Binds the simulated trees
# over the real ones, then runs CMD or an interactive shell whose prompt names the era.
set -euo pipefail
mnt=$1 era=$2 real_proc=$3
shift 3

mount --bind /proc "$real_proc"
mount --bind "$mnt" /sys
# only a whole procfs root (the real entries passed through, e.g. self) may replace /proc: a
# sim/proc holding just the simulated files would leave the shell without /proc/self
if [[ -L $mnt/sim/proc/self || -e $mnt/sim/proc/self ]]; then
  mount --bind "$mnt/sim/proc" /proc
fi
if [[ -e $mnt/sim/kmsg && -e /dev/kmsg ]]; then
  mount --bind "$mnt/sim/kmsg" /dev/kmsg
fi
export SLABFS_SHELL_ERA=$era SLABFS_SHELL_MOUNT=$mnt
if (($#)); then
  exec "$@"
fi

rc=$(mktemp)
{
  echo '[[ -f ~/.bashrc ]] && source ~/.bashrc'
  printf 'PS1=%q\n' "(slabfs $era) \\u@\\h:\\w\\\$ "
  printf 'rm -f -- %q\n' "$rc"
} >"$rc"
echo "slabfs: a shell in the simulated kernel $era: /sys is $mnt; /proc and /dev/kmsg are its own where it models them. exit leaves it." >&2
exec bash --rcfile "$rc" -i
