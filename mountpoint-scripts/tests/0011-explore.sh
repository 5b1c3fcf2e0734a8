#!/usr/bin/env bash
# 0011-explore: `slabfs explore` finds seed 001's deadlock and lockdep report on v5.19 with no
# pause point placed by hand, `slabfs replay` of its token prints the same finding every time,
# the fixed eras explore exhaustively and find nothing, seed 000 finds the use-after-free only
# without the pin, and bad scenarios and options are refused with exit status 2. In the model:
# nothing is mounted.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

SCEN=$ROOT/mountpoint-scripts/scenarios
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# explore NAME ARGS...: runs `slabfs explore ARGS` into $OUT/NAME, its exit status into $OUT/NAME.rc
explore() {
  local name=$1 rc=0
  shift
  slabfs_cmd explore "$@" >"$OUT/$name" 2>&1 || rc=$?
  echo "$rc" >"$OUT/$name.rc"
}

# has NAME RC PATTERN...: the run exited RC and its output matches every (grep -E) PATTERN
has() {
  local name=$1 rc=$2 p
  shift 2
  grep '^slabfs explore:\|^slabfs replay:\|^slabfs: ' "$OUT/$name" || true
  [[ $(cat "$OUT/$name.rc") == "$rc" ]] || { echo "exit status $(cat "$OUT/$name.rc"), expected $rc"; return 1; }
  for p in "$@"; do
    grep -qE -- "$p" "$OUT/$name" || { echo "no line matches: $p"; return 1; }
  done
}

# token NAME TITLE: the replay token printed for the finding whose title contains TITLE
token() {
  awk -v t="$2" 'index($0, "== finding") && index($0, t) {f = 1} f && /^replay: / {print $2; exit}' \
    "$OUT/$1"
}

replays_the_same() {
  local tok a b rc=0
  tok=$(token v519 "deadlock: ")
  [[ -n $tok ]] || { echo "no deadlock token"; return 1; }
  echo "token $tok"
  for r in 1 2; do
    rc=0
    slabfs_cmd replay "$SCEN/seed-001.scenario" "$tok" --kernel v5.19 >"$OUT/replay$r" 2>&1 || rc=$?
    ((rc == 1)) || { echo "replay $r: exit $rc"; cat "$OUT/replay$r"; return 1; }
  done
  # lock addresses are per boot, the time per run; nothing else may differ
  a=$(sed -E 's/ffff[0-9a-f]{12}/ADDR/g; s/, [0-9.]+ s$//' "$OUT/replay1")
  b=$(sed -E 's/ffff[0-9a-f]{12}/ADDR/g; s/, [0-9.]+ s$//' "$OUT/replay2")
  [[ $a == "$b" ]] || { diff <(echo "$a") <(echo "$b"); return 1; }
  grep -q "deadlock: W, H and D wait for each other" "$OUT/replay1" &&
    grep -q "WARNING: possible circular locking dependency detected" "$OUT/replay1" &&
    grep -q "replay: $tok" "$OUT/replay1"
}

one_line_exit2() {
  local out rc=0
  out=$(slabfs_cmd "$@" 2>&1) || rc=$?
  echo "exit $rc: $out"
  ((rc == 2)) && [[ $(grep -c . <<<"$out") == 1 ]]
}

pinned_and_refused() {
  has pinned 0 "nothing found" "exhaustive within 2 preemptions" &&
    has refused 0 "x  M: ENOEXEC, ENOENT \| P: ENOENT, EINVAL"
}

bad_line_refused() {
  local out
  out=$(one_line_exit2 explore "$OUT/bad.scenario") || { echo "$out"; return 1; }
  echo "$out"
  grep -q "line 2: expected 'echo VALUE > PATH'" <<<"$out"
}

ktap_header
ktap_plan 9

explore v519 "$SCEN/seed-001.scenario" --kernel v5.19
ktap_run "seed 001 on v5.19: the three-party deadlock, found by the explorer" \
  has v519 1 "^== finding [0-9]+: deadlock: W, H and D wait for each other" \
  "slabfs: wait-for cycle: W/1001 waits in cpu_hotplug_lock \(read\) -> H/1003" \
  "kernfs_drain\(seedx/cpu_partial\)  <-- blocks" "exhaustive within 2 preemptions"
ktap_run "seed 001 on v5.19: the lockdep report, on a schedule that did not deadlock" \
  has v519 1 "^== finding [0-9]+: lockdep: possible circular locking dependency detected" \
  "slabfs: found on a schedule that did not deadlock" "Chain exists of:"
ktap_run "seed 001 on v5.19: replay prints the same finding every time" replays_the_same

for era in v6.1 v7; do
  explore "$era" "$SCEN/seed-001.scenario" --kernel "$era"
  ktap_run "seed 001 on $era: exhaustive within the default bound, nothing found" \
    has "$era" 0 "nothing found; [0-9]+ schedules .*exhaustive within 2 preemptions"
done

explore unpinned "$SCEN/seed-000.scenario" --kernel v7+static-cache-unpinned
explore pinned "$SCEN/seed-000.scenario" --kernel v7+static-cache
explore refused "$SCEN/seed-000.scenario" --kernel v6.18
ktap_run "seed 000: use-after-free on v7+static-cache-unpinned" \
  has unpinned 1 "^== finding 1: BUG: KASAN: vmalloc-out-of-bounds in kobject_put"
ktap_run "seed 000: nothing on v7+static-cache, the insmod refusal on v6.18" \
  pinned_and_refused

printf 'setup kmem_cache_create x 64\nW: echo 1 kernel/slab/x/shrink\n' >"$OUT/bad.scenario"
ktap_run "a bad scenario line is refused with its number, exit 2" bad_line_refused
ktap_run "a bad option is refused, exit 2" \
  one_line_exit2 explore "$SCEN/seed-001.scenario" --strategy bfs
ktap_finish
