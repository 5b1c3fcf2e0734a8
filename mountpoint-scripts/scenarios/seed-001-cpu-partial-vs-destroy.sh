#!/usr/bin/env bash
# Seed 001 (commit 0495e337b703, "mm/slab_common: Deleting kobject in kmem_cache_destroy()
# without holding slab_mutex/cpu_hotplug_lock"): three tasks on one cache.
#
#   W  writes kernel/slab/X/cpu_partial  -> cpu_partial_store -> flush_all -> cpus_read_lock
#   D  kmem_cache_destroy(X)             -> holds cpus_read_lock + slab_mutex (5.19) and
#                                           drains X's sysfs directory, i.e. waits for W
#   H  echo 0 > cpu1/online              -> cpus_write_lock: waits for D's read hold, and
#                                           from then on new readers (W) wait for H
#
# On v5.19 the drain runs under both locks, so lockdep reports the circular dependency
# cpu_hotplug_lock --> slab_mutex --> kn->active#N, and D -> W -> H -> D really deadlock
# (the hung-task detector reports it; with --deadlock break W's write fails with EDEADLK).
# From v6.1 on, D drops both locks before draining: no report, no hang.
#
# The interleaving is a narrow race in the kernel; here it is set up on purpose with the
# wait point cpu_partial_store (sim/ctl pause/await/resume), so it happens every time.
#
# usage: seed-001-cpu-partial-vs-destroy.sh MOUNTPOINT
set -euo pipefail

mnt=${1:?usage: $0 MOUNTPOINT (a slabfs mount; try --kernel v5.19 --hung-task-timeout 3)}
[ -w "$mnt/sim/ctl" ] || { echo "$mnt is not a slabfs mount (no sim/ctl)" >&2; exit 1; }

ctl() { echo "$*" > "$mnt/sim/ctl"; }
# FUSE serialises writes to one file, so a command that blocks goes to a channel of its own.
ctl_on() { local ch=$1; shift; echo "$*" > "$mnt/sim/ctl.d/$ch"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
variant() { awk -v k="$1" '$1==k {print $2}' "$mnt/sim/variant"; }

era=$(variant kernel)
mode=$(variant deadlock)
timeout=$(variant hung_task_timeout)
cache="seed001_$$"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# 7.x: the cpu_partial store takes no lock any more; shrink still goes through flush_all.
attr=cpu_partial value=120
case "$era" in v7*) attr=shrink value=1 ;; esac

say "kernel $era, --deadlock $mode, --hung-task-timeout $timeout"
case "$era" in
  v5.19) echo "expect: the lockdep circular-dependency report, then a real deadlock of W, D and H" ;;
  *)     echo "expect: no report, no hang: D drops cpu_hotplug_lock and slab_mutex before draining" ;;
esac
ctl dmesg_clear
ctl lockdep_reset
# a constructor keeps the cache unmergeable (its own directory) in every era: SLAB_NO_MERGE
# exists only from 6.5, so v5.19 and v6.1 refuse it
ctl "kmem_cache_create $cache 192 ctor=${cache}_ctor"
ctl "alloc $cache 100 cpu=0"
ctl "free $cache 100 cpu=0"

say "W: echo $value > kernel/slab/$cache/$attr  (parks in ${attr}_store with its active reference)"
ctl pause "${attr}_store"
( if echo "$value" > "$mnt/kernel/slab/$cache/$attr"; then echo ok; fi ) > "$out/W" 2>&1 &
w=$!
ctl await "${attr}_store"

say "D: kmem_cache_destroy $cache  (drains the directory: waits for W)"
( if ctl_on 1 "kmem_cache_destroy $cache"; then echo ok; fi ) > "$out/D" 2>&1 &
d=$!
ctl await_blocked 2

say "H: echo 0 > devices/system/cpu/cpu1/online  (cpus_write_lock)"
( if echo 0 > "$mnt/devices/system/cpu/cpu1/online"; then echo ok; fi ) > "$out/H" 2>&1 &
h=$!
if ctl "await_blocked 3 timeout=1" 2>/dev/null; then
  echo "H is blocked: it waits for D's read hold of cpu_hotplug_lock, and now blocks new readers"
else
  echo "H went through: D no longer held cpu_hotplug_lock while draining"
fi

say "W goes on: flush_all -> cpus_read_lock"
ctl resume "${attr}_store"

if [ "$era" = v5.19 ] && [ "$mode" = hang ]; then
  say "--deadlock hang: W, D and H stay blocked, as in the kernel. Look at:"
  echo "  cat $mnt/sim/held_locks      (who holds what, who waits)"
  echo "  cat $mnt/sim/dmesg           (the lockdep report; the hung-task report after ${timeout}s)"
  echo "  unmount to end it"
  trap - EXIT
  exit 0
fi
if [ "$era" = v5.19 ]; then
  echo "(waiting for the hung-task detector: about ${timeout}s)"
fi
wait "$w" "$d" "$h" || true
say "results"
printf '  W (%s write):  %s\n' "$attr" "$(tr '\n' ' ' < "$out/W")"
printf '  D (kmem_cache_destroy): %s\n' "$(tr '\n' ' ' < "$out/D")"
printf '  H (cpu1 offline):       %s\n' "$(tr '\n' ' ' < "$out/H")"
echo 1 > "$mnt/devices/system/cpu/cpu1/online"

say "sim/dmesg"
cat "$mnt/sim/dmesg"
if grep -q 'possible circular locking dependency' "$mnt/sim/dmesg"; then
  say "the dependency graph: cat $mnt/sim/lockdep.dot | dot -Tsvg > lockdep.svg (the cycle in red)"
fi
