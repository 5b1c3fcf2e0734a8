# shellcheck shell=bash
# lib/leftovers.sh: finding and ending what a test left running, shared by the suites'
# per-point timeout (tests/lib/ktap.sh) and run-tests' per-suite limit.
#
#   tagged_pids VAR VALUE [daemons]  pids whose environment holds VAR=VALUE; slabfs daemons
#                                    only with "daemons"
#   pids_alive PID...                those not gone yet (a zombie counts as gone)
#   wait_gone SECONDS PID...         wait until all are gone; 1 if not within SECONDS
#   stuck_report PID...              one line per PID: state, kernel wait channel, command
#   slabfs_mounts_at DIR...          slabfs mount points at or below the DIRs
#   slabfs_abort DIR                 abort the FUSE connection of the mount at DIR
#
# Processes are found by an environment variable, not by the process tree: a process whose
# parent died (a killed client still parked in the model) has left the tree, and a daemon
# has left the process group (setsid), but both keep the environment they started with.
# Nothing here sends a request to a mount: what is stuck may be the mount itself.

# tagged_pids VAR VALUE [daemons]
tagged_pids() {
  local f pid cmd
  # under timeout: reading the environ of a process stuck in a page fault can block
  for f in $(timeout 20 grep -lsxzF "$1=$2" /proc/[0-9]*/environ 2>/dev/null || true); do
    pid=${f#/proc/}
    pid=${pid%/environ}
    [[ $pid != "$$" && $pid != "${BASHPID:-}" ]] || continue
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    if [[ $cmd == *slabfs.jar\ mount\ * ]]; then
      [[ ${3:-} == daemons ]] || continue
    fi
    echo "$pid"
  done
}

# pids_alive PID...
pids_alive() {
  local p s
  for p; do
    s=$(awk '/^State:/ {print $2}' "/proc/$p/status" 2>/dev/null) || continue
    [[ -z $s || $s == Z || $s == X ]] || echo "$p"
  done
}

# wait_gone SECONDS PID...: polls (this is cleanup, not a test's synchronisation).
wait_gone() {
  local end=$((SECONDS + $1))
  shift
  while [[ -n $(pids_alive "$@") ]]; do
    ((SECONDS < end)) || return 1
    sleep 0.2
  done
}

# stuck_report PID...
stuck_report() {
  local p
  for p; do
    printf '%s %s %s: %s\n' "$p" "$(awk '/^State:/ {print $2}' "/proc/$p/status" 2>/dev/null)" \
      "$(cat "/proc/$p/wchan" 2>/dev/null)" \
      "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-160)"
  done
}

# _mountinfo_path DIR: DIR as /proc/*/mountinfo writes it (space, tab, newline and
# backslash in octal).
_mountinfo_path() {
  local d=${1//\\/\\134}
  d=${d// /\\040}
  d=${d//$'\t'/\\011}
  printf '%s' "${d//$'\n'/\\012}"
}

# slabfs_mounts_at DIR...: one per line, decoded.
slabfs_mounts_at() {
  local dir
  for dir; do
    SLABFS_MP=$(_mountinfo_path "${dir%/}") awk '
      $0 ~ / - fuse[.]slabfs / &&
          ($5 == ENVIRON["SLABFS_MP"] || index($5, ENVIRON["SLABFS_MP"] "/") == 1) {
        p = $5
        gsub(/\\040/, " ", p); gsub(/\\011/, "\t", p); gsub(/\\012/, "\n", p)
        gsub(/\\134/, "\\", p)
        print p
      }' /proc/self/mountinfo
  done
}

# slabfs_abort DIR: as `echo 1 > /sys/fs/fuse/connections/N/abort` (fs/fuse/control.c),
# or, where the fusectl filesystem is not mounted, `umount -f` (fuse_umount_begin aborts
# the connection first, even when the unmount then fails as busy). Every request of the
# connection ends with ECONNABORTED, so processes stuck in one come back (SIGKILL alone
# does not end a FUSE request the daemon has taken: fs/fuse/dev.c request_wait_answer),
# and the daemon's read of /dev/fuse fails, so it ends its session. Nothing if DIR is not
# a slabfs mount.
slabfs_abort() {
  local dev conn
  dev=$(SLABFS_MP=$(_mountinfo_path "$1") awk \
    '$5 == ENVIRON["SLABFS_MP"] && $0 ~ / - fuse[.]slabfs / { d = $3 } END { print d }' \
    /proc/self/mountinfo)
  [[ -n $dev ]] || return 0
  # the connection's name is the superblock's dev_t, MKDEV(major, minor)
  conn=/sys/fs/fuse/connections/$(((${dev%%:*} << 20) | ${dev#*:}))
  if [[ -e $conn/abort ]]; then
    echo 1 >"$conn/abort"
  else
    umount -f "$1" 2>/dev/null || true
  fi
}
