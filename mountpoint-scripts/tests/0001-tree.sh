#!/usr/bin/env bash
# 0001-tree: a fresh default mount looks like the real 6.18 /sys, read with real
# cat, stat, ls, readlink and find.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

# The kmalloc-64 directory of the real 6.18 kernel the default boot set was modeled on
# (6.18.44, captured as root): name, octal mode, st_size. The default mount is compared
# with this alone; this machine's /sys only with a --boot host mount.
REFERENCE_KMALLOC_64="aliases 400 4096
align 400 4096
cache_dma 400 4096
cpu_partial 600 4096
cpu_slabs 400 4096
ctor 400 4096
destroy_by_rcu 400 4096
hwcache_align 400 4096
min_partial 600 4096
object_size 400 4096
objects 400 4096
objects_partial 400 4096
objs_per_slab 400 4096
order 400 4096
partial 400 4096
poison 400 4096
reclaim_account 400 4096
red_zone 400 4096
remote_node_defrag_ratio 600 4096
sanity_checks 400 4096
sheaf_capacity 400 4096
shrink 600 4096
slab_size 400 4096
slabs 400 4096
slabs_cpu_partial 400 4096
store_user 400 4096
total_objects 400 4096
trace 400 4096
usersize 400 4096
validate 600 4096"

COUNTER_FILES=(objects objects_partial slabs partial total_objects cpu_slabs)

listing() { (cd "$1" && stat -c '%n %a %s' -- *) | sort; }

check_proc_mounts() {
  local type
  type=$(slabfs_mount_type "$MNT")
  grep slabfs /proc/mounts
  [[ $type == fuse.slabfs ]] || {
    echo "type of $MNT in /proc/mounts: '${type:-not mounted}'"
    return 1
  }
}

# check_attr_table: the default boot set against the built-in reference it was modeled
# on, never against this machine (its kernel build may differ from the reference).
check_attr_table() {
  local want got
  want=$(sort <<<"$REFERENCE_KMALLOC_64")
  got=$(listing "$MNT/kernel/slab/kmalloc-64") || return 1
  [[ $(wc -l <<<"$want") -eq 30 ]] || {
    echo "reference does not have 30 files"
    return 1
  }
  diff <(echo "$want") <(echo "$got") || return 1
  # readdir agrees with the glob (no hidden extras, regular files only)
  [[ $(find "$MNT/kernel/slab/kmalloc-64" -mindepth 1 | wc -l) -eq 30 ]] || return 1
  [[ -z $(find "$MNT/kernel/slab/kmalloc-64" -mindepth 1 ! -type f) ]]
}

# host_boot_skip_reason: why this machine cannot be compared with a --boot host mount
# (nothing when it can).
host_boot_skip_reason() {
  local host=/sys/kernel/slab/kmalloc-64
  if [[ ! -d $host ]]; then
    echo "this machine has no $host (no SLUB sysfs)"
  elif [[ $(uname -r) != 6.18.* ]]; then
    echo "this machine runs $(uname -r): its attribute files are not 6.18's, the era mounted"
  fi
}

# check_host_attr_table DIR: the --boot host mount at DIR against this machine's own
# /sys/kernel/slab/kmalloc-64 (names, modes, sizes); then unmounts DIR.
check_host_attr_table() {
  local want got rc=0
  want=$(listing /sys/kernel/slab/kmalloc-64) || return 1
  got=$(listing "$1/kernel/slab/kmalloc-64") || return 1
  diff <(echo "$want") <(echo "$got") || rc=1
  slabfs_cmd umount "$1" || rc=1
  return "$rc"
}

# check_host_ls_f DIR: `ls -f` (getdents order: kernfs_name_hash, then name) of
# kernel/slab/kmalloc-64, kernel/slab and module/kvm/parameters on the --boot host mount at
# DIR against this machine's /sys, over the names both have (caches come and go here).
check_host_ls_f() {
  local rel want got rc=0 n
  for rel in kernel/slab/kmalloc-64 kernel/slab module/kvm/parameters; do
    [[ -d /sys/$rel ]] || continue
    # shellcheck disable=SC2010 # the order ls -f prints is what is compared
    want=$(ls -f "/sys/$rel" | grep -vx '\.\|\.\.') || return 1
    # shellcheck disable=SC2010 # as above
    got=$(ls -f "$1/$rel" | grep -vx '\.\|\.\.') || return 1
    want=$(grep -Fxf <(echo "$got") <<<"$want") || true
    got=$(grep -Fxf <(echo "$want") <<<"$got") || true
    n=$(grep -c . <<<"$want") || true
    echo "ls -f $rel: $n names in common"
    if ((n < 2)) || [[ $want != "$got" ]]; then
      diff <(echo "$want") <(echo "$got") | head -n 6
      rc=1
    fi
  done
  return "$rc"
}

# check_host_topology DIR: the mount's cpu0/topology against this machine's (names, modes,
# sizes), and cpu0's links as this machine's point.
check_host_topology() {
  local want got link rc=0
  [[ -d /sys/devices/system/cpu/cpu0/topology ]] || {
    echo "this machine has no /sys/devices/system/cpu/cpu0/topology"
    return 4
  }
  want=$(listing /sys/devices/system/cpu/cpu0/topology) || return 1
  got=$(listing "$1/devices/system/cpu/cpu0/topology") || return 1
  diff <(echo "$want") <(echo "$got") || rc=1
  for link in subsystem node0; do
    [[ $(readlink "$1/devices/system/cpu/cpu0/$link") == "$(readlink "/sys/devices/system/cpu/cpu0/$link")" ]] || {
      echo "cpu0/$link -> $(readlink "$1/devices/system/cpu/cpu0/$link"), here -> $(readlink "/sys/devices/system/cpu/cpu0/$link")"
      rc=1
    }
  done
  return "$rc"
}

check_read_all() {
  local n
  n=$(find "$MNT/kernel/slab" -type f | wc -l)
  echo "$n regular files"
  ((n > 0)) || return 1
  find "$MNT/kernel/slab" -type f -exec cat {} + >/dev/null
}

# check_format REGEX FILE_NAME...: every real cache's FILE_NAME is one line matching REGEX.
# One awk per name reads all the files (a fork per file takes minutes on a loaded machine).
check_format() {
  local re=$1 name f bad=0 n=0 out
  local -a files
  shift
  for name in "$@"; do
    files=()
    for f in "$MNT"/kernel/slab/*/"$name"; do
      [[ -L ${f%/*} ]] && continue
      files+=("$f")
    done
    n=$((n + ${#files[@]}))
    ((${#files[@]})) || continue
    # lines[] counts each file's lines; a file never seen read empty
    out=$(awk -v re="^($re)\$" -v mnt="$MNT/" '
      { lines[FILENAME]++; text[FILENAME] = $0 }
      END {
        for (i = 1; i < ARGC; i++) {
          f = ARGV[i]
          if (lines[f] != 1 || text[f] !~ re) {
            shown = f
            sub(mnt, "", shown)
            print shown ": " lines[f] + 0 " lines, last \047" text[f] "\047"
          }
        }
      }' "${files[@]}") || return 1
    if [[ -n $out ]]; then
      echo "$out"
      bad=$((bad + $(wc -l <<<"$out")))
    fi
  done
  echo "$n files checked, $bad bad"
  ((n > 0 && bad == 0))
}

check_empty_files() {
  local f size bad=0
  for f in ctor shrink validate; do
    # read through cat: wc -c alone may trust st_size (4096)
    # shellcheck disable=SC2002
    size=$(cat "$MNT/kernel/slab/kmalloc-64/$f" | wc -c) || {
      bad=1
      continue
    }
    if ((size != 0)); then
      echo "$f: $size bytes"
      bad=1
    fi
  done
  ((bad == 0))
}

check_symlinks() {
  local l target bad=0 links
  mapfile -t links < <(find "$MNT/kernel/slab" -mindepth 1 -maxdepth 1 -type l | sort)
  echo "${#links[@]} symlinks"
  ((${#links[@]} > 0)) || return 1
  for l in "${links[@]}"; do
    target=$(readlink "$l")
    if [[ ! $target =~ ^:([A-Za-z]+-)?[0-9]+$ || ! -d $MNT/kernel/slab/$target || -L $MNT/kernel/slab/$target ]]; then
      echo "${l##*/} -> $target"
      bad=1
    fi
  done
  ((bad == 0))
}

check_aliases_through_link() {
  local out LINK
  LINK=$(find "$MNT/kernel/slab" -mindepth 1 -maxdepth 1 -type l | sort | head -n1)
  [[ -n $LINK ]] || return 1
  out=$(cat "$LINK/aliases") || return 1
  echo "${LINK##*/}/aliases: $out"
  [[ $out =~ ^[0-9]+$ ]]
}

# A write through an alias symlink is a write to the unique-id directory's file.
check_write_through_link() {
  local target
  target=$(readlink "$MNT/kernel/slab/UDP") || return 1
  echo 9 >"$MNT/kernel/slab/UDP/min_partial" || return 1
  [[ $(cat "$MNT/kernel/slab/$target/min_partial") == 9 ]] || {
    echo "$target/min_partial is $(cat "$MNT/kernel/slab/$target/min_partial"), want 9"
    return 1
  }
}

check_write_order() {
  ((EUID == 0)) || {
    echo "not root"
    return 4
  }
  # shellcheck disable=SC2016 # $1 is for the inner sh
  expect_error "Permission denied" sh -c 'echo 1 > "$1"' sh "$MNT/kernel/slab/kmalloc-64/order"
}

check_cpu0() {
  [[ -d $MNT/devices/system/cpu/cpu0 ]] || {
    echo "no cpu0"
    return 1
  }
  ls "$MNT/devices/system/cpu/cpu0"
  [[ ! -e $MNT/devices/system/cpu/cpu0/online ]]
}

check_variant() {
  cat "$MNT/sim/variant" || return 1
  grep -q 'v6\.18' "$MNT/sim/variant"
}

check_dmesg() {
  local log bad
  log=$(cat "$MNT/sim/dmesg") || return 1
  [[ -n $log ]] || {
    echo "sim/dmesg is empty"
    return 1
  }
  head -n3 <<<"$log"
  bad=$(grep -Evc '^\[ *[0-9]+\.[0-9]{6}\] ' <<<"$log" || true)
  ((bad == 0)) || {
    echo "$bad lines without a timestamp, e.g.:"
    grep -Ev '^\[ *[0-9]+\.[0-9]{6}\] ' <<<"$log" | head -n3
    return 1
  }
}

check_umount() {
  slabfs_cmd umount "$MNT" || return 1
  [[ -z $(slabfs_mount_type "$MNT") ]] || {
    echo "still in /proc/mounts"
    return 1
  }
}

check_no_daemon() {
  local pids
  pids=$(slabfs_daemon_pids "$MNT")
  [[ -z $pids ]] || {
    ps -o pid,args -p "${pids//$'\n'/,}" || true
    return 1
  }
}

ktap_header
ktap_plan 25

slabfs_mount_first

S=$MNT/kernel/slab
ktap_run "/proc/mounts shows the mount as fuse.slabfs" check_proc_mounts
ktap_run "cat kernel/slab/kmalloc-64/object_size prints 64" expect_content "$S/kmalloc-64/object_size" 64
ktap_run "kernel/slab/kmalloc-64 has the 30 files of 6.18 with their modes, size 4096" check_attr_table
why=$(host_boot_skip_reason)
if [[ -n $why ]]; then
  ktap_skip "--boot host: ls -f lists kmalloc-64, kernel/slab, module/kvm/parameters in this machine's order" "$why"
  ktap_skip "--boot host: kmalloc-64 has this machine's files, modes and sizes" "$why"
  ktap_skip "--boot host: cpu0/topology and cpu0's links are this machine's" "$why"
else
  DEFAULT_MNT=$MNT
  if slabfs_mount_tmp --boot host; then
    ktap_run "--boot host: ls -f lists kmalloc-64, kernel/slab, module/kvm/parameters in this machine's order" \
      check_host_ls_f "$MNT"
    ktap_run "--boot host: cpu0/topology and cpu0's links are this machine's" \
      check_host_topology "$MNT"
    ktap_run "--boot host: kmalloc-64 has this machine's files, modes and sizes" \
      check_host_attr_table "$MNT"
  else
    ktap_not_ok "--boot host: ls -f lists kmalloc-64, kernel/slab, module/kvm/parameters in this machine's order"
    ktap_not_ok "--boot host: cpu0/topology and cpu0's links are this machine's"
    ktap_not_ok "--boot host: kmalloc-64 has this machine's files, modes and sizes"
  fi
  MNT=$DEFAULT_MNT
fi
ktap_run "every regular file under kernel/slab reads without error" check_read_all
ktap_run "objects, slabs, partial, ... read 'N N0=N ...'" \
  check_format '[0-9]+( N[0-9]+=[0-9]+)*' "${COUNTER_FILES[@]}"
ktap_run "slabs_cpu_partial reads 'N(N) C0=N(N) ...'" \
  check_format '[0-9]+\([0-9]+\)( C[0-9]+=[0-9]+\([0-9]+\))*' slabs_cpu_partial
ktap_run "ctor, shrink and validate of kmalloc-64 read empty" check_empty_files
ktap_run "alias symlinks in kernel/slab point at bare sibling unique ids" check_symlinks
ktap_run "cat LINK/aliases works through an alias symlink" check_aliases_through_link
ktap_run "echo 9 > UDP/min_partial reaches :A-0001344/min_partial" check_write_through_link
ktap_run "echo 1 > kmalloc-64/order as root: Permission denied" check_write_order
ktap_run "cat kernel/slab: Is a directory" expect_error "Is a directory" cat "$S"
ktap_run "cat kernel/slab/nope/order: No such file or directory" \
  expect_error "No such file or directory" cat "$S/nope/order"
ktap_run "module/slab_common/parameters/rcu_min_cached_objs reads 5" \
  expect_content "$MNT/module/slab_common/parameters/rcu_min_cached_objs" 5
ktap_run "devices/system/cpu/online reads 0-1" expect_content "$MNT/devices/system/cpu/online" 0-1
ktap_run "devices/system/cpu/cpu0 has no online file" check_cpu0
ktap_run "devices/system/cpu/cpu1/online reads 1" expect_content "$MNT/devices/system/cpu/cpu1/online" 1
ktap_run "sim/variant mentions v6.18" check_variant
ktap_run "sim/dmesg is non-empty, every line '[    0.000000] ...'" check_dmesg
ktap_run "slabfs umount returns 0 and the mount is gone from /proc/mounts" check_umount
ktap_run "no slabfs daemon for the mountpoint remains" check_no_daemon

ktap_finish
