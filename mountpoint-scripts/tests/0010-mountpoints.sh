#!/usr/bin/env bash
# 0010-mountpoints: one mount's state and commands never touch another's. Three mounts whose
# paths differ only in characters a folding key would merge ("a b", "a_b", "a/b") each keep
# their own log and pid file; `slabfs umount` signals only a daemon it has confirmed serves
# that mountpoint (its command line and the mount table, not a pid file alone), and when it
# cannot stop a busy mount it says so, exits non-zero and leaves every mount as it was.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

# Private state: the suite counts the files in it.
SLABFS_STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/slabfs-state.XXXXXXXXXX")
OTHER_STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/slabfs-state.XXXXXXXXXX")
export SLABFS_STATE_DIR
BASE=$(realpath "$(mktemp -d "${TMPDIR:-/tmp}/slabfs-test.XXXXXXXXXX")")
SPACE="$BASE/a b"
UNDER="$BASE/a_b"
NESTED="$BASE/a/b"
MPS=("$SPACE" "$UNDER" "$NESTED")
mkdir -p "${MPS[@]}"
# released in this order on exit: the mounts, then their parents, then the state
SLABFS_TMP_DIRS+=("${MPS[@]}" "$BASE/a" "$BASE" "$SLABFS_STATE_DIR" "$OTHER_STATE_DIR")

declare -A PID LOG

# mount_all: mount the three; PID[mp] and LOG[mp] from what `slabfs mount` prints.
mount_all() {
  local mp out
  for mp in "${MPS[@]}"; do
    out=$(slabfs_cmd mount "$mp" 2>&1) || {
      echo "mount $mp: $out"
      return 1
    }
    echo "$out"
  done
}

# daemon_of MP: the pid the mount output named for MP ("(daemon pid N,").
daemon_of() {
  sed -nE 's/^slabfs: mounted .* at (.*) \(daemon pid ([0-9]+),.*/\1\t\2/p' "$MOUNT_OUT" |
    awk -F'\t' -v mp="$1" '$1 == mp { print $2 }'
}

log_of() {
  awk -v mp="$1" 'BEGIN { want = "at " mp " (" } index($0, want) { hit = 1; next }
    hit && /^slabfs: log: / { sub(/^slabfs: log: /, ""); print; exit }' "$MOUNT_OUT"
}

# pid_file_of MP: the pid file in the state dir whose first line is MP's daemon.
pid_file_of() {
  local f
  for f in "$SLABFS_STATE_DIR"/*.pid; do
    [[ -f $f ]] || continue
    if [[ $(head -n1 "$f") == "${PID[$1]}" ]]; then
      echo "$f"
      return 0
    fi
  done
  return 1
}

# serving MP: MP is a slabfs mount, answers a read, and its daemon is alive.
serving() {
  local size
  [[ $(slabfs_mount_type "$1") == fuse.slabfs ]] || {
    echo "$1 is not mounted"
    return 1
  }
  kill -0 "${PID[$1]}" 2>/dev/null || {
    echo "the daemon of $1 (pid ${PID[$1]}) is gone"
    return 1
  }
  size=$(cat "$1/kernel/slab/kmalloc-64/object_size" 2>&1) || true
  [[ $size == 64 ]] || {
    echo "$1/kernel/slab/kmalloc-64/object_size: $size"
    return 1
  }
}

check_own_state() {
  local mp pids logs n_pid n_log rc=0 f
  n_pid=$(find "$SLABFS_STATE_DIR" -maxdepth 1 -name '*.pid' | wc -l)
  n_log=$(find "$SLABFS_STATE_DIR" -maxdepth 1 -name '*.log' | wc -l)
  echo "state dir: $n_pid pid files, $n_log logs"
  ls -1 "$SLABFS_STATE_DIR"
  ((n_pid == 3 && n_log == 3)) || rc=1
  declare -A seen_log=()
  for mp in "${MPS[@]}"; do
    if [[ -z ${PID[$mp]} || -z ${LOG[$mp]} ]]; then
      echo "$mp: no daemon pid or log in the mount output"
      rc=1
      continue
    fi
    if ! f=$(pid_file_of "$mp"); then
      echo "$mp: no pid file names its daemon ${PID[$mp]}"
      rc=1
    fi
    if [[ -n ${seen_log[${LOG[$mp]}]:-} ]]; then
      echo "$mp shares its log ${LOG[$mp]} with ${seen_log[${LOG[$mp]}]}"
      rc=1
    fi
    seen_log[${LOG[$mp]}]=$mp
    # the log is this mount's: the daemon's boot line names its mountpoint, and only it
    grep -F "slabfs $mp booting:" "${LOG[$mp]}" >/dev/null || {
      echo "${LOG[$mp]} has no boot line of $mp"
      rc=1
    }
    pids=$(grep -c -F 'booting:' "${LOG[$mp]}" || true)
    ((pids == 1)) || {
      echo "${LOG[$mp]} has $pids boot lines"
      rc=1
    }
  done
  logs=${#seen_log[@]}
  ((logs == 3)) || rc=1
  return "$rc"
}

# umount_busy_refused: with SPACE busy (a file held open) and its pid file naming UNDER's
# daemon, as the old folded key left it, `slabfs umount SPACE` stops nothing, fails and
# says why; all three mounts still serve.
umount_busy_refused() {
  local f saved out rc=0 fd mp
  f=$(pid_file_of "$SPACE") || {
    echo "no pid file for $SPACE"
    return 1
  }
  exec {fd}<"$SPACE/sim/stats" || return 1 # held open: the mount is busy
  saved=$(cat "$f")
  printf '%s\n%s\n' "${PID[$UNDER]}" "$UNDER" >"$f"
  out=$(slabfs_cmd umount "$SPACE" 2>&1) || rc=$?
  exec {fd}<&-
  printf '%s\n' "$saved" >"$f"
  echo "exit $rc: $out"
  ((rc != 0)) || {
    echo "umount of the busy $SPACE succeeded without its daemon"
    return 1
  }
  [[ $out == *"cannot unmount $SPACE"* && $out == *"not of $SPACE"* ]] || {
    echo "the message does not say that $SPACE cannot be unmounted and why"
    return 1
  }
  for mp in "${MPS[@]}"; do
    serving "$mp" || return 1
  done
}

# umount_busy_unrecorded: with SPACE busy and no pid file for it (another SLABFS_STATE_DIR),
# umount fails, says there is no daemon recorded, and leaves every mount serving.
umount_busy_unrecorded() {
  local out rc=0 fd mp
  exec {fd}<"$SPACE/sim/stats" || return 1 # held open: the mount is busy
  out=$(SLABFS_STATE_DIR=$OTHER_STATE_DIR slabfs_cmd umount "$SPACE" 2>&1) || rc=$?
  exec {fd}<&-
  echo "exit $rc: $out"
  ((rc != 0)) && [[ $out == *"cannot unmount $SPACE"*"no daemon is recorded"* ]] || return 1
  for mp in "${MPS[@]}"; do
    serving "$mp" || return 1
  done
}

# umount_one MP: `slabfs umount MP` (MP busy: a file held open) ends MP and its daemon
# only; the other mounts serve on and keep their pid files and logs.
umount_one() {
  local gone=$1 out rc=0 fd mp
  exec {fd}<"$gone/sim/stats" || return 1 # held open: the mount is busy
  out=$(slabfs_cmd umount "$gone" 2>&1) || rc=$?
  exec {fd}<&-
  echo "exit $rc: $out"
  ((rc == 0)) || return 1
  [[ -z $(slabfs_mount_type "$gone") ]] || {
    echo "$gone is still mounted"
    return 1
  }
  timeout 30 tail --pid="${PID[$gone]}" -f /dev/null || {
    echo "the daemon of $gone (pid ${PID[$gone]}) did not exit"
    return 1
  }
  ! pid_file_of "$gone" >/dev/null || {
    echo "the pid file of $gone is left"
    return 1
  }
  for mp in "${MPS[@]}"; do
    [[ $mp != "$gone" && -n $(slabfs_mount_type "$mp") ]] || continue
    serving "$mp" || return 1
    pid_file_of "$mp" >/dev/null || {
      echo "the pid file of $mp is gone"
      return 1
    }
    [[ -f ${LOG[$mp]} ]] || {
      echo "the log of $mp is gone"
      return 1
    }
  done
}

ktap_header
ktap_plan 7

MOUNT_OUT=$BASE/mount.out
if mount_all >"$MOUNT_OUT" 2>&1; then
  ktap_ok "mount at '$SPACE', '$UNDER' and '$NESTED'"
  ktap_diag "$(cat "$MOUNT_OUT")"
else
  ktap_not_ok "mount at '$SPACE', '$UNDER' and '$NESTED'"
  ktap_diag "$(cat "$MOUNT_OUT")"
  ktap_fail_rest "not all three mounted"
  ktap_finish
fi
for mp in "${MPS[@]}"; do
  PID[$mp]=$(daemon_of "$mp")
  LOG[$mp]=$(log_of "$mp")
done

ktap_run "each of the three keeps its own pid file and its own log" check_own_state
ktap_run "umount of the busy 'a b' whose pid file names the daemon of 'a_b' fails, says why, stops nothing" \
  umount_busy_refused
ktap_run "umount of the busy 'a b' with no daemon recorded for it fails, says why, stops nothing" \
  umount_busy_unrecorded
ktap_run "umount of the busy 'a b' ends its own daemon only; 'a_b' and 'a/b' serve on" umount_one "$SPACE"
ktap_run "umount of 'a_b' ends its own daemon only; 'a/b' serves on" umount_one "$UNDER"
ktap_run "umount of 'a/b' ends its own daemon; nothing is left" umount_one "$NESTED"

ktap_finish
