#!/usr/bin/env bash
# 0012-lockdep: the lock playground, `slabfs lockdep FILE|-`, without a mount. Exit
# status 0 silent / 1 reported / 2 malformed; only lockdep's text on stdout; the seed 001
# cycle as a script reports as the v5.19 mount does; the README's ABBA example is what
# slabfs prints; the transcribed lib/locking-selftest.c suite passes.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

EXAMPLES="$ROOT/mountpoint-scripts/lockdep"
ktap_header
ktap_plan 9

# run_lockdep WANT_RC ARGS...: slabfs lockdep ARGS, into $OUT and $ERR; fails unless the
# exit status is WANT_RC.
OUT=""
ERR=""
run_lockdep() {
  local want=$1 rc=0 errf
  shift
  errf=$(mktemp)
  OUT=$(slabfs_cmd lockdep "$@" 2>"$errf") || rc=$?
  ERR=$(cat "$errf")
  rm -f "$errf"
  if ((rc != want)); then
    echo "slabfs lockdep $*: exit $rc, expected $want"
    echo "stdout: $OUT"
    echo "stderr: $ERR"
    return 1
  fi
}

# has_lines LINE...: every LINE is a whole line of $OUT.
has_lines() {
  local line
  for line in "$@"; do
    grep -qxF -- "$line" <<<"$OUT" || {
      echo "missing line '$line' in:"
      echo "$OUT"
      return 1
    }
  done
}

# mask: kernel addresses as the golden files of the suites mask them.
mask() { sed -E 's/\b[0-9a-f]{16}\b/ADDR/g'; }

check_abba() {
  run_lockdep 1 "$EXAMPLES/abba.lockdep" || return 1
  [[ -z $ERR ]] || {
    echo "stderr not empty: $ERR"
    return 1
  }
  has_lines 'WARNING: possible circular locking dependency detected' \
    'T2/1001 is trying to acquire lock:' '  lock(B);' '                               lock(A);' ||
    return 1
  if [[ $(head -n1 <<<"$OUT") != "" || $(tail -n1 <<<"$OUT") != " </TASK>" ]]; then
    echo "expected the report from its blank first line to ' </TASK>':"
    echo "$OUT"
    return 1
  fi
}

check_silent() {
  run_lockdep 0 - <<'EOF' || return 1
lock A mutex
lock X1 rwsem class=X
lock X2 rwsem class=X
T1 mutex_lock A
T1 down_read X1
T1 up_read X1
T1 mutex_unlock A
T2 mutex_lock A
EOF
  [[ -z $OUT && -z $ERR ]] || {
    echo "expected no output: '$OUT' '$ERR'"
    return 1
  }
}

check_malformed() {
  run_lockdep 2 - <<<$'lock A mutex\n\n# comment\nT1 mutex_lock B\n' || return 1
  [[ -z $OUT && $ERR == "slabfs: <stdin>: line 4: lock 'B' is not declared" ]] || {
    echo "stdout '$OUT', stderr '$ERR'"
    return 1
  }
}

check_recursive_reads() {
  # read_lock is a recursive reader: rlock_ABBA2 of the kernel's selftests is no deadlock
  run_lockdep 0 - <<'EOF'
lock R rwlock
lock S spinlock
T1 read_lock R
T1 spin_lock S
T1 spin_unlock S
T1 read_unlock R
T2 spin_lock S
T2 read_lock R
EOF
}

check_seed001_v519() {
  run_lockdep 1 --kernel v5.19 "$EXAMPLES/seed-001.lockdep" || return 1
  has_lines '5.19.0-slabfs #1 Not tainted' '  cpu_hotplug_lock --> slab_mutex --> kn->active' \
    '  lock(kn->active);' '  lock(cpu_hotplug_lock);' '3 locks held by W/1000:' || return 1
  if grep -q 'rlock(' <<<"$OUT"; then
    echo "rlock( before 6.4:"
    echo "$OUT"
    return 1
  fi
}

check_seed001_v618() {
  run_lockdep 1 --kernel v6.18 "$EXAMPLES/seed-001.lockdep" || return 1
  has_lines '  rlock(kn->active);' '  rlock(cpu_hotplug_lock);'
}

check_graph() {
  run_lockdep 1 --graph "$EXAMPLES/abba.lockdep" || return 1
  has_lines '  "A" -> "B" [color=red, penwidth=2.5];' \
    '  "B" -> "A" [color=red, penwidth=2.5, style=dashed, label="closes the cycle"];'
}

# The README's example output (between its lockdep-example markers) is what slabfs prints.
check_readme_example() {
  local readme want
  readme="$ROOT/README.md"
  want=$(sed -n '/<!-- lockdep-abba-output -->/,/<!-- \/lockdep-abba-output -->/p' "$readme" |
    sed '1,2d;$d' | sed '$d')
  [[ -n $want ]] || {
    echo "no lockdep-abba-output block in README.md"
    return 1
  }
  run_lockdep 1 "$EXAMPLES/abba.lockdep" || return 1
  diff <(mask <<<"$want") <(mask <<<"$OUT") || return 1
}

check_selftest() {
  run_lockdep 0 --selftest || return 1
  has_lines 'Good, all  93 testcases passed! |' || return 1
  ktap_diag "$(grep -F 'testcases' <<<"$OUT")"
}

ktap_run "a three-line ABBA reports the circular dependency, exit 1, only lockdep's text" check_abba
ktap_run "a script without a cycle (stdin) prints nothing, exit 0" check_silent
ktap_run "a malformed script: exit 2 and the line and what is wrong" check_malformed
ktap_run "recursive read_lock under a spinlock and the reverse is no cycle" check_recursive_reads
ktap_run "seed 001 as a script on v5.19: the mount's chain and lock( table" check_seed001_v519
ktap_run "seed 001 as a script on v6.18: rlock( for the reads (6.4 on)" check_seed001_v618
ktap_run "--graph prints DOT with the cycle in red" check_graph
ktap_run "the README's ABBA example is what slabfs prints (addresses masked)" check_readme_example
ktap_run "--selftest: the transcribed lib/locking-selftest.c passes" check_selftest

ktap_finish
