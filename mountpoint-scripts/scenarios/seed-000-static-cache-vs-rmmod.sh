#!/usr/bin/env bash
# Seed 000 (Al Viro's static-duration kmem_cache series, 2026): a module keeps its
# struct kmem_cache in its own data. kmem_cache_destroy() in the module's exit() unlinks
# the cache from sysfs, but the final release waits for the cache's last kobject reference,
# which may come after rmmod has freed the module's memory -- a use-after-free.
#
#   v6.18 (and v5.19, v6.1, v7)  the kernel refuses such a module: insmod fails
#   v7+static-cache              the cache pins its module's kobject: rmmod waits
#                                (D state, in mod_kobject_put) until the reference is dropped
#   v7+static-cache-unpinned     the same series without the pin: rmmod returns at once and
#                                the late release touches freed module memory (KASAN report)
#
# The late reference is held here with `kobject_get` from sim/ctl, as another subsystem
# would; with --debug-kobject-release the delayed release alone is enough.
#
# usage: seed-000-static-cache-vs-rmmod.sh MOUNTPOINT
set -euo pipefail

mnt=${1:?usage: $0 MOUNTPOINT (a slabfs mount; try --kernel v7+static-cache)}
[ -w "$mnt/sim/ctl" ] || { echo "$mnt is not a slabfs mount (no sim/ctl)" >&2; exit 1; }

ctl() { echo "$*" > "$mnt/sim/ctl"; }
# FUSE serialises writes to one file, so a command that blocks goes to a channel of its own.
ctl_on() { local ch=$1; shift; echo "$*" > "$mnt/sim/ctl.d/$ch"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
era=$(awk '$1 == "kernel" {print $2}' "$mnt/sim/variant")
delayed=$(awk '$1 == "debug_kobject_release" {print $2}' "$mnt/sim/variant")
mod="seed000_$$"
cache="${mod}_cache"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

say "kernel $era, debug_kobject_release $delayed"
case "$era" in
  v7+static-cache) echo "expect: rmmod waits until the cache's last reference is dropped, then completes" ;;
  v7+static-cache-unpinned) echo "expect: rmmod returns at once; the late release is a use-after-free (KASAN)" ;;
  *) echo "expect: insmod refused (static kmem_cache in a module needs the series)" ;;
esac
ctl dmesg_clear

say "insmod $mod static_cache=$cache:256   (struct kmem_cache $cache lives in $mod's data)"
if ! ctl "insmod $mod static_cache=$cache:256" 2>"$out"; then
  echo "insmod failed: $(cat "$out")"
  say "sim/dmesg"
  cat "$mnt/sim/dmesg"
  exit 0
fi
ls -l "$mnt/module/$mod"
echo "kernel/slab/$cache: $(stat -c %A "$mnt/kernel/slab/$cache") (a named directory: never merged)"

if [ "$delayed" != on ]; then
  say "another subsystem holds the cache's kobject:  kobject_get $cache"
  ctl "kobject_get $cache"
fi

say "rmmod $mod  (exit() -> kmem_cache_destroy -> free_module -> mod_kobject_put)"
( if ctl_on 1 "rmmod $mod"; then echo ok; fi ) >"$out" 2>&1 &
r=$!
if [ "$era" = v7+static-cache ]; then
  ctl "await_blocked 1"
  echo "rmmod is blocked in mod_kobject_put (state D): the cache still pins $mod's kobject"
  echo "  module/$mod is still there, empty: $(find "$mnt/module/$mod" -mindepth 1 | wc -l) entries"
  grep "waiting" "$mnt/sim/held_locks" || true
else
  wait "$r" || true
  echo "rmmod returned: $(cat "$out") -- module memory is freed, the cache is not released yet"
fi

if [ "$delayed" != on ]; then
  say "the other subsystem lets go:  kobject_put $cache"
  ctl "kobject_put $cache"
else
  say "waiting for the delayed release (1-4 s)"
fi
wait "$r" || true
echo "rmmod: $(cat "$out")"
if [ "$delayed" = on ] && [ "$era" = v7+static-cache-unpinned ]; then
  # Both releases are delayed 1-4 s: the use-after-free happens when the cache's delay is the
  # longer one -- a race, as in the kernel. --seed repeats a run.
  if ! ctl "await_dmesg BUG: KASAN timeout=6" 2>/dev/null; then
    echo "this time the cache was released before the module's memory was freed: no"
    echo "use-after-free. The race can go either way; mount with another --seed to see it."
  fi
fi

say "sim/dmesg"
cat "$mnt/sim/dmesg"
grep "use_after_free_reports" "$mnt/sim/stats"
