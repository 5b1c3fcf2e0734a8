#!/usr/bin/env bash
# 0002-cli: the slabfs command line. Bad input is refused with one line before
# anything is mounted; options shape the tree; a stale mount is cleared;
# umount of something not mounted is a clear error; the README's option table is the
# command's own --help.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

# nothing_left PATH: no mount and no daemon for PATH.
nothing_left() {
  local type pids
  type=$(slabfs_mount_type "$1")
  pids=$(slabfs_daemon_pids "$1")
  if [[ -n $type || -n $pids ]]; then
    echo "left behind for $1: mount '${type}', daemon pids '${pids//$'\n'/ }'"
    return 1
  fi
}

# expect_refused MOUNTPOINT ARGS...: `slabfs mount MOUNTPOINT ARGS` fails with
# exactly one line of output and leaves nothing mounted.
expect_refused() {
  local mp=$1 out rc=0 lines
  shift
  out=$(slabfs_cmd mount "$mp" "$@" 2>&1) || rc=$?
  echo "exit $rc: $out"
  if ((rc == 0)); then
    slabfs_cmd umount "$mp" >/dev/null 2>&1 || true
    return 1
  fi
  lines=$(grep -c . <<<"$out" || true)
  ((lines == 1)) || {
    echo "expected a one-line error, got $lines lines"
    return 1
  }
  nothing_left "$mp"
}

check_cpus_nodes() {
  local possible objects
  possible=$(cat "$MNT/devices/system/cpu/possible") || return 1
  objects=$(cat "$MNT/kernel/slab/kmalloc-64/objects") || return 1
  echo "possible: $possible; kmalloc-64/objects: $objects"
  [[ $possible == 0-3 ]] || return 1
  [[ $objects =~ ^[0-9]+(\ N[01]=[0-9]+)*$ ]]
}

check_stale_remount() {
  local dir=$1 pids pid out
  pids=$(slabfs_daemon_pids "$dir")
  [[ -n $pids && $pids != *$'\n'* ]] || {
    echo "expected one daemon for $dir, found '${pids//$'\n'/ }'"
    return 1
  }
  pid=$pids
  kill -9 "$pid" || return 1
  # wait for it to be gone (tail --pid waits on any process, not only children)
  timeout 30 tail --pid="$pid" -f /dev/null || {
    echo "daemon $pid did not die"
    return 1
  }
  if out=$(stat -c %F "$dir" 2>&1); then
    echo "after kill -9: stat says $out"
  else
    echo "after kill -9: $out"
  fi
  [[ $(slabfs_mount_type "$dir") == fuse.slabfs ]] || {
    echo "the dead mount is not in /proc/mounts; nothing stale to clear"
    return 1
  }
  slabfs_cmd mount "$dir" || {
    echo "slabfs mount on the stale mount failed"
    return 1
  }
  out=$(cat "$dir/kernel/slab/kmalloc-64/object_size") || return 1
  [[ $out == 64 ]] || {
    echo "object_size after remount: '$out'"
    return 1
  }
  [[ $(grep -c " $dir fuse.slabfs " /proc/mounts) -eq 1 ]] || {
    grep " $dir " /proc/mounts
    echo "expected exactly one mount on $dir"
    return 1
  }
  pids=$(slabfs_daemon_pids "$dir")
  [[ -n $pids && $pids != *$'\n'* ]] || {
    echo "expected one daemon after remount, found '${pids//$'\n'/ }'"
    return 1
  }
}

# check_bench_fuse_options LOG: bench/run mounts its constfs with slabfs's FUSE options
# (its FUSE_OPTS copy) -- the ones the daemon whose log is LOG says it mounted with.
check_bench_fuse_options() {
  local daemon bench
  daemon=$(sed -nE 's/.* FUSE options: -o fsname=slabfs,subtype=slabfs,//p' "$1" | tail -n1)
  bench=$(sed -n 's/^FUSE_OPTS=//p' "$ROOT/mountpoint-scripts/bench/run")
  echo "daemon: $daemon"
  echo "bench/run: $bench"
  [[ -n $daemon && $daemon == "$bench" ]]
}

check_umount_clean() {
  slabfs_cmd umount "$1" || return 1
  nothing_left "$1"
}

check_umount_not_mounted() {
  local dir=$1 out rc=0
  out=$(slabfs_cmd umount "$dir" 2>&1) || rc=$?
  echo "exit $rc: $out"
  ((rc != 0)) || return 1
  [[ $(grep -c . <<<"$out" || true) -eq 1 ]] || {
    echo "expected a one-line error"
    return 1
  }
  grep -qi 'mount' <<<"$out"
}

# help_options: one line per option of `slabfs mount --help` (picocli's own help, the one
# source of the option list): "NAME<TAB>LABEL<TAB>DEFAULT<TAB>VALUES", LABEL empty for a
# flag, DEFAULT empty when the help states none, VALUES the listed values ("a b c") of an
# option whose description is such a list.
help_options() {
  "$SLABFS" mount --help | awk '
    function flush(   d, vals, def) {
      if (name == "" || name == "--help" || name == "--version") { name = ""; return }
      d = desc
      gsub(/[[:space:]]+/, " ", d); sub(/^ /, "", d); sub(/ $/, "", d)
      def = ""
      if (match(d, /\(default: [^)]*\)$/)) {
        def = substr(d, RSTART + 10, RLENGTH - 11)
        d = substr(d, 1, RSTART - 1); sub(/ $/, "", d)
      }
      vals = ""
      if (d ~ /^[a-z0-9.+-]+(, [a-z0-9.+-]+)+$/) { vals = d; gsub(/, /, " ", vals) }
      printf "%s\t%s\t%s\t%s\n", name, label, def, vals
      name = ""
    }
    /^ +(-[A-Za-z], )?--[a-z-]+/ {
      flush()
      line = $0; sub(/^ +(-[A-Za-z], )?/, "", line)
      opt = line; sub(/[[:space:]].*/, "", opt)
      desc = substr(line, length(opt) + 1)
      name = opt; sub(/=.*/, "", name)
      label = ""; if (opt ~ /=/) { label = opt; sub(/^[^=]*=/, "", label) }
      next
    }
    /^ +[^ -]/ && name != "" { desc = desc " " $0; next }
    END { flush() }' | sort
}

# readme_options: the same four fields from the README's option table
# ("| `--name LABEL` | meaning | default |"): DEFAULT without backticks, "" for a flag's
# "off" and for "random"; VALUES the lower-case `words` of the meaning, for the options
# whose help lists values.
readme_options() {
  local listed
  listed=" $(help_options | awk -F'\t' '$4 != "" { printf "%s ", $1 }')"
  awk -F'|' -v listed="$listed" '
    /^\| `--[a-z-]+( [A-Z]+)?` \|/ {
      opt = $2; gsub(/^ *`|` *$/, "", opt)
      name = opt; sub(/ .*/, "", name)
      label = ""; if (opt ~ / /) { label = opt; sub(/^[^ ]* /, "", label) }
      def = $4; gsub(/^ +| +$/, "", def); gsub(/`/, "", def)
      if (def == "off" || def == "random") def = ""
      vals = ""
      if (index(listed, " " name " ")) {
        m = $3
        while (match(m, /`[a-z0-9.+-]+`/)) {
          vals = vals (vals == "" ? "" : " ") substr(m, RSTART + 1, RLENGTH - 2)
          m = substr(m, RSTART + RLENGTH)
        }
      }
      printf "%s\t%s\t%s\t%s\n", name, label, def, vals
    }' "$ROOT/README.md" | sort
}

check_readme_options() {
  local help readme
  help=$(help_options) || return 1
  readme=$(readme_options) || return 1
  echo "$(wc -l <<<"$help") options in slabfs mount --help"
  [[ -n $help ]] || return 1
  diff <(echo "$help") <(echo "$readme") || {
    echo "(< slabfs mount --help, > README.md's option table: name, label, default, values)"
    return 1
  }
}

ktap_header
ktap_plan 15

# Build the jar (if needed) before anything counts output lines.
"$SLABFS" mount --help >/dev/null 2>&1 || true

ktap_run "README's option table: the options, labels, defaults and values of slabfs mount --help" \
  check_readme_options

slabfs_tmpdir
ktap_run "mount with an unknown option is refused in one line" expect_refused "$SLABFS_DIR" --no-such-option
slabfs_tmpdir
ktap_run "mount --cpus 0 is refused in one line" expect_refused "$SLABFS_DIR" --cpus 0
slabfs_tmpdir
ktap_run "mount --cpus abc is refused in one line" expect_refused "$SLABFS_DIR" --cpus abc
slabfs_tmpdir
ktap_run "mount --kernel v9 is refused in one line" expect_refused "$SLABFS_DIR" --kernel v9
slabfs_tmpdir
ktap_run "mount on a path that does not exist is refused in one line" \
  expect_refused "$SLABFS_DIR/does-not-exist"
slabfs_tmpdir
: >"$SLABFS_DIR/file"
ktap_run "mount on a regular file is refused in one line" expect_refused "$SLABFS_DIR/file"

if slabfs_mount_tmp --cpus 4 --nodes 2; then
  ktap_ok "mount --cpus 4 --nodes 2"
  ktap_run "--cpus 4 --nodes 2: possible is 0-3, kmalloc-64/objects has only N0=/N1=" check_cpus_nodes
  ktap_run "bench/run's FUSE_OPTS are the FUSE options the daemon mounted with" \
    check_bench_fuse_options "$SLABFS_LOG"
  ktap_run "umount of the --cpus 4 --nodes 2 mount leaves nothing" check_umount_clean "$MNT"
else
  ktap_not_ok "mount --cpus 4 --nodes 2"
  ktap_not_ok "bench/run's FUSE_OPTS are the FUSE options the daemon mounted with"
  ktap_not_ok "--cpus 4 --nodes 2: possible is 0-3, kmalloc-64/objects has only N0=/N1="
  ktap_not_ok "umount of the --cpus 4 --nodes 2 mount leaves nothing"
fi

if slabfs_mount_tmp; then
  ktap_ok "mount for the stale-mount test"
  ktap_run "after kill -9 of the daemon, mount again clears the stale mount and works" \
    check_stale_remount "$MNT"
  ktap_run "umount after the remount leaves nothing" check_umount_clean "$MNT"
else
  ktap_not_ok "mount for the stale-mount test"
  ktap_not_ok "after kill -9 of the daemon, mount again clears the stale mount and works"
  ktap_not_ok "umount after the remount leaves nothing"
fi

slabfs_tmpdir
ktap_run "umount of a directory that is not mounted fails with a clear one-line error" \
  check_umount_not_mounted "$SLABFS_DIR"

ktap_finish
