#!/usr/bin/env bash
# 0003-slabinfo: the kernel's own slabinfo tool (tools/mm/slabinfo.c, tools/vm/ in
# older trees), unmodified, run inside `slabfs shell` (the mount over /sys in a private
# mount namespace). The source comes from Debian's linux-source-6.1 package at test time and
# is built once into ${XDG_CACHE_HOME:-/var/tmp}/slabfs-slabinfo; it is never committed.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

SRC_PACKAGE=linux-source-6.1
SRC_TARBALL=/usr/src/linux-source-6.1.tar.xz
CACHE=${XDG_CACHE_HOME:-/var/tmp}/slabfs-slabinfo
SLABINFO=$CACHE/slabinfo
HOST_SLAB=/sys/kernel/slab

# ---- getting slabinfo -----------------------------------------------------------

# install_source: the kernel source tarball, from apt if it is not there yet.
install_source() {
  [[ -f $SRC_TARBALL ]] && return 0
  ((EUID == 0)) || {
    echo "$SRC_TARBALL is missing and we are not root to install $SRC_PACKAGE"
    return 1
  }
  command -v apt-get >/dev/null 2>&1 || {
    echo "$SRC_TARBALL is missing and there is no apt-get to install $SRC_PACKAGE"
    return 1
  }
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$SRC_PACKAGE" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$SRC_PACKAGE" 2>&1 | tail -n3 || true
  fi
  [[ -f $SRC_TARBALL ]] || {
    echo "apt-get install $SRC_PACKAGE did not provide $SRC_TARBALL"
    return 1
  }
}

# build_slabinfo: $SLABINFO from the tarball's tools/{mm,vm}/slabinfo.c, unless built
# already. Prints why on failure.
build_slabinfo() {
  local tmp src
  [[ -x $SLABINFO ]] && return 0
  command -v gcc >/dev/null 2>&1 || {
    echo "gcc is not installed"
    return 1
  }
  install_source || return 1
  mkdir -p "$CACHE" || return 1
  tmp=$(mktemp -d "$CACHE/build.XXXXXX") || return 1
  # tools/mm/slabinfo.c since 6.3, tools/vm/slabinfo.c before
  if ! tar -xJf "$SRC_TARBALL" -C "$tmp" --wildcards '*/tools/[mv]m/slabinfo.c' 2>&1; then
    rm -rf "$tmp"
    echo "no tools/mm/slabinfo.c or tools/vm/slabinfo.c in $SRC_TARBALL"
    return 1
  fi
  src=$(find "$tmp" -name slabinfo.c -print -quit)
  cp "$src" "$CACHE/slabinfo.c" &&
    gcc -O2 -o "$tmp/slabinfo" "$CACHE/slabinfo.c" 2>&1 &&
    mv -f "$tmp/slabinfo" "$SLABINFO"
  local rc=$?
  rm -rf "$tmp"
  return "$rc"
}

# ---- running it -----------------------------------------------------------------

# slabinfo ARGS...: run slabinfo inside `slabfs shell` (the mount over /sys in a private
# mount namespace: the bind never reaches the host's /sys); stdout and stderr as slabinfo's.
slabinfo() {
  slabfs_cmd shell "$MNT" -- "$SLABINFO" "$@"
}

# run_slabinfo OUTVAR ARGS...: slabinfo ARGS, output into OUTVAR, exit status returned.
run_slabinfo() {
  local -n _out=$1
  local rc=0
  shift
  _out=$(slabinfo "$@" 2>&1) || rc=$?
  return "$rc"
}

real_cache_dirs() {
  find "$S" -mindepth 1 -maxdepth 1 -type d | wc -l
}

# first_field FILE: the leading number of a counter file ("546 N0=546" -> 546).
first_field() {
  local v
  v=$(cat "$1") || return 1
  echo "${v%% *}"
}

# ---- checks ---------------------------------------------------------------------

check_default() {
  local out rc=0 line
  run_slabinfo out || rc=$?
  head -n3 <<<"$out"
  ((rc == 0)) || {
    echo "slabinfo exited $rc"
    return 1
  }
  line=$(grep -E '^kmalloc-64 ' <<<"$out") || {
    echo "no kmalloc-64 line"
    return 1
  }
  echo "$line"
  # Name Objects Objsize Space Slabs/Part/Cpu O/S O %Fr %Ef Flg
  [[ $(awk '{ print $3 }' <<<"$line") == 64 ]]
}

# The kmalloc-64 row of the default report against the mount's files (nothing
# allocates or frees between the two: the model has no background activity).
check_default_columns() {
  local out rc=0 line want objects slabs partial cpu_slabs
  run_slabinfo out || rc=$?
  ((rc == 0)) || {
    echo "slabinfo exited $rc"
    return 1
  }
  line=$(grep -E '^kmalloc-64 ' <<<"$out") || {
    echo "no kmalloc-64 line"
    return 1
  }
  objects=$(first_field "$S/kmalloc-64/objects") || return 1
  slabs=$(first_field "$S/kmalloc-64/slabs") || return 1
  partial=$(first_field "$S/kmalloc-64/partial") || return 1
  cpu_slabs=$(first_field "$S/kmalloc-64/cpu_slabs") || return 1
  want="$objects $(cat "$S/kmalloc-64/object_size") $((slabs - cpu_slabs))/$partial/$cpu_slabs"
  want+=" $(cat "$S/kmalloc-64/objs_per_slab") $(cat "$S/kmalloc-64/order")"
  local got
  got=$(awk '{ print $2, $3, $5, $6, $7 }' <<<"$line")
  echo "slabinfo:  $line"
  echo "Objects Objsize Slabs/Part/Cpu O/S O: slabinfo '$got', files '$want'"
  [[ $got == "$want" ]]
}

check_aliases() {
  local out rc=0 target line
  target=$(readlink "$S/UDP") || return 1
  run_slabinfo out -a || rc=$?
  ((rc == 0)) || {
    echo "slabinfo -a exited $rc"
    head -n5 <<<"$out"
    return 1
  }
  line=$(grep -E "^$target +<- " <<<"$out") || {
    echo "no line for $target (UDP -> $target)"
    head -n5 <<<"$out"
    return 1
  }
  echo "$line"
  grep -Eq "<-( [^ ]+)* UDP( |\$)" <<<"$line"
}

check_totals() {
  local out rc=0 got want
  run_slabinfo out -T || rc=$?
  head -n3 <<<"$out"
  ((rc == 0)) || {
    echo "slabinfo -T exited $rc"
    return 1
  }
  got=$(sed -nE 's/^Slabcaches : *([0-9]+) .*/\1/p' <<<"$out")
  want=$(real_cache_dirs)
  echo "Slabcaches: '$got'; real cache directories in the mount: $want"
  [[ $got == "$want" ]]
}

# report_value REPORT LABEL: the number after "LABEL:" in slabinfo -r output.
report_value() {
  sed -nE "s/.*(^| )$2 *: *([0-9]+).*/\\2/p" <<<"$1" | head -n1
}

check_report() {
  local out rc=0 d=$S/kmalloc-64 order label file want got bad=0
  run_slabinfo out -r '^kmalloc-64$' || rc=$?
  head -n12 <<<"$out"
  ((rc == 0)) || {
    echo "slabinfo -r exited $rc"
    return 1
  }
  grep -q '^Slabcache: kmalloc-64 ' <<<"$out" || {
    echo "no 'Slabcache: kmalloc-64' header"
    return 1
  }
  order=$(cat "$d/order") || return 1
  for label in Object:object_size SlabObj:slab_size Order:order Align:align Objects:objs_per_slab \
    SlabSiz:; do
    file=${label#*:}
    label=${label%%:*}
    if [[ -n $file ]]; then
      want=$(cat "$d/$file") || return 1
    else
      want=$((4096 << order))
    fi
    # "Objects" appears twice (header: the object count; Slabs column: objs per slab)
    if [[ $label == Objects ]]; then
      got=$(sed -nE 's/^Align .*Objects: *([0-9]+).*/\1/p' <<<"$out")
    else
      got=$(report_value "$out" "$label")
    fi
    echo "$label: slabinfo '$got', mount ${file:-4096<<order} '$want'"
    [[ $got == "$want" ]] || bad=1
  done
  ((bad == 0))
}

# table_rows OUTPUT: the cache names of a slabinfo table, in its order.
table_rows() {
  awk 'NR > 1 && $2 ~ /^[0-9]+$/ { print $1 }' <<<"$1"
}

# caches_with_slabs: the real cache directories whose slabs file is not 0, sorted.
caches_with_slabs() {
  local d
  for d in "$S"/*/; do
    d=${d%/}
    [[ -L $d ]] && continue
    [[ $(first_field "$d/slabs") == 0 ]] || basename "$d"
  done | LC_ALL=C sort
}

# -l is the table the default shows (show_slab); both skip caches without slabs. A
# unique-id directory is shown under one of its aliases (rename_slabs()): resolved here.
check_list() {
  local out rc=0 got want name
  run_slabinfo out -l || rc=$?
  ((rc == 0)) || {
    echo "slabinfo -l exited $rc"
    return 1
  }
  got=$(table_rows "$out" | while read -r name; do
    if [[ -L $S/$name ]]; then basename "$(readlink "$S/$name")"; else echo "$name"; fi
  done | LC_ALL=C sort)
  want=$(caches_with_slabs)
  echo "slabinfo -l: $(wc -l <<<"$got") caches; directories with slabs: $(wc -l <<<"$want")"
  [[ $got == "$want" ]] || {
    diff <(echo "$got") <(echo "$want") | head -n 6
    return 1
  }
}

# -z (skip_zero = 0) adds the caches without slabs: every real cache directory.
check_zero() {
  local out rc=0 got want
  run_slabinfo out -z || rc=$?
  ((rc == 0)) || {
    echo "slabinfo -z exited $rc"
    return 1
  }
  got=$(table_rows "$out" | wc -l)
  want=$(real_cache_dirs)
  echo "slabinfo -z: $got caches; real cache directories: $want"
  ((got == want))
}

# -S sorts by slab_size() = slabs * (page_size << order), largest first, ties by name.
check_sort_size() {
  local out rc=0 name prev=-1 size bad=0 n=0
  run_slabinfo out -S || rc=$?
  ((rc == 0)) || {
    echo "slabinfo -S exited $rc"
    return 1
  }
  while read -r name; do
    size=$(($(first_field "$S/$name/slabs") * (4096 << $(cat "$S/$name/order"))))
    if ((prev >= 0 && size > prev)); then
      echo "$name ($size bytes) after a cache of $prev bytes"
      bad=1
    fi
    prev=$size
    n=$((n + 1))
  done < <(table_rows "$out")
  echo "slabinfo -S: $n caches, slab bytes from the files never increase down the table"
  ((n > 0 && bad == 0))
}

# -D shows activity; without CONFIG_SLUB_STATS there are no alloc_/free_ files, so
# Alloc and Free are 0, and Objects is the objects file.
check_activity() {
  local out rc=0 line want
  run_slabinfo out -D || rc=$?
  ((rc == 0)) || {
    echo "slabinfo -D exited $rc"
    return 1
  }
  head -n1 <<<"$out"
  grep -Eq '^Name +Objects +Alloc +Free +%Fast +Fallb +O +CmpX +UL$' <<<"$out" || {
    echo "no -D header"
    return 1
  }
  line=$(grep -E '^kmalloc-64 ' <<<"$out") || {
    echo "no kmalloc-64 line"
    return 1
  }
  want="$(first_field "$S/kmalloc-64/objects") 0 0 $(cat "$S/kmalloc-64/order")"
  echo "$line"
  echo "Objects Alloc Free O: '$(awk '{ print $2, $3, $4, $7 }' <<<"$line")', want '$want'"
  [[ $(awk '{ print $2, $3, $4, $7 }' <<<"$line") == "$want" ]]
}

check_exit0() {
  local out rc=0
  run_slabinfo out "$@" || rc=$?
  head -n5 <<<"$out"
  echo "slabinfo $* exited $rc"
  ((rc == 0))
}

check_no_bug() {
  local bugs
  bugs=$(grep -F 'BUG:' "$MNT/sim/dmesg") || true
  [[ -z $bugs ]] || {
    head -n5 <<<"$bugs"
    return 1
  }
}

# check_host_untouched: the bind mounts stayed in their namespaces: this machine's /sys
# is still sysfs and shows no sim/ directory (what other processes do to its caches
# meanwhile is theirs, so their number is not compared).
check_host_untouched() {
  local type
  type=$(awk '$2 == "/sys" { t = $3 } END { print t }' /proc/mounts)
  echo "/sys is $type"
  [[ $type == sysfs ]] || return 1
  [[ ! -e /sys/sim ]] || {
    echo "/sys/sim exists: the slabfs mount is on this machine's /sys"
    return 1
  }
  if [[ -d $HOST_SLAB ]]; then
    type=$(stat -f -c %T "$HOST_SLAB") || return 1
    echo "$HOST_SLAB is on $type"
    [[ $type == sysfs ]]
  fi
}

check_no_daemon() {
  local pids
  pids=$(slabfs_daemon_pids "$MNT")
  [[ -z $pids ]] || {
    echo "daemon(s) left: ${pids//$'\n'/ }"
    return 1
  }
}

check_umount() {
  slabfs_cmd umount "$MNT" || return 1
  [[ -z $(slabfs_mount_type "$MNT") ]]
}

# ---- the suite ------------------------------------------------------------------

ktap_header

why=""
if ((EUID != 0)); then
  why="not root: slabfs shell needs root"
elif ! command -v unshare >/dev/null 2>&1; then
  why="unshare (util-linux) is not installed"
elif ! build_out=$(build_slabinfo 2>&1); then
  why="cannot build the kernel's slabinfo: $(tail -n1 <<<"$build_out")"
fi
[[ -z $why ]] || ktap_skip_all "$why"
ktap_plan 17
ktap_diag "slabinfo: $SLABINFO (from $CACHE/slabinfo.c)"

slabfs_mount_first
S=$MNT/kernel/slab

ktap_run "slabinfo exits 0 and lists kmalloc-64 with object size 64" check_default
ktap_run "slabinfo's kmalloc-64 Objects, Objsize, Slabs/Part/Cpu, O/S, O equal the mount's files" \
  check_default_columns
ktap_run "slabinfo -a shows UDP under its unique-id directory" check_aliases
ktap_run "slabinfo -T exits 0, Slabcaches = number of real cache directories" check_totals
ktap_run "slabinfo -r ^kmalloc-64\$: Object, SlabObj, SlabSiz, Order, Align, Objects equal the files" \
  check_report
ktap_run "slabinfo -l lists exactly the cache directories that have slabs" check_list
ktap_run "slabinfo -z lists every real cache directory, empty ones too" check_zero
ktap_run "slabinfo -S orders the caches by slabs * (4096 << order) from the files" check_sort_size
ktap_run "slabinfo -D: activity header; kmalloc-64 Objects and O from the files, no stats" \
  check_activity
ktap_run "slabinfo -s (shrink every cache) exits 0" check_exit0 -s
ktap_run "slabinfo -v (validate every cache; EINVAL on non-debug caches) exits 0" check_exit0 -v
ktap_run "after slabinfo -v, cat kmalloc-64/object_size still prints 64" \
  expect_content "$S/kmalloc-64/object_size" 64
ktap_run "sim/dmesg has no BUG: line after all slabinfo runs" check_no_bug
ktap_run "this machine's /sys is still sysfs, without the mount's sim/" check_host_untouched
ktap_run "slabfs umount returns 0 after the slabinfo runs" check_umount
ktap_run "no slabfs daemon for the mountpoint remains" check_no_daemon

ktap_finish
