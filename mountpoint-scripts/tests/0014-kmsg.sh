#!/usr/bin/env bash
# 0014-kmsg: sim/kmsg is /dev/kmsg for util-linux dmesg (bound over /dev/kmsg in a private
# mount namespace): `dmesg` prints the simulated records, `dmesg -x` decodes a level written
# with <N>, `dmesg -w` follows a record printed after it started and, once killed, leaves
# nothing open or blocked in the model; poll(2) waits for a record; and the sim/ text files
# have sizes, so `tail -f sim/dmesg` follows and `cp` and Python's shutil.copyfile (sendfile)
# copy all of a file.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

# How long a reader may take to show a line that is already in the model (bounds a hang;
# the checks never wait for time to pass).
LINE_WAIT=30

ctl() { slabfs_ctl "$MNT" "$@"; }

# in_kmsg_ns CMD...: run CMD (through sh -c) in a private mount namespace where
# MNT/sim/kmsg is bound over /dev/kmsg. unshare without --fork execs, so the pid of this
# call is the pid of CMD's last exec.
in_kmsg_ns() {
  unshare -m --propagation private sh -c "mount --bind '$MNT/sim/kmsg' /dev/kmsg && $1"
}

# marker NAME: print a record through sim/ctl (a command that fails names its argument in
# dmesg: "slabfs: ctl: ... no cache was created as 'NAME'").
marker() {
  ctl "kmem_cache_destroy $1" 2>/dev/null && {
    echo "kmem_cache_destroy $1 succeeded"
    return 1
  }
  return 0
}

# read_until FD TEXT: read lines from FD until one contains TEXT (each read bounded by
# LINE_WAIT); the lines read are echoed.
read_until() {
  local line
  while IFS= read -r -t "$LINE_WAIT" -u "$1" line; do
    echo "  | $line"
    [[ $line == *"$2"* ]] && return 0
  done
  echo "no line with '$2' within ${LINE_WAIT}s of the previous one"
  return 1
}

# quiet: nothing open other than the caller's sim/ctl, nothing blocked or held.
quiet() {
  ctl "await_open_files 0 timeout=$LINE_WAIT" || {
    echo "open files did not go back to 0: $(slabfs_stat "$MNT" open_files)"
    return 1
  }
  local k v
  for k in blocked_tasks held_locks active_refs; do
    v=$(slabfs_stat "$MNT" "$k")
    [[ $v == 0 ]] || {
      echo "sim/stats $k is $v"
      return 1
    }
  done
}

check_dmesg() {
  local want got
  want=$(cat "$MNT/sim/dmesg")
  got=$(in_kmsg_ns "dmesg") || return 1
  # what sim/dmesg showed first is what dmesg prints first (more may have come since)
  [[ $got == "$want"* ]] || {
    echo "sim/dmesg:"
    echo "$want"
    echo "dmesg:"
    echo "$got"
    return 1
  }
  grep -Eq '^\[ +[0-9]+\.[0-9]{6}\] Linux version [0-9.]+-slabfs ' <<<"$got" || {
    echo "no timestamped 'Linux version' line in dmesg's output"
    return 1
  }
}

check_dmesg_levels() {
  local out
  out=$(in_kmsg_ns "echo '<3>kmsg-test: an error from user space' >/dev/kmsg && dmesg -x") ||
    return 1
  grep -Eq '^user  :err   : \[ *[0-9.]+\] kmsg-test: an error from user space$' <<<"$out" || {
    echo "dmesg -x did not decode facility user, level err:"
    tail -n 3 <<<"$out"
    return 1
  }
  grep -Eq '^kern  :warn  : \[ *[0-9.]+\] Linux version' <<<"$out" || {
    echo "kernel records are not kern.warn (default_message_loglevel 4):"
    head -n 3 <<<"$out"
    return 1
  }
}

check_dmesg_follow() {
  local fd pid rc=0
  exec {fd}< <(in_kmsg_ns "exec dmesg -w")
  pid=$!
  read_until "$fd" "slabfs: boot set" || rc=1
  if ((rc == 0)); then
    # dmesg -w is now in the model, holding sim/kmsg open and sleeping for the next record
    ctl "await_open_files 1 timeout=$LINE_WAIT" || {
      echo "dmesg -w does not hold sim/kmsg open"
      rc=1
    }
    marker kmsg_follow_marker && read_until "$fd" "kmsg_follow_marker" || rc=1
  fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  exec {fd}<&-
  ((rc == 0)) && quiet
}

check_poll() {
  MNT=$MNT python3 - <<'EOF'
import os, re, select, threading
mnt = os.environ["MNT"]
fd = os.open(mnt + "/sim/kmsg", os.O_RDONLY | os.O_NONBLOCK)
try:
    while True:
        try:
            os.read(fd, 8192)
        except BlockingIOError:
            break
    p = select.poll()
    p.register(fd, select.POLLIN)
    ready = p.poll(0)
    assert ready == [], f"poll with nothing to read: {ready}"
    def mark():
        with open(mnt + "/sim/ctl", "w") as ctl:
            try:
                ctl.write("kmem_cache_destroy kmsg_poll_marker")
                ctl.flush()
            except OSError:
                pass
    t = threading.Thread(target=mark)
    t.start()
    ready = p.poll(30000)
    t.join()
    assert ready and ready[0][1] & select.POLLIN, f"poll after a printk: {ready}"
    rec = os.read(fd, 8192).decode()
    print("read after poll:", rec.strip())
    assert re.match(r"^\d+,\d+,\d+,-;", rec), f"not a kmsg record: {rec!r}"
finally:
    os.close(fd)
EOF
}

check_tail_follow() {
  local fd pid rc=0
  exec {fd}< <(exec tail -f "$MNT/sim/dmesg" 2>&1)
  pid=$!
  read_until "$fd" "slabfs: boot set" || rc=1
  ((rc == 0)) && { marker kmsg_tail_marker && read_until "$fd" "kmsg_tail_marker" || rc=1; }
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  exec {fd}<&-
  ((rc == 0)) || return 1
  quiet
}

check_copies() {
  local f size tmp rc=0
  tmp=$(mktemp -d)
  for f in dmesg lockdep lockdep_chains variant; do
    cat "$MNT/sim/$f" >"$tmp/cat-$f"
    size=$(stat -c %s "$MNT/sim/$f")
    [[ $size == "$(wc -c <"$tmp/cat-$f")" ]] || {
      echo "sim/$f: st_size $size, content $(wc -c <"$tmp/cat-$f") bytes"
      rc=1
    }
    cp "$MNT/sim/$f" "$tmp/cp-$f"
    python3 -c 'import shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2])' \
      "$MNT/sim/$f" "$tmp/py-$f"
    cmp "$tmp/cat-$f" "$tmp/cp-$f" || rc=1
    cmp "$tmp/cat-$f" "$tmp/py-$f" || rc=1
  done
  rm -rf "$tmp"
  return "$rc"
}

ktap_header
ktap_plan 8
slabfs_mount_first
ktap_run "dmesg on sim/kmsg prints the simulated records with their timestamps" check_dmesg
ktap_run "dmesg -x decodes <3> written to /dev/kmsg as user.err, printk as kern.warn" \
  check_dmesg_levels
ktap_run "dmesg -w follows a record printed after it started; killed, it leaves nothing open" \
  check_dmesg_follow
ktap_run "poll(2) on sim/kmsg: nothing ready, then POLLIN once a record is printed" check_poll
ktap_run "tail -f sim/dmesg shows a line printed after it started" check_tail_follow
ktap_run "cp and shutil.copyfile copy all of sim/ text files, st_size is their length" \
  check_copies
ktap_run "slabfs umount with sim/kmsg readers asleep in the model completes" sh -c "
  set -e
  for i in 1 2 3; do cat '$MNT/sim/kmsg' >/dev/null 2>&1 & done
  printf '%s' 'await_open_files 3 timeout=$LINE_WAIT' >'$MNT/sim/ctl'
  '$ROOT/mountpoint-scripts/slabfs' umount '$MNT'
  wait
  ! grep -q ' $MNT ' /proc/mounts"
ktap_finish
