#!/usr/bin/env bash
# ktap.sh: a small KTAP/TAP helper for the slabfs shell suites (our own, not the
# kernel's). Source it from a suite:
#
#   ktap_header; ktap_plan 3
#   ktap_ok "desc" | ktap_not_ok "desc" | ktap_skip "desc" "reason"
#   ktap_run "desc" CHECK_FUNCTION ARGS...   # 0 = ok, 4 = skip (output is the reason),
#                                            # else not ok (output printed as diagnostics;
#                                            # also for ok points with KTAP_VERBOSE=1);
#                                            # not ok after KTAP_CASE_TIMEOUT s (60)
#   ktap_fail_rest "reason"                  # mark every remaining planned point failed
#   ktap_skip_all "reason"                   # instead of a plan: skip the whole suite, exit 4
#   ktap_finish                              # exit 0 pass, 1 fail, 4 all skipped
#
# Mount helpers:
#   slabfs_cmd ARGS...          "$SLABFS" ARGS, killed after SLABFS_CMD_TIMEOUT s (300)
#   slabfs_mount_tmp [options]  mktemp -d, `slabfs mount DIR options`; sets MNT=DIR and
#                               SLABFS_LOG=the daemon's log (as the mount printed it).
#                               Every such DIR is unmounted and removed on EXIT,
#                               also after a failure, INT or TERM.
#   slabfs_mount_type DIR       the /proc/mounts type of DIR (e.g. fuse.slabfs), or nothing
#   slabfs_daemon_pids DIR      pids of slabfs daemons serving DIR
#   slabfs_ctl DIR COMMAND...   one write of "COMMAND..." to DIR/sim/ctl (its errno, if any,
#                               as the shell prints it on stderr)
#   slabfs_stat DIR KEY         the value of KEY in DIR/sim/stats
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../../.." && pwd)
SLABFS="$ROOT/mountpoint-scripts/slabfs"
export ROOT SLABFS
# shellcheck source-path=SCRIPTDIR/../.. source=lib/sim.sh
source "$ROOT/mountpoint-scripts/lib/sim.sh"
# shellcheck source-path=SCRIPTDIR/../.. source=lib/leftovers.sh
source "$ROOT/mountpoint-scripts/lib/leftovers.sh"

# The suite's own stdout: the EXIT trap may run while a point's output is redirected.
exec {KTAP_STDOUT}>&1

KTAP_PLAN=0
KTAP_NUM=0
KTAP_PASS=0
KTAP_FAIL=0
KTAP_SKIP=0

ktap_header() { echo "TAP version 13"; }

ktap_plan() {
  KTAP_PLAN=$1
  echo "1..$1"
}

# ktap_diag TEXT...: print TEXT as '# ' diagnostic lines.
ktap_diag() {
  local line
  [[ -n ${*:-} ]] || return 0
  while IFS= read -r line; do
    printf '# %s\n' "$line"
  done <<<"$*"
}

ktap_ok() {
  KTAP_NUM=$((KTAP_NUM + 1))
  KTAP_PASS=$((KTAP_PASS + 1))
  echo "ok $KTAP_NUM - $1"
}

ktap_not_ok() {
  KTAP_NUM=$((KTAP_NUM + 1))
  KTAP_FAIL=$((KTAP_FAIL + 1))
  echo "not ok $KTAP_NUM - $1"
}

ktap_skip() {
  KTAP_NUM=$((KTAP_NUM + 1))
  KTAP_SKIP=$((KTAP_SKIP + 1))
  echo "ok $KTAP_NUM - $1 # SKIP ${2:-}"
}

# Seconds one ktap_run point may take before it counts as hung: it fails, named, and its
# processes are killed. A suite whose points run longer on purpose sets KTAP_CASE_TIMEOUT
# itself, with the reason beside it.
KTAP_CASE_TIMEOUT=${KTAP_CASE_TIMEOUT:-60}

# The point running now: its tag ("suite pid.point number", in the environment of every
# program it runs as KTAP_CASE; empty between points) and its process group.
KTAP_CASE_TAG=''
KTAP_CASE_PGID=''
# The file its output goes to.
KTAP_POINT_OUT=''

# _ktap_case_pids: the processes of the point running now: its process group (the
# point's own subshells, which share the suite's environment, and whatever they started,
# also after its parent died) and whatever carries its KTAP_CASE tag (had it left the
# group). Not the daemons of mounts it made: they outlive it.
_ktap_case_pids() {
  {
    pgrep -g "$KTAP_CASE_PGID" || true
    tagged_pids KTAP_CASE "$KTAP_CASE_TAG"
  } | sort -un | while read -r p; do
    [[ $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) == *slabfs.jar\ mount\ * ]] || echo "$p"
  done
}

# _ktap_end_case: kill every process of the point running now. SIGKILL does not end a
# process waiting for a FUSE request that the daemon has already taken (fs/fuse/dev.c
# request_wait_answer waits on uninterruptibly): if some are left, the FUSE connections of
# the suite's mounts are aborted, which ends every request in flight with ECONNABORTED,
# and they are waited for again. Prints what it had to do; 1 if some could not be ended.
_ktap_end_case() {
  local pids left
  pids=$(_ktap_case_pids)
  [[ -n $pids ]] || return 0
  # freeze them all so nothing new is started, then kill
  # shellcheck disable=SC2086 # one pid per word
  kill -STOP $pids 2>/dev/null || true
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  # shellcheck disable=SC2086
  wait_gone 10 $pids && return 0
  # shellcheck disable=SC2086
  left=$(pids_alive $pids)
  echo "still there after SIGKILL (waiting in the kernel); aborting this suite's FUSE connections:"
  # shellcheck disable=SC2086
  stuck_report $left
  slabfs_abort_all
  # shellcheck disable=SC2086
  if ! wait_gone 30 $left; then
    echo "could not end:"
    # shellcheck disable=SC2046,SC2086
    stuck_report $(pids_alive $left)
    return 1
  fi
}

# _ktap_timed LIMIT CMD ARGS...: run CMD in a process group of its own; past LIMIT
# seconds kill it and every process it started (_ktap_end_case: also those that left its
# tree, and those stuck in a FUSE request), and return 124 (as timeout(1) does). A process
# that cannot be ended is left behind, not waited for, so the suite goes on.
_ktap_timed() {
  local limit=$1 pid dog first='' rc=0
  shift
  KTAP_CASE_TAG="$$.$((KTAP_NUM + 1))"
  set -m # only for this job: its own process group
  (
    # as in the $(...) this used to be: errexit off (a background job would keep it), and
    # the suite's EXIT trap (its cleanup) is not this subshell's
    trap - EXIT INT TERM
    set +e
    export KTAP_CASE=$KTAP_CASE_TAG
    "$@"
  ) &
  pid=$!
  set +m
  KTAP_CASE_PGID=$pid
  sleep "$limit" &
  dog=$!
  wait -n -p first "$pid" "$dog" || rc=$?
  if [[ $first == "$dog" ]]; then
    echo "timed out after ${limit}s (KTAP_CASE_TIMEOUT)"
    _ktap_end_case || true
    [[ -n $(pids_alive "$pid") ]] || wait "$pid" 2>/dev/null || true
    rc=124
  else
    kill "$dog" 2>/dev/null || true
    wait "$dog" 2>/dev/null || true
  fi
  KTAP_CASE_TAG=''
  return "$rc"
}

# ktap_run DESC CMD ARGS...: one test point from a command's exit status, within
# KTAP_CASE_TIMEOUT seconds. Check functions run with errexit off (they are in a
# condition), so they must return their verdict explicitly. Their output goes to a file,
# not a pipe: a process the check started and could not end (parked in the model, its
# request unanswered) would hold a pipe open, and reading it to the end would never end.
ktap_run() {
  local desc=$1 out rc=0
  shift
  KTAP_POINT_OUT=$(mktemp "${TMPDIR:-/tmp}/ktap-point.XXXXXXXXXX")
  _ktap_timed "$KTAP_CASE_TIMEOUT" "$@" >"$KTAP_POINT_OUT" 2>&1 || rc=$?
  out=$(cat "$KTAP_POINT_OUT" 2>/dev/null || true)
  rm -f "$KTAP_POINT_OUT"
  KTAP_POINT_OUT=''
  case $rc in
    0)
      ktap_ok "$desc"
      [[ ${KTAP_VERBOSE:-0} != 1 ]] || ktap_diag "$out"
      ;;
    4)
      ktap_skip "$desc" "$(head -n1 <<<"$out")"
      ;;
    *)
      ktap_not_ok "$desc"
      ktap_diag "$out"
      ;;
  esac
}

# ktap_fail_rest REASON: nothing more can be checked; fail what is left of the plan.
ktap_fail_rest() {
  ktap_diag "$1"
  while ((KTAP_NUM < KTAP_PLAN)); do
    ktap_not_ok "not run: $1"
  done
}

# ktap_skip_all REASON: the suite cannot run here at all (in place of ktap_plan).
ktap_skip_all() {
  echo "1..0 # SKIP $1"
  exit 4
}

ktap_finish() {
  if ((KTAP_NUM != KTAP_PLAN)); then
    ktap_diag "planned $KTAP_PLAN test points, ran $KTAP_NUM"
    exit 1
  fi
  ktap_diag "pass:$KTAP_PASS fail:$KTAP_FAIL skip:$KTAP_SKIP"
  if ((KTAP_FAIL > 0)); then
    exit 1
  elif ((KTAP_PASS == 0 && KTAP_SKIP > 0)); then
    exit 4
  fi
  exit 0
}

# ---- checks shared by the suites -----------------------------------------------

# expect_content FILE WANT: FILE reads exactly WANT.
expect_content() {
  local got
  got=$(cat "$1") || return 1
  if [[ $got != "$2" ]]; then
    echo "$1: expected '$2', got '$got'"
    return 1
  fi
}

# expect_error WANT CMD...: CMD fails and says WANT.
expect_error() {
  local want=$1 out rc=0
  shift
  out=$("$@" 2>&1) || rc=$?
  if ((rc == 0)); then
    echo "succeeded, expected '$want': $out"
    return 1
  fi
  if [[ $out != *"$want"* ]]; then
    echo "failed (rc=$rc) without '$want': $out"
    return 1
  fi
}

# ---- mounts ---------------------------------------------------------------------

SLABFS_TMP_DIRS=()
SLABFS_CMD_TIMEOUT=${SLABFS_CMD_TIMEOUT:-300}

slabfs_cmd() {
  local rc=0
  timeout -k 10 "$SLABFS_CMD_TIMEOUT" "$SLABFS" "$@" || rc=$?
  if ((rc == 124 || rc == 137)); then
    echo "slabfs $1: timed out after ${SLABFS_CMD_TIMEOUT}s" >&2
  fi
  return "$rc"
}

slabfs_mount_type() {
  # /proc/mounts writes space, tab, newline and backslash in octal (\040 ...)
  local d=${1//\\/\\134}
  d=${d// /\\040}
  d=${d//$'\t'/\\011}
  d=${d//$'\n'/\\012}
  # (through the environment: awk -v would turn \040 back into a space)
  SLABFS_MP=$d awk '$2 == ENVIRON["SLABFS_MP"] { t = $3 } END { if (t != "") print t }' /proc/mounts
}

# slabfs_abort_all: slabfs_abort every slabfs mount at or below a directory of this suite
# (SLABFS_TMP_DIRS).
slabfs_abort_all() {
  local mp
  while IFS= read -r mp; do
    echo "abort: the FUSE connection of $mp"
    slabfs_abort "$mp"
  done < <(slabfs_mounts_at "${SLABFS_TMP_DIRS[@]}" | sort -u)
}

# slabfs_daemon_pids DIR: the slabfs processes whose command line is "... slabfs.jar mount
# DIR ...", DIR compared whole (a pattern would also take "DIR b" for DIR).
slabfs_daemon_pids() {
  local pid i
  local -a argv
  for pid in $(pgrep -f 'slabfs\.jar mount ' || true); do
    mapfile -d '' -t argv 2>/dev/null <"/proc/$pid/cmdline" || continue
    for ((i = 0; i + 2 < ${#argv[@]}; i++)); do
      if [[ ${argv[i]} == *slabfs.jar && ${argv[i + 1]} == mount && ${argv[i + 2]} == "$1" ]]; then
        echo "$pid"
        break
      fi
    done
  done
}

# slabfs_ctl DIR COMMAND...: one write(2) of the command to DIR/sim/ctl (no newline:
# bash's printf is line-buffered and would split the write at one).
slabfs_ctl() {
  local dir=$1
  shift
  printf '%s' "$*" >"$dir/sim/ctl"
}

# slabfs_stat DIR KEY: KEY's value in DIR/sim/stats (fails if KEY is missing).
slabfs_stat() {
  awk -v k="$2" '$1 == k { v = $2; found = 1 } END { if (!found) exit 1; print v }' \
    "$1/sim/stats"
}

# slabfs_open_files DIR: sim/stats open_files once the files closed before are released
# (lib/sim.sh says how).
slabfs_open_files() { sim_open_files "$1"; }

# slabfs_tmpdir: a tracked, canonical temporary directory in SLABFS_DIR.
slabfs_tmpdir() {
  SLABFS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/slabfs-test.XXXXXXXXXX")
  SLABFS_DIR=$(realpath "$SLABFS_DIR")
  SLABFS_TMP_DIRS+=("$SLABFS_DIR")
}

# shellcheck disable=SC2120 # the suites pass mount options; slabfs_mount_first none
slabfs_mount_tmp() {
  local out rc=0
  slabfs_tmpdir
  MNT=$SLABFS_DIR
  out=$(slabfs_cmd mount "$MNT" "$@" 2>&1) || rc=$?
  # shellcheck disable=SC2034 # for the suites
  SLABFS_LOG=$(sed -n 's/^slabfs: log: //p' <<<"$out")
  ktap_diag "$out"
  return "$rc"
}

# slabfs_mount_first: a suite's first test point, a default mount into MNT; if it fails,
# every other planned point fails with it and the suite ends there.
slabfs_mount_first() {
  # shellcheck disable=SC2119 # default options
  if slabfs_mount_tmp; then
    ktap_ok "slabfs mount returns 0 on a fresh directory"
  else
    ktap_not_ok "slabfs mount returns 0 on a fresh directory"
    ktap_fail_rest "mount failed"
    ktap_finish
  fi
}

# _slabfs_release DIR: unmount DIR if anything of it is left, then remove it.
_slabfs_release() {
  local dir=$1 pids
  if [[ -n $(slabfs_mount_type "$dir") || -n $(slabfs_daemon_pids "$dir") ]]; then
    ktap_diag "cleanup: slabfs umount $dir"
    ktap_diag "$(SLABFS_CMD_TIMEOUT=60 slabfs_cmd umount "$dir" 2>&1)" || true
  fi
  if [[ -n $(slabfs_mount_type "$dir") ]]; then
    ktap_diag "cleanup: slabfs umount left $dir mounted; detaching it"
    fusermount -u -z "$dir" >/dev/null 2>&1 || umount -l "$dir" >/dev/null 2>&1 || true
  fi
  pids=$(slabfs_daemon_pids "$dir")
  if [[ -n $pids ]]; then
    ktap_diag "cleanup: killing leftover daemon(s) $pids"
    # shellcheck disable=SC2086 # one pid per word
    kill $pids 2>/dev/null || true
  fi
  # rmdir, never rm -r: if the mount is somehow still there, leave it alone.
  if [[ -d $dir && -z $(slabfs_mount_type "$dir") ]]; then
    find "$dir" -mindepth 1 -maxdepth 1 -type f -delete 2>/dev/null || true
    rmdir "$dir" 2>/dev/null || ktap_diag "cleanup: could not remove $dir"
  fi
}

_slabfs_cleanup() {
  local rc=$? dir
  trap - EXIT
  set +e
  # not into the output file of a point this trap may have interrupted
  exec >&"$KTAP_STDOUT"
  [[ -z $KTAP_POINT_OUT ]] || rm -f "$KTAP_POINT_OUT"
  # a point still running (the suite was told to stop in the middle of it): its processes
  # first, or they would go on using the mounts released below
  if [[ -n $KTAP_CASE_TAG ]]; then
    ktap_diag "cleanup: ending point $((KTAP_NUM + 1)), still running"
    ktap_diag "$(_ktap_end_case)"
  fi
  for dir in "${SLABFS_TMP_DIRS[@]}"; do
    _slabfs_release "$dir"
  done
  exit "$rc"
}

trap _slabfs_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
