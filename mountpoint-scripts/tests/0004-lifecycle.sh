#!/usr/bin/env bash
# 0004-lifecycle: writable attributes, cache create/merge/destroy, removed files under
# open descriptors, delayed releases, leaks and permissions, all through real shell
# commands (printf, cat, readlink, exec N<, setpriv) on a mount.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

# Counters that move by themselves (flush_all on a cpu_partial store, shrink): left
# out when a failed write must leave "every value unchanged".
LIVE_COUNTERS=" objects slabs partial cpu_slabs slabs_cpu_partial objects_partial total_objects "
STAT_KEYS=(caches kobjects kernfs_nodes active_refs open_files)
LEAK_CYCLES=50
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# ---- helpers --------------------------------------------------------------------

ctl() { slabfs_ctl "$MNT" "$@"; }
stat_of() { slabfs_stat "$MNT" "$1"; }

stats_line() {
  local k v line=""
  for k in "${STAT_KEYS[@]}"; do
    if [[ $k == open_files ]]; then v=$(slabfs_open_files "$MNT"); else v=$(stat_of "$k"); fi ||
      return 1
    line+="$k=$v "
  done
  echo "${line% }"
}

# snapshot DIR: "name: content" of every readable file of a cache directory except
# the live counters; fails if the directory cannot be listed or a file cannot be read.
snapshot() {
  local f name value n=0
  for f in "$1"/*; do
    name=${f##*/}
    [[ -f $f ]] || {
      echo "snapshot: cannot list $1" >&2
      return 1
    }
    [[ $LIVE_COUNTERS == *" $name "* || ! -r $f ]] && continue
    value=$(cat "$f") || return 1
    printf '%s: %s\n' "$name" "$value"
    n=$((n + 1))
  done
  ((n >= 20)) || {
    echo "snapshot: only $n files in $1" >&2
    return 1
  }
}

# write_value FILE VALUE: printf '%b' VALUE > FILE as one write(2) of the bytes (escapes
# such as \n expanded); the error, if any, on stdout. coreutils' printf, not bash's: the
# builtin's stdout is line-buffered, so it would write "5\n\n" as "5\n" then "\n".
write_value() {
  { env printf '%b' "$2" >"$1"; } 2>&1
}

# expect_store_ok FILE VALUE WANT: the write succeeds and FILE then reads WANT. FILE is
# set to 9 first, so the write must change it.
expect_store_ok() {
  local file=$1 value=$2 want=$3 out
  out=$(write_value "$file" 9) || {
    echo "setting up with 9 failed: $out"
    return 1
  }
  out=$(write_value "$file" "$value") || {
    echo "write failed: $out"
    return 1
  }
  expect_content "$file" "$want"
}

# expect_store_noop FILE VALUE: the write succeeds and the directory is unchanged.
expect_store_noop() {
  local file=$1 before after out
  before=$(snapshot "${file%/*}") || return 1
  out=$(write_value "$file" "$2") || {
    echo "write failed: $out"
    return 1
  }
  after=$(snapshot "${file%/*}") || return 1
  diff <(echo "$before") <(echo "$after")
}

# expect_store_fails FILE VALUE MESSAGE: the write fails with MESSAGE and every
# non-counter file of the directory reads as before.
expect_store_fails() {
  local file=$1 msg=$3 before after out rc=0
  before=$(snapshot "${file%/*}") || return 1
  out=$(write_value "$file" "$2") || rc=$?
  echo "exit $rc: $out"
  ((rc != 0)) || {
    echo "the write succeeded; now reads '$(cat "$file")'"
    return 1
  }
  [[ $out == *"write error: $msg"* ]] || {
    echo "expected 'write error: $msg'"
    return 1
  }
  after=$(snapshot "${file%/*}") || return 1
  diff <(echo "$before") <(echo "$after")
}

restore_originals() {
  local f
  for f in "${FIELD_FILES[@]}"; do
    printf '%s\n' "${ORIGINAL[$f]}" >"$K/$f" || return 1
    expect_content "$K/$f" "${ORIGINAL[$f]}" || return 1
  done
}

is_dir_not_link() { [[ -d $1 && ! -L $1 ]]; }

# ---- no leak --------------------------------------------------------------------

check_leak_cycles() {
  local i name objects bad=0
  for ((i = 1; i <= LEAK_CYCLES; i++)); do
    name=lifecycle-leak-$i
    ctl kmem_cache_create "$name" $((64 + 8 * i)) flags=SLAB_NO_MERGE || return 1
    is_dir_not_link "$S/$name" || {
      echo "$name: no directory"
      return 1
    }
    ctl alloc "$name" $((3 * i)) cpu=0 || return 1
    ctl alloc "$name" 5 cpu=1 || return 1
    objects=$(cat "$S/$name/objects") || return 1
    [[ ${objects%% *} -ge $((3 * i + 5)) ]] || {
      echo "$name: objects '$objects' after allocating $((3 * i + 5))"
      bad=1
    }
    ctl free "$name" 5 cpu=0 || return 1
    ctl free "$name" $((3 * i)) cpu=1 || return 1
    ctl kmem_cache_destroy "$name" || return 1
    [[ ! -e $S/$name ]] || {
      echo "$name: still there after destroy"
      bad=1
    }
  done
  if grep -F 'kmem_cache_destroy lifecycle-leak-' "$MNT/sim/dmesg"; then
    echo "a cache still had objects although everything was freed"
    bad=1
  fi
  ((bad == 0))
}

check_stats_back() {
  local now
  now=$(stats_line) || return 1
  echo "start: $STATS_START"
  echo "now:   $now"
  [[ $now == "$STATS_START" ]]
}

# ---- create, merge, destroy -----------------------------------------------------

check_create_t1() {
  local target
  ctl kmem_cache_create t1 100 || return 1
  [[ -L $S/t1 ]] || {
    echo "t1 is not a symlink"
    return 1
  }
  target=$(readlink "$S/t1") || return 1
  echo "t1 -> $target (aliases $(cat "$S/$target/aliases"))"
  [[ $target =~ ^:([A-Za-z]+-)?[0-9]{7}$ ]] && is_dir_not_link "$S/$target"
}

check_merge_t2() {
  local target before after
  target=$(readlink "$S/t1") || return 1
  before=$(cat "$S/$target/aliases") || return 1
  ctl kmem_cache_create t2 100 || return 1
  after=$(cat "$S/$target/aliases") || return 1
  echo "t2 -> $(readlink "$S/t2"); $target/aliases $before -> $after"
  [[ $(readlink "$S/t2") == "$target" ]] && ((after == before + 1))
}

check_no_merge_t3() {
  ctl kmem_cache_create t3 100 flags=SLAB_NO_MERGE || return 1
  is_dir_not_link "$S/t3" || {
    echo "t3 is not a real directory: $(ls -ld "$S/t3" 2>&1)"
    return 1
  }
  expect_content "$S/t3/object_size" 100 && expect_content "$S/t3/aliases" 0
}

check_destroy_alias_t2() {
  local target before after
  target=$(readlink "$S/t2") || return 1
  before=$(cat "$S/$target/aliases") || return 1
  ctl kmem_cache_destroy t2 || return 1
  after=$(cat "$S/$target/aliases") || return 1
  echo "after destroy: t2 -> $(readlink "$S/t2" 2>&1); $target/aliases $before -> $after"
  [[ -L $S/t2 && $(readlink "$S/t2") == "$target" ]] && ((after == before - 1)) &&
    is_dir_not_link "$S/$target"
}

check_fresh_unique_id() {
  [[ ! -e $S/:A-0003000 ]] || {
    echo ":A-0003000 exists before the test"
    return 1
  }
  ctl kmem_cache_create u1 3000 flags=SLAB_ACCOUNT || return 1
  echo "u1 -> $(readlink "$S/u1")"
  [[ $(readlink "$S/u1") == :A-0003000 ]] && is_dir_not_link "$S/:A-0003000" &&
    expect_content "$S/u1/aliases" 0 && expect_content "$S/u1/object_size" 3000
}

check_destroy_last_user() {
  ctl kmem_cache_destroy u1 || return 1
  [[ ! -e $S/:A-0003000 ]] || {
    echo ":A-0003000 still exists"
    return 1
  }
  expect_error "No such file or directory" ls -d "$S/:A-0003000"
}

check_dangling_link() {
  local target
  [[ -L $S/u1 ]] || {
    echo "u1 symlink is gone"
    return 1
  }
  target=$(readlink "$S/u1") || return 1
  echo "u1 -> $target"
  [[ $target == :A-0003000 ]] && expect_error "No such file or directory" cat "$S/u1/object_size"
}

check_cleanup_t1_t3() {
  local target before after
  target=$(readlink "$S/t1") || return 1
  before=$(cat "$S/$target/aliases") || return 1
  ctl kmem_cache_destroy t1 && ctl kmem_cache_destroy t3 || return 1
  after=$(cat "$S/$target/aliases") || return 1
  echo "$target/aliases $before -> $after; t3: $(ls -d "$S/t3" 2>&1)"
  ((after == before - 1)) && [[ ! -e $S/t3 ]]
}

# ---- an open descriptor across a destroy ----------------------------------------

# hold_open DIR: fd 7 reads DIR/object_size, fd 8 writes DIR/min_partial (main shell).
hold_open() {
  exec 7<"$1/object_size" 8>"$1/min_partial"
}

# read_fd7 / write_fd8: cat <&7 and echo 1 >&8, on the descriptors opened by hold_open.
read_fd7() { cat <&7; }
write_fd8() { echo 1 >&8; }

check_read_fd7() {
  local got
  got=$(read_fd7) || return 1
  echo "cat <&7: '$got'"
  [[ $got == "$1" ]]
}

check_held_destroy() {
  ctl kmem_cache_destroy h1 || return 1
  expect_error "No such file or directory" ls -d "$S/h1"
}

close_held() { exec 7<&- 8>&-; }

check_open_files_back() {
  local now
  now=$(slabfs_open_files "$MNT") || return 1
  echo "open_files: before $OPEN_BEFORE, now $now"
  ((now == OPEN_BEFORE))
}

# ---- delayed release, destroy with objects, errors ------------------------------

check_destroy_held_kobject() {
  local released before after
  released=$(stat_of caches_released) || return 1
  ctl kobject_get k1 || return 1
  ctl kmem_cache_destroy k1 || return 1
  after=$(stat_of caches_released) || return 1
  echo "caches_released $released -> $after; $(ls -d "$S/k1" 2>&1)"
  [[ ! -e $S/k1 ]] && ((after == released))
}

check_kobject_put() {
  local before=$1 after
  [[ $before =~ ^[0-9]+$ ]] || {
    echo "no caches_released value before the destroy"
    return 1
  }
  ctl kobject_put k1 || return 1
  after=$(stat_of caches_released) || return 1
  echo "caches_released $before -> $after"
  ((after == before + 1))
}

check_destroy_with_objects() {
  local objects
  ctl alloc l1 10 || return 1
  objects=$(cat "$S/l1/objects") || return 1
  echo "l1/objects: $objects"
  ctl kmem_cache_destroy l1 || return 1
  grep -F 'kmem_cache_destroy l1: Slab cache still has objects' "$MNT/sim/dmesg" || {
    echo "no 'kmem_cache_destroy l1: Slab cache still has objects' in sim/dmesg"
    return 1
  }
  expect_error "No such file or directory" ls -d "$S/l1"
}

check_unknown_command() {
  expect_error "Invalid argument" ctl no_such_command 1 || return 1
  grep -F "slabfs: ctl: 'no_such_command 1'" "$MNT/sim/dmesg"
}

check_no_bug() {
  local bugs
  bugs=$(grep -F 'BUG:' "$1/sim/dmesg") || true
  [[ -z $bugs ]] || {
    head -n5 <<<"$bugs"
    return 1
  }
}

# ---- permissions ----------------------------------------------------------------

check_nobody_ls() {
  local out n
  out=$("${NOBODY[@]}" ls "$1/kernel/slab") || return 1
  n=$(wc -l <<<"$out")
  echo "$n entries"
  ((n > 0))
}

# nobody_reads FILE WANT: uid 65534 reads exactly WANT from FILE.
nobody_reads() {
  local got
  got=$("${NOBODY[@]}" cat "$1") || return 1
  [[ $got == "$2" ]] || {
    echo "$1: expected '$2', got '$got'"
    return 1
  }
}

check_nobody_ctl() {
  # shellcheck disable=SC2016 # $1 is for the inner sh
  expect_error "Permission denied" "${NOBODY[@]}" sh -c \
    'printf "kmem_cache_create nobody-cache 64 flags=SLAB_NO_MERGE" > "$1"' sh "$MNT2/sim/ctl" ||
    return 1
  [[ ! -e $MNT2/kernel/slab/nobody-cache ]]
}

check_umount() {
  slabfs_cmd umount "$1" || return 1
  [[ -z $(slabfs_mount_type "$1") && -z $(slabfs_daemon_pids "$1") ]]
}

# ---- the suite ------------------------------------------------------------------

FIELD_FILES=(min_partial cpu_partial remote_node_defrag_ratio)
EINVAL_INPUTS=(' 5' '5 ' '-1' '0x10' '5\n\n' 'abc')

ktap_header
ktap_plan 77

slabfs_mount_first
S=$MNT/kernel/slab
K=$S/kmalloc-64

# -- no leak (first, so the baseline is the fresh mount)
STATS_START=$(stats_line)
ktap_diag "sim/stats at start: $STATS_START"
ktap_run "$LEAK_CYCLES x kmem_cache_create (SLAB_NO_MERGE), alloc, free all, destroy" check_leak_cycles
ktap_run "sim/stats caches, kobjects, kernfs_nodes, active_refs, open_files back at the start values" \
  check_stats_back

# -- writable attributes of kmalloc-64
declare -A ORIGINAL
for f in "${FIELD_FILES[@]}"; do
  ORIGINAL[$f]=$(cat "$K/$f")
done
ktap_diag "kmalloc-64 before: min_partial ${ORIGINAL[min_partial]}, cpu_partial ${ORIGINAL[cpu_partial]}, remote_node_defrag_ratio ${ORIGINAL[remote_node_defrag_ratio]}"
for f in "${FIELD_FILES[@]}"; do
  for v in '5' '5\n' '+5'; do
    ktap_run "printf '$v' > kmalloc-64/$f: ok, reads 5" expect_store_ok "$K/$f" "$v" 5
  done
  ktap_run "printf '007' > kmalloc-64/$f: ok, reads 7" expect_store_ok "$K/$f" 007 7
  ktap_run "printf '' > kmalloc-64/$f (no write): ok, nothing changes" expect_store_noop "$K/$f" ''
  for v in "${EINVAL_INPUTS[@]}"; do
    ktap_run "printf '$v' > kmalloc-64/$f: Invalid argument, nothing changes" \
      expect_store_fails "$K/$f" "$v" "Invalid argument"
  done
  if [[ $f == min_partial ]]; then
    ktap_run "printf '4294967296' > kmalloc-64/min_partial (unsigned long): ok" \
      expect_store_ok "$K/$f" 4294967296 4294967296
  else
    ktap_run "printf '4294967296' > kmalloc-64/$f (unsigned int): Numerical result out of range, nothing changes" \
      expect_store_fails "$K/$f" 4294967296 "Numerical result out of range"
  fi
done
ktap_run "printf '18446744073709551616' > kmalloc-64/min_partial: Numerical result out of range, nothing changes" \
  expect_store_fails "$K/min_partial" 18446744073709551616 "Numerical result out of range"
ktap_run "printf '101' > kmalloc-64/remote_node_defrag_ratio: Numerical result out of range, nothing changes" \
  expect_store_fails "$K/remote_node_defrag_ratio" 101 "Numerical result out of range"
ktap_run "writing back the original min_partial, cpu_partial, remote_node_defrag_ratio" \
  restore_originals
ktap_run "printf '1' > kmalloc-64/shrink: ok" write_value "$K/shrink" 1
ktap_run "printf '1' > kmalloc-64/validate (not a debug cache): Invalid argument" \
  expect_store_fails "$K/validate" 1 "Invalid argument"

# -- create, merge, destroy
ktap_run "kmem_cache_create t1 100: t1 is a symlink to a unique-id directory" check_create_t1
ktap_run "kmem_cache_create t2 100 merges with t1: same target, aliases + 1" check_merge_t2
ktap_run "kmem_cache_create t3 100 flags=SLAB_NO_MERGE: t3 is a real directory" check_no_merge_t3
ktap_run "kmem_cache_destroy t2 (an alias): t2's symlink stays, aliases - 1" check_destroy_alias_t2
ktap_run "kmem_cache_create u1 3000 flags=SLAB_ACCOUNT: u1 -> new :A-0003000, aliases 0" \
  check_fresh_unique_id
ktap_run "kmem_cache_destroy u1 (last user): :A-0003000 is removed" check_destroy_last_user
ktap_run "u1 dangles: readlink prints :A-0003000, cat u1/object_size: No such file or directory" \
  check_dangling_link
ktap_run "kmem_cache_destroy t1 and t3: aliases - 1, t3 removed" check_cleanup_t1_t3

# -- an open descriptor across a destroy
OPEN_BEFORE=$(slabfs_open_files "$MNT")
if ctl kmem_cache_create h1 200 flags=SLAB_NO_MERGE && hold_open "$S/h1"; then
  ktap_ok "kmem_cache_create h1 200; exec 7< h1/object_size 8> h1/min_partial"
else
  ktap_not_ok "kmem_cache_create h1 200; exec 7< h1/object_size 8> h1/min_partial"
fi
# this first read consumes everything; the next read, after the destroy, must fail
ktap_run "cat <&7 before the destroy prints 200" check_read_fd7 200
ktap_run "kmem_cache_destroy h1 while fds 7 and 8 are open: h1 is gone" check_held_destroy
ktap_run "cat <&7 after the destroy: No such device" expect_error "No such device" read_fd7
ktap_run "echo 1 >&8 after the destroy: write error: No such device" \
  expect_error "write error: No such device" write_fd8
# closing must happen in this shell, not in ktap_run's subshell
if close_held; then
  ktap_run "closing fds 7 and 8 works; sim/stats open_files back to its value before" \
    check_open_files_back
else
  ktap_not_ok "closing fds 7 and 8 works; sim/stats open_files back to its value before"
fi

# -- sim/stats counts a file closed just before it as released, as sysfs does (close(2)
# on FUSE returns before the RELEASE reaches slabfs; the read of sim/stats waits for it)
check_release_before_stats() {
  local i v base text k
  base=$(slabfs_open_files "$MNT") || return 1
  for ((i = 0; i < 300; i++)); do
    if ((i % 2)); then
      read -r _ <"$S/kmalloc-64/object_size" # opened and closed by this shell
    else
      cat "$S/kmalloc-64/object_size" >/dev/null # closed as cat exits
    fi
    text=$(<"$MNT/sim/stats") || return 1
    v=
    while read -r k v; do [[ $k == open_files ]] && break; done <<<"$text"
    if [[ $v != "$base" ]]; then
      echo "after $i open+read+close cycles, one read of sim/stats counted $v open files, not $base"
      return 1
    fi
  done
}
ktap_run "300 times: open, read, close, then one read of sim/stats: open_files as before" \
  check_release_before_stats

# -- a held kobject delays the release
ctl kmem_cache_create k1 200 flags=SLAB_NO_MERGE || ktap_diag "kmem_cache_create k1 failed"
KOBJ_RELEASED=$(stat_of caches_released || echo unknown)
ktap_run "kobject_get k1; kmem_cache_destroy k1: directory gone, caches_released unchanged" \
  check_destroy_held_kobject
ktap_run "kobject_put k1: caches_released + 1" check_kobject_put "$KOBJ_RELEASED"

# -- destroy with live objects (6.18: warn, unlink anyway, leak)
ctl kmem_cache_create l1 200 flags=SLAB_NO_MERGE || ktap_diag "kmem_cache_create l1 failed"
ktap_run "alloc l1 10; kmem_cache_destroy l1: 'Slab cache still has objects' in sim/dmesg, l1 gone" \
  check_destroy_with_objects

# -- sim/ctl errors
ktap_run "sim/ctl unknown command: Invalid argument and a 'slabfs: ctl:' line in sim/dmesg" \
  check_unknown_command
ktap_run "sim/ctl kmem_cache_destroy no-such-cache: No such file or directory" \
  expect_error "No such file or directory" ctl kmem_cache_destroy no-such-cache
ktap_run "sim/ctl kmem_cache_destroy kmalloc-64: Operation not permitted" \
  expect_error "Operation not permitted" ctl kmem_cache_destroy kmalloc-64
ktap_run "sim/dmesg has no BUG: line" check_no_bug "$MNT"

# -- permissions, on a second mount with --allow-other
ktap_run "without --allow-other, uid 65534 gets Permission denied listing kernel/slab" \
  expect_error "Permission denied" "${NOBODY[@]}" ls "$S"
MNT1=$MNT
if slabfs_mount_tmp --allow-other; then
  MNT2=$MNT
  MNT=$MNT1
  ktap_ok "a second mount with --allow-other"
  ktap_run "uid 65534: ls kernel/slab works" check_nobody_ls "$MNT2"
  ktap_run "uid 65534: cat kmalloc-64/objects (0400): Permission denied" \
    expect_error "Permission denied" "${NOBODY[@]}" cat "$MNT2/kernel/slab/kmalloc-64/objects"
  ktap_run "uid 65534: cat kmalloc-64/cpu_partial (0600): Permission denied" \
    expect_error "Permission denied" "${NOBODY[@]}" cat "$MNT2/kernel/slab/kmalloc-64/cpu_partial"
  ktap_run "uid 65534: writing sim/ctl (0200): Permission denied, nothing created" check_nobody_ctl
  ktap_run "uid 65534: module/slab_common/parameters/rcu_min_cached_objs (0444) reads 5" \
    nobody_reads "$MNT2/module/slab_common/parameters/rcu_min_cached_objs" 5
  ktap_run "uid 65534: devices/system/cpu/online (0444) reads 0-1" \
    nobody_reads "$MNT2/devices/system/cpu/online" 0-1
  ktap_run "umount of the --allow-other mount" check_umount "$MNT2"
else
  MNT=$MNT1
  ktap_not_ok "a second mount with --allow-other"
  for _ in 1 2 3 4 5 6 7; do
    ktap_not_ok "not run: the --allow-other mount failed"
  done
fi

ktap_run "sim/dmesg of the first mount still has no BUG: line" check_no_bug "$MNT"
ktap_run "umount of the first mount" check_umount "$MNT"

ktap_finish
