#!/usr/bin/env bash
# stress/lib.sh: the engine of the slabfs stress scripts. Each script in this directory is
# `stress_main KIND "$@"`; see stress_usage below for what a run does and checks.
#
# Design notes (what a reader of the results needs to know):
# - Every operation is one open+read or open+write(2) done by a bash builtin (read,
#   printf), so no fork per operation; its error is the strerror text bash prints, mapped
#   back to an errno name. bash, not sh: dash reports every failed write as "I/O error".
# - Worker i sends its sim/ctl commands through sim/ctl.d/$((i % 8)): FUSE serialises
#   writes to one file, so a blocking command on a shared channel would hold up the rest.
# - A cache or module "may vanish" (so ENOENT/ENODEV are expected on its files) when its
#   name starts with stress_ or it was not in kernel/slab (module/) when the run started,
#   e.g. the :A-0000328 directory of a churned mergeable cache. A write to a vanished
#   file whose directory is still there gives EACCES, as on sysfs: bash opens with
#   O_CREAT, and kernfs directories have no ->create.
# - cache-churn shares 8 names between all workers (stress_merge0-3 mergeable,
#   stress_nomerge0-3 SLAB_NO_MERGE, or a constructor before 6.5). create/destroy of a
#   name take that name's flock(1) exclusively, alloc+free pairs take it shared: so a
#   cache is never destroyed while a worker still has objects in it (that is a kernel
#   WARNING and, before 6.12, a cache that stays listed forever), while different names, the caches they merge into,
#   readers, writers and hotplug still race freely. Names are shared, so one worker's
#   destroy gives another's ENOENT, and a create of a name that exists makes a duplicate
#   cache (kernel-style: sysfs refuses the second directory).
# - Destroying a mergeable cache leaves its name symlink in kernel/slab behind (the
#   kernel does the same; the next create of the name replaces it). So after a run
#   kernfs_nodes must equal its start value plus the growth in the number of stress_*
#   symlinks in kernel/slab; caches, kobjects and modules must equal their start values.
# - module-churn loads stress_mod_f<F>_{a,b,c} (b depends on a, c on b), with caches
#   and parameters; module_get/module_put pairs are made by the same worker, so a module
#   can be unloaded once the run stops.
# - sim/dmesg is a 128 KiB ring that churn fills in seconds (failed sim/ctl commands are
#   logged), so it is followed during the run (dmesg_follower) and the number of records
#   seen is checked against sim/stats dmesg_records.
# - One stress run per mount at a time: a run's invariants compare the mount's state
#   before and after it. cache-churn and module-churn first remove what an interrupted
#   earlier run of theirs left; what cannot be removed is reported and not counted.
set -euo pipefail
export LC_ALL=C

STRESS_KINDS=(readers writers cache-churn cpu-churn module-churn)
STRESS_LIB_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
STRESS_ROOT=$(cd "$STRESS_LIB_DIR/../.." && pwd)
PARAM_TABLE=$STRESS_ROOT/slabcore/src/main/resources/io/slabfs/kernel/sim/builtin-modules.txt
# shellcheck source-path=SCRIPTDIR/.. source=lib/sim.sh
source "$STRESS_ROOT/mountpoint-scripts/lib/sim.sh"
# Seconds a request may take beyond the hung-task timeout before the run fails.
STRESS_SLACK=${STRESS_SLACK:-5}
RSS_PERIOD=${RSS_PERIOD:-10}
# Unexpected-error details kept per worker.
STRESS_LOG_MAX=20

CACHE_POOL=(
  "stress_merge0 64" # merges into the boot caches' :0000064
  "stress_merge1 4000"
  "stress_merge2 4000" # merges with stress_merge1 when both exist
  "stress_merge3 328 flags=SLAB_ACCOUNT"
  "stress_nomerge0 64 flags=SLAB_NO_MERGE"
  "stress_nomerge1 200 flags=SLAB_NO_MERGE"
  "stress_nomerge2 200 flags=SLAB_NO_MERGE"
  "stress_nomerge3 2048 flags=SLAB_NO_MERGE|SLAB_ACCOUNT"
)
# Before 6.5 there is no SLAB_NO_MERGE (the model refuses it with EINVAL, as those kernels
# do not know the flag): a constructor makes those caches unmergeable instead.
NOMERGE_CTOR=stress_ctor
MODULE_FAMILIES=2
# Parameters of the stress modules: insmod types them long, bool and charp by value.
declare -A STRESS_MOD_PTYPE=([level]=long [verbose]=bool [tag]=charp)

# Global tables (associative, so path indexes are never arithmetic).
declare -A SLAB_DEBUG=() PTYPE=() ORIG=() SKIP_PARAM=() BASE_SLAB=() BASE_MOD=() START=()
declare -A LEFT_START=()
SLAB_WATTRS=()
PARAM_FILES=()
PIDS=()
MODULE_LETTERS=(a b c)
declare -A MODULE_DEP=([b]=a [c]=b)

declare -A NUM_MAX=([byte]=255 [short]=32767 [ushort]=65535 [int]=2147483647
  [uint]=4294967295 [hexint]=4294967295 [long]=9223372036854775807
  [ulong]=18446744073709551615)
declare -A NUM_OVER=([byte]=256 [short]=32768 [ushort]=65536 [int]=2147483648
  [uint]=4294967296 [hexint]=4294967296 [long]=9223372036854775808
  [ulong]=18446744073709551616)
declare -A NUM_MIN=([short]=-32768 [int]=-2147483648 [long]=-9223372036854775808)
declare -A NUM_UNDER=([short]=-32769 [int]=-2147483649 [long]=-9223372036854775809)

stress_usage() {
  cat <<EOF
usage: ${STRESS_PROG:-stress/KIND} [-t SECONDS] [-j N] MOUNTPOINT

Stress a mounted slabfs (as root) for SECONDS (default 20; the environment variable
SLABFS_STRESS_SECONDS overrides -t) with N parallel workers (default 4), then clean up,
check invariants and print a summary table: operations, errors by errno (expected ones,
and UNEXPECTED ones), max latency per operation, and sim/stats' lockdep reports,
hung-task reports and broken deadlocks. Exit 0 if nothing unexpected happened, 1 if an
operation failed with an errno the kernel would not give or an invariant failed, 2 on
bad usage.

  readers       cat every file under kernel/slab, module/, devices/system/cpu and sim/
                (not sim/ctl*); ENOENT/ENODEV only on churned caches, modules and an offlined
                CPU's topology/; EACCES
                only on write-only files (the kernel's open check), never elsewhere.
  writers       write valid and invalid values to every writable cache attribute
                (cpu_partial, min_partial, remote_node_defrag_ratio, shrink, validate),
                every writable module parameter whose kernel type is known, and loaded
                modules' uevent; valid ones must succeed, invalid ones must fail with
                exactly the kernel's errno (EINVAL, ERANGE, ENOSPC). Values are restored.
  cache-churn   kmem_cache_create/alloc/free/kmem_cache_destroy on shared stress_ names,
                mergeable and SLAB_NO_MERGE (a constructor before 6.5); ENOENT for a name already destroyed, EINVAL
                for freeing more than allocated (checked exactly). Destroys all at the end.
  cpu-churn     offline/online cpu1..cpuN-1 through cpuN/online and sim/ctl cpu_down /
                cpu_up, plus invalid values (EINVAL); EBUSY only for the last online CPU.
                Restores the starting online mask.
  module-churn  insmod/rmmod/module_get/module_put of stress_mod_ modules with caches,
                parameters and depends= chains; EEXIST, ENOENT, EAGAIN, EBUSY and ENODEV
                where the kernel gives them. Unloads everything at the end.
  all           all of the above at once; N workers are dealt round-robin to the five
                kinds (at least one each).

Writes to a file that vanished with its cache or module may also give EACCES (bash
opens with O_CREAT; sysfs directories cannot create files). Worker i sends its sim/ctl
commands through sim/ctl.d/\$((i % 8)). Run one stress script per mount at a time;
cache-churn and module-churn first remove the stress_ caches and modules an interrupted
run left behind (what cannot be removed is reported and left out of the checks).

Invariants after every run: sim/stats held_locks, blocked_tasks, active_refs 0;
open_files, caches, kobjects, modules as at the start; kernfs_nodes as at the start plus
the new stress_* name symlinks that destroyed mergeable caches leave behind (as the
kernel does); objects <= total_objects = slabs * objs_per_slab, objects_partial <=
partial * objs_per_slab, per node and summed, in every cache; no BUG:, WARNING,
hung-task or lockdep line among the sim/dmesg records of the run (followed while it
runs, as the ring is small; on v5.19, whose seed-001 deadlock is real, lockdep and
hung-task reports and EDEADLK for broken deadlocks are allowed); no operation slower
than the hung-task timeout + ${STRESS_SLACK} s (STRESS_SLACK); no worker blocked at the end.

The summary also shows the daemon's resident memory (VmRSS of sim/variant's daemon_pid)
at the start, after 5 minutes, at the end and the highest seen (sampled every
RSS_PERIOD s, default ${RSS_PERIOD}).
EOF
}

# ---- small utilities ----------------------------------------------------------------

st_die() {
  printf '%s: %s\n' "${STRESS_PROG:-stress}" "$*" >&2
  exit 2
}

st_now_us() { NOW_US=${EPOCHREALTIME/./}; }

# st_errno_name TEXT: ERR=the errno name of a strerror TEXT.
st_errno_name() {
  case $1 in
    "Invalid argument") ERR=EINVAL ;;
    "No such file or directory") ERR=ENOENT ;;
    "No such device") ERR=ENODEV ;;
    "Numerical result out of range") ERR=ERANGE ;;
    "Resource temporarily unavailable") ERR=EAGAIN ;;
    "Device or resource busy") ERR=EBUSY ;;
    "File exists") ERR=EEXIST ;;
    "Permission denied") ERR=EACCES ;;
    "Connection timed out") ERR=ETIMEDOUT ;;
    "Resource deadlock avoided") ERR=EDEADLK ;;
    "Operation not permitted") ERR=EPERM ;;
    "Exec format error") ERR=ENOEXEC ;;
    "No space left on device") ERR=ENOSPC ;;
    "Input/output error") ERR=EIO ;;
    "Cannot allocate memory") ERR=ENOMEM ;;
    "Bad address") ERR=EFAULT ;;
    "Interrupted system call") ERR=EINTR ;;
    "Transport endpoint is not connected") ERR=ENOTCONN ;;
    "Function not implemented") ERR=ENOSYS ;;
    "Is a directory") ERR=EISDIR ;;
    "Not a directory") ERR=ENOTDIR ;;
    "Too many open files") ERR=EMFILE ;;
    "Argument list too long") ERR=E2BIG ;;
    "Read-only file system") ERR=EROFS ;;
    *) ERR="E?(${1// /_})" ;;
  esac
}

# st_result: ERR = the errno of the operation whose stderr is in ERRF ("" on success).
st_result() {
  local line
  ERR=
  ERR_TEXT=
  [[ -s $ERRF ]] || return 0
  IFS= read -r line <"$ERRF" || true
  ERR_TEXT=$line
  st_errno_name "${line##*: }"
}

# st_write FILE DATA: one open and one write(2) of DATA (bash's printf flushes at a
# newline, so DATA may end in one newline but hold no other); sets ERR and LAT (us).
st_write() {
  local t0=${EPOCHREALTIME/./}
  { printf '%s' "$2" >"$1"; } 2>"$ERRF" || true
  LAT=$((${EPOCHREALTIME/./} - t0))
  st_result
}

# st_read FILE: open and read FILE to its end (or to a NUL byte) into VALUE; ERR, LAT.
st_read() {
  local t0=${EPOCHREALTIME/./}
  VALUE=
  { IFS= read -r -d '' VALUE <"$1"; } 2>"$ERRF" || true
  LAT=$((${EPOCHREALTIME/./} - t0))
  st_result
}

# st_ctl COMMAND...: one sim/ctl command through this worker's channel.
st_ctl() { st_write "$CTL" "$*"; }

declare -A OPS=() ERRS=() LATS=()
BAD=0

# st_note KIND OP CLASS DETAIL EXPECTED: count one operation (CLASS ok, exp, dl or bad).
st_note() {
  local key=$1$'\t'$2 ekey
  OPS[$key]=$((${OPS[$key]:-0} + 1))
  if [[ -n $ERR ]]; then
    ekey=$key$'\t'$ERR$'\t'$3
    ERRS[$ekey]=$((${ERRS[$ekey]:-0} + 1))
  fi
  if ((LAT > ${LATS[$key]:-0})); then
    LATS[$key]=$LAT
  fi
  if [[ $3 == bad ]]; then
    BAD=$((BAD + 1))
    if ((BAD <= STRESS_LOG_MAX)); then
      printf '%s %s %s: %s -> %s (expected: %s)%s\n' "$W_NAME" "$1" "$2" "$4" \
        "${ERR:-success}" "$5" "${ERR_TEXT:+ [$ERR_TEXT]}" >>"$LOGF"
    fi
  fi
}

# st_judge KIND OP EXPECTED DETAIL: classify the last operation against EXPECTED (a
# list of errno names and "ok" for success) and count it; returns 0 unless unexpected.
st_judge() {
  local outcome=${ERR:-ok} class=ok
  if [[ " $3 " == *" $outcome "* ]]; then
    [[ -z $ERR ]] || class=exp
  elif [[ $ERR == EDEADLK && $DEADLOCKS_EXPECTED == 1 ]]; then
    class=dl
  else
    class=bad
  fi
  st_note "$1" "$2" "$class" "$4" "$3"
  [[ $class != bad ]]
}

# st_show DATA: DATA for a log line (quoted, long values shortened).
st_show() {
  local d=$1
  ((${#d} <= 40)) || d="${d:0:20}...(${#d} bytes)"
  printf '%q' "$d"
}

# st_volatile PATH: 0 if PATH is under a cache, module or CPU topology that may vanish
# during the run.
st_volatile() {
  local rel=${1#"$MNT"/} top
  case $rel in
    kernel/slab/*)
      top=${rel#kernel/slab/}
      top=${top%%/*}
      [[ $top == stress_* || -z ${BASE_SLAB[$top]:-} ]]
      ;;
    module/*)
      top=${rel#module/}
      top=${top%%/*}
      [[ $top == stress_* || -z ${BASE_MOD[$top]:-} ]]
      ;;
    # a CPU's topology/ goes with it when cpu-churn takes it down (a CPUHP prepare state)
    devices/system/cpu/cpu*/topology/*) return 0 ;;
    *) return 1 ;;
  esac
}

st_running() { ((${EPOCHREALTIME/./} < DEADLINE_US)); }

# st_rand N: R = a random number in 0..N-1.
st_rand() { R=$((SRANDOM % $1)); }

# st_cpulist LIST: CPUS = the numbers of a cpulist such as 0-3,5.
st_cpulist() {
  local part a b
  CPUS=()
  local IFS=,
  for part in $1; do
    [[ -n $part ]] || continue
    if [[ $part == *-* ]]; then
      a=${part%-*}
      b=${part#*-}
    else
      a=$part
      b=$part
    fi
    for ((; a <= b; a++)); do CPUS+=("$a"); done
  done
}

# st_read_line FILE: LINE = FILE's content without its trailing newline, or return 1.
st_read_line() {
  st_read "$1"
  [[ -z $ERR ]] || return 1
  LINE=${VALUE%$'\n'}
}

# st_nomerge_for_release RELEASE: before 6.5, CACHE_POOL's and the modules' SLAB_NO_MERGE
# caches get a constructor instead (NOMERGE_MODULE_CACHE: the FLAGS[:CTOR] of insmod's cache=).
st_nomerge_for_release() {
  local major=${1%%.*} rest=${1#*.} minor i
  minor=${rest%%.*}
  NOMERGE_MODULE_CACHE=SLAB_NO_MERGE
  if ((major < 6 || (major == 6 && minor < 5))); then
    NOMERGE_MODULE_CACHE=:$NOMERGE_CTOR
    for i in "${!CACHE_POOL[@]}"; do
      CACHE_POOL[i]=${CACHE_POOL[i]/flags=SLAB_NO_MERGE|/flags=}
      CACHE_POOL[i]=${CACHE_POOL[i]/flags=SLAB_NO_MERGE/}
      [[ ${CACHE_POOL[i]} == stress_nomerge* ]] && CACHE_POOL[i]="${CACHE_POOL[i]% } ctor=$NOMERGE_CTOR"
    done
  fi
}

# st_stats_snapshot ARRAY: ARRAY[key]=value for every line of sim/stats, open_files as it
# is once the files closed before are released (lib/sim.sh sim_open_files).
# shellcheck disable=SC2034 # into is a nameref to the caller's array
st_stats_snapshot() {
  local -n into=$1
  local k v
  st_read "$MNT/sim/stats"
  [[ -z $ERR ]] || st_die "cannot read $MNT/sim/stats: $ERR_TEXT"
  while read -r k v; do
    [[ -n $k ]] || continue
    into["$k"]=$v
  done <<<"$VALUE"
  into["open_files"]=$(sim_open_files "$MNT") || st_die "cannot read open_files of $MNT/sim/stats"
}

# ---- readers ------------------------------------------------------------------------

# st_list_files: FILES (readable) and WO_FILES (no read bit) under the four trees; not
# sim/kmsg, whose read sleeps until the next record (the dmesg follower reads it).
st_list_files() {
  local mode path
  FILES=()
  WO_FILES=()
  while IFS=' ' read -r -d '' mode path; do
    if ((8#$mode & 0444)); then
      FILES+=("$path")
    else
      WO_FILES+=("$path")
    fi
  done < <(find "$MNT/kernel/slab" "$MNT/module" "$MNT/devices/system/cpu" "$MNT/sim" \
    \( -path "$MNT/sim/ctl" -o -path "$MNT/sim/ctl.d" -o -path "$MNT/sim/kmsg" \) -prune -o \
    -type f -printf '%m %p\0' 2>/dev/null)
  # name symlinks of churned caches: read through them too (they may dangle)
  for path in "$MNT"/kernel/slab/stress_*; do
    [[ -L $path ]] && FILES+=("$path/objects")
  done
  return 0
}

worker_readers() {
  local f i n start expect
  while st_running; do
    st_list_files
    n=${#FILES[@]}
    ((n > 0)) || break
    start=$((SRANDOM % n))
    for ((i = 0; i < n; i++)); do
      st_running || break
      f=${FILES[(start + i) % n]}
      st_read "$f"
      expect=ok
      st_volatile "$f" && expect="ok ENOENT ENODEV"
      st_judge readers read "$expect" "cat ${f#"$MNT"/}"
      if ((i % 64 == 0 && ${#WO_FILES[@]} > 0)); then
        f=${WO_FILES[SRANDOM % ${#WO_FILES[@]}]}
        st_read "$f"
        expect=EACCES
        st_volatile "$f" && expect="EACCES ENOENT"
        st_judge readers read-writeonly "$expect" "cat ${f#"$MNT"/}"
      fi
    done
  done
}

# ---- writers ------------------------------------------------------------------------

# writers_setup: the attributes and parameters to write, their types and start values.
writers_setup() {
  local d name attr f line mod param type
  PARAMS_SKIPPED=0
  # the writable cache attributes of this era, from kmalloc-64 (or any cache)
  d=$MNT/kernel/slab/kmalloc-64
  [[ -d $d ]] || d=$(find "$MNT/kernel/slab" -mindepth 1 -maxdepth 1 -type d -print -quit)
  for attr in cpu_partial min_partial remote_node_defrag_ratio shrink validate; do
    [[ -n $(find "$d/$attr" -maxdepth 0 -perm /0200 2>/dev/null) ]] && SLAB_WATTRS+=("$attr")
  done
  for d in "$MNT"/kernel/slab/*; do
    [[ -d $d && ! -L $d ]] || continue
    name=${d##*/}
    [[ $name == stress_* ]] && continue
    SLAB_DEBUG[$name]=0
    for attr in sanity_checks red_zone poison store_user trace; do
      if st_read_line "$d/$attr" && [[ $LINE == 1 ]]; then
        SLAB_DEBUG[$name]=1
      fi
    done
    for attr in cpu_partial min_partial remote_node_defrag_ratio; do
      [[ " ${SLAB_WATTRS[*]} " == *" $attr "* ]] || continue
      st_read_line "$d/$attr" || st_die "cannot read ${d#"$MNT"/}/$attr: $ERR_TEXT"
      ORIG[$d/$attr]=$LINE
    done
  done
  # the kernel's parameter types, from the built-in module table slabfs boots from;
  # parameters with their own kernel_param_ops ("custom") or a guessed type are skipped
  if [[ -r $PARAM_TABLE ]]; then
    while read -r line; do
      case $line in
        "# custom: "* | "# guessed: "*)
          line=${line#\# * }
          SKIP_PARAM[${line%%:*}]=1
          ;;
        \#* | "") ;;
        *)
          read -r mod f param type _ <<<"$line"
          [[ $f == param ]] && PTYPE[$mod/$param]=$type
          ;;
      esac
    done <"$PARAM_TABLE"
  fi
  while IFS= read -r -d '' f; do
    param=${f##*/}
    mod=${f#"$MNT"/module/}
    mod=${mod%%/*}
    [[ $mod == stress_* ]] && continue
    type=${PTYPE[$mod/$param]:-}
    if [[ -z $type || -n ${SKIP_PARAM[$mod.$param]:-} ]]; then
      PARAMS_SKIPPED=$((PARAMS_SKIPPED + 1))
      continue
    fi
    st_read "$f"
    [[ -z $ERR ]] || st_die "cannot read ${f#"$MNT"/}: $ERR_TEXT"
    ORIG[$f]=${VALUE%$'\n'}
    PTYPE[$f]=$type
    PARAM_FILES+=("$f")
  done < <(find "$MNT/module" -path '*/parameters/*' -type f -perm /0200 -print0)
}

# writers_targets: TARGETS = every file to write in this pass.
writers_targets() {
  local d a f
  TARGETS=("${PARAM_FILES[@]}")
  while IFS= read -r -d '' d; do
    for a in "${SLAB_WATTRS[@]}"; do TARGETS+=("$d/$a"); done
  done < <(find "$MNT/kernel/slab" -mindepth 1 -maxdepth 1 -type d -print0 2>/dev/null)
  for f in "$MNT"/module/stress_mod_*/parameters/*; do
    [[ -n ${STRESS_MOD_PTYPE[${f##*/}]:-} ]] && TARGETS+=("$f")
  done
  for f in "$MNT"/module/*/uevent; do
    [[ -e $f ]] && TARGETS+=("$f")
  done
}

# num_case TYPE: DATA and EXPECT for an integer parameter of kernel type TYPE.
num_case() {
  local t=$1 signed=0
  [[ -n ${NUM_MIN[$t]:-} ]] && signed=1
  st_rand 12
  case $R in
    0 | 1) DATA=$((SRANDOM % 100)) EXPECT=ok ;;
    2) DATA=${NUM_MAX[$t]} EXPECT=ok ;;
    3) if ((signed)); then DATA=${NUM_MIN[$t]}; else DATA=0; fi; EXPECT=ok ;;
    4) DATA=0x1f$'\n' EXPECT=ok ;;
    5) DATA=+7 EXPECT=ok ;;
    6) DATA=abc EXPECT=EINVAL ;;
    7) DATA="1 2" EXPECT=EINVAL ;;
    8) DATA=${NUM_OVER[$t]} EXPECT=ERANGE ;;
    9) DATA=99999999999999999999999999 EXPECT=ERANGE ;;
    10) DATA=12abc EXPECT=EINVAL ;;
    *) if ((signed)); then DATA=${NUM_UNDER[$t]} EXPECT=ERANGE; else DATA=-1 EXPECT=EINVAL; fi ;;
  esac
}

bool_case() {
  local valid=(Y N y n 1 0 on off t f $'Y\n' $'0\n')
  st_rand 4
  if ((R < 3)); then
    DATA=${valid[SRANDOM % ${#valid[@]}]} EXPECT=ok
  else
    st_rand 3
    case $R in
      0) DATA=maybe ;;
      1) DATA=2 ;;
      *) DATA=o ;;
    esac
    EXPECT=EINVAL
  fi
}

# param_case FILE TYPE: DATA, EXPECT and OP for a parameter write.
param_case() {
  local f=$1 t=$2 orig=${ORIG[$1]:-} n i el max
  local -a elems
  OP=param
  case $t in
    bool | bint | invbool) bool_case ;;
    byte | short | ushort | int | uint | hexint | long | ulong) num_case "$t" ;;
    charp | string:*)
      # valid: our own text on a stress module, else the start value written back (an
      # empty one cannot be: a zero-length write never reaches the store handler);
      # invalid: one byte too long for the buffer (charp: 1024 bytes)
      max=1025
      [[ $t == string:* ]] && max=${t#string:}
      st_rand 2
      if ((R == 0)) && [[ $f == */module/stress_mod_* ]]; then
        DATA=$W_NAME EXPECT=ok
      elif ((R == 0)) && [[ -n $orig ]]; then
        DATA=$orig EXPECT=ok
      else
        printf -v DATA '%*s' "$max" ''
        DATA=${DATA// /x} EXPECT=ENOSPC
      fi
      ;;
    array:*)
      # valid: at most as many elements as the start value had (the kernel's array may
      # be no longer); invalid: a bad element, an element out of range, 65 elements
      el=${t#array:}
      IFS=, read -r -a elems <<<"$orig"
      n=$((1 + SRANDOM % ${#elems[@]}))
      st_rand 5
      case $R in
        0 | 1)
          DATA=$((SRANDOM % 100))
          for ((i = 1; i < n; i++)); do DATA+=,$((SRANDOM % 100)); done
          EXPECT=ok
          ;;
        2) DATA=1,abc EXPECT=EINVAL ;;
        3) DATA=1,${NUM_OVER[$el]:-99999999999999999999999} EXPECT=ERANGE ;;
        *)
          DATA=0
          for ((i = 1; i < 65; i++)); do DATA+=,0; done
          EXPECT=EINVAL
          ;;
      esac
      ;;
    *)
      DATA=$orig EXPECT=ok
      ;;
  esac
  [[ $EXPECT == ok ]] && OP+=:valid || OP+=:invalid
}

# slab_case ATTR DEBUG: DATA, EXPECT and OP for a cache attribute write.
slab_case() {
  local a=$1 debug=$2
  st_rand 4
  case $a in
    cpu_partial)
      case $R in
        0) DATA=0 EXPECT=ok ;;
        1) if ((debug)); then DATA=$((1 + SRANDOM % 50)) EXPECT=EINVAL; else DATA=$((SRANDOM % 60))$'\n' EXPECT=ok; fi ;;
        2) if ((SRANDOM % 2)); then DATA=abc; else DATA=-1; fi; EXPECT=EINVAL ;;
        *) DATA=4294967296 EXPECT=ERANGE ;;
      esac
      ;;
    min_partial)
      case $R in
        0 | 1) DATA=$((SRANDOM % 12)) EXPECT=ok ;;
        2) if ((SRANDOM % 2)); then DATA=" 5"; else DATA=0x10; fi; EXPECT=EINVAL ;;
        *) DATA=18446744073709551616 EXPECT=ERANGE ;;
      esac
      ;;
    remote_node_defrag_ratio)
      case $R in
        0 | 1) DATA=$((SRANDOM % 101)) EXPECT=ok ;;
        2) DATA=$((101 + SRANDOM % 1000)) EXPECT=ERANGE ;;
        *) if ((SRANDOM % 2)); then DATA=4294967296 EXPECT=ERANGE; else DATA=5x EXPECT=EINVAL; fi ;;
      esac
      ;;
    shrink)
      case $R in
        0 | 1) DATA=1 EXPECT=ok ;;
        2) DATA=0 EXPECT=EINVAL ;;
        *) DATA=x EXPECT=EINVAL ;;
      esac
      ;;
    validate)
      if ((R < 2)); then
        DATA=1
        if ((debug)); then EXPECT=ok; else EXPECT=EINVAL; fi
      else
        DATA=0 EXPECT=EINVAL
      fi
      ;;
  esac
  [[ $EXPECT == ok ]] && OP=$a:valid || OP=$a:invalid
}

uevent_case() {
  st_rand 4
  case $R in
    0) DATA=add EXPECT=ok ;;
    1) DATA="change 0c7a9ee2-5d0b-4a35-a4ad-5f1c2b0e9d11" EXPECT=ok ;;
    2) DATA=bogus EXPECT=EINVAL ;;
    *) DATA="add not-a-uuid" EXPECT=EINVAL ;;
  esac
  [[ $EXPECT == ok ]] && OP=uevent:valid || OP=uevent:invalid
}

# writer_op FILE: one write of a valid or invalid value, judged.
writer_op() {
  local f=$1 rel=${1#"$MNT"/} dir type expect
  case $rel in
    kernel/slab/*)
      dir=${rel#kernel/slab/}
      dir=${dir%%/*}
      slab_case "${rel##*/}" "${SLAB_DEBUG[$dir]:-0}"
      ;;
    module/*/uevent) uevent_case ;;
    module/stress_mod_*) param_case "$f" "${STRESS_MOD_PTYPE[${rel##*/}]}" ;;
    *) param_case "$f" "${PTYPE[$f]}" ;;
  esac
  st_write "$f" "$DATA"
  expect=$EXPECT
  # a file that vanished: ENOENT without its directory, EACCES with it (bash opens
  # with O_CREAT, and kernfs directories have no ->create), ENODEV once open
  st_volatile "$f" && expect+=" ENOENT ENODEV EACCES"
  st_judge writers "$OP" "$expect" "$(st_show "$DATA") > $rel"
}

worker_writers() {
  local i n start
  while st_running; do
    writers_targets
    n=${#TARGETS[@]}
    ((n > 0)) || break
    start=$((SRANDOM % n))
    for ((i = 0; i < n; i++)); do
      st_running || break
      writer_op "${TARGETS[(start + i) % n]}"
    done
  done
}

# writers_finish: write every start value back and check it reads back.
writers_finish() {
  local f bad=0 n=0
  for f in "${!ORIG[@]}"; do
    n=$((n + 1))
    st_write "$f" "${ORIG[$f]}"
    if st_judge writers restore ok "$(st_show "${ORIG[$f]}") > ${f#"$MNT"/}"; then
      if ! st_read_line "$f" || [[ $LINE != "${ORIG[$f]}" ]]; then
        check_fail "writers: ${f#"$MNT"/} reads '${LINE:-$ERR}' after restoring '${ORIG[$f]}'"
        bad=$((bad + 1))
      fi
    else
      bad=$((bad + 1))
    fi
  done
  ((bad > 0)) || check_ok "writers: $n start values written back and read back" \
    "($PARAMS_SKIPPED parameters with custom or unknown set ops not written)"
}

# ---- cache-churn --------------------------------------------------------------------

# cache_lock MODE NAME / cache_unlock NAME: flock(1) on the name's lock file.
cache_lock() { flock "$1" "${LOCKFD[$2]}"; }
cache_unlock() { flock -u "${LOCKFD[$1]}"; }

worker_cache_churn() {
  local spec name args n over k
  declare -A LOCKFD=()
  for spec in "${CACHE_POOL[@]}"; do
    name=${spec%% *}
    exec {k}>"$TMPD/lock.$name"
    LOCKFD[$name]=$k
  done
  while st_running; do
    spec=${CACHE_POOL[SRANDOM % ${#CACHE_POOL[@]}]}
    name=${spec%% *}
    args=${spec#* }
    # destroy a little more often than create, so duplicates do not pile up
    st_rand 20
    if ((R < 6)); then
      cache_lock -x "$name"
      st_ctl kmem_cache_create "$name" "$args"
      cache_unlock "$name"
      # EEXIST: a second cache of the same name whose sysfs entry cannot be added
      # (the kernel fails such a create before 6.13, and keeps it sysfs-less after)
      st_judge cache-churn create "ok EEXIST" "kmem_cache_create $name $args"
    elif ((R < 13)); then
      cache_lock -x "$name"
      st_ctl kmem_cache_destroy "$name"
      cache_unlock "$name"
      st_judge cache-churn destroy "ok ENOENT" "kmem_cache_destroy $name"
    else
      n=$((1 + SRANDOM % 64))
      cache_lock -s "$name"
      if ((SRANDOM % 4 == 0 && CPU0_ONLINE)); then
        st_ctl alloc "$name" "$n" cpu=0
      else
        st_ctl alloc "$name" "$n"
      fi
      if st_judge cache-churn alloc "ok ENOENT" "alloc $name $n" && [[ -z $ERR ]]; then
        # the name cannot be destroyed while we hold its lock shared: these are exact
        if ((SRANDOM % 3 == 0)); then
          over=10000000
          st_ctl free "$name" "$over"
          st_judge cache-churn free-too-many EINVAL "free $name $over"
        fi
        if ((n > 1 && SRANDOM % 2)); then
          k=$((n / 2))
          st_ctl free "$name" "$k"
          st_judge cache-churn free ok "free $name $k"
          n=$((n - k))
        fi
        st_ctl free "$name" "$n"
        st_judge cache-churn free ok "free $name $n"
      fi
      cache_unlock "$name"
    fi
  done
}

# cache_churn_destroy_all OP: destroy every cache made under the pool's names (duplicates
# too), counting each kmem_cache_destroy as OP; returns 1 if one failed unexpectedly.
cache_churn_destroy_all() {
  local spec name i rc=0
  for spec in "${CACHE_POOL[@]}"; do
    name=${spec%% *}
    for ((i = 0; i < 100000; i++)); do
      st_ctl kmem_cache_destroy "$name"
      st_judge cache-churn "$1" "ok ENOENT" "kmem_cache_destroy $name" || rc=1
      [[ -z $ERR ]] || break
    done
  done
  return "$rc"
}

cache_churn_finish() {
  local ok=1
  cache_churn_destroy_all cleanup-destroy || ok=0
  st_new_leftovers kernel/slab
  if [[ -n $LEFT ]]; then
    check_fail "cache-churn: cache directories left after cleanup:$LEFT"
  elif ((ok)); then
    check_ok "cache-churn: every stress_ cache destroyed, no new stress_ directory left"
  fi
}

# ---- cpu-churn ----------------------------------------------------------------------

cpu_churn_setup() {
  local c
  st_read_line "$MNT/devices/system/cpu/online" || st_die "cannot read devices/system/cpu/online"
  CPU_ONLINE_START=$LINE
  st_read_line "$MNT/devices/system/cpu/possible" || st_die "cannot read devices/system/cpu/possible"
  st_cpulist "$LINE"
  CPU_POSSIBLE=${#CPUS[@]}
  HOTPLUG_CPUS=()
  for c in "${CPUS[@]}"; do
    ((c > 0)) && [[ -e $MNT/devices/system/cpu/cpu$c/online ]] && HOTPLUG_CPUS+=("$c")
  done
  return 0
}

worker_cpu_churn() {
  local c f
  if ((${#HOTPLUG_CPUS[@]} == 0)); then
    return 0
  fi
  while st_running; do
    c=${HOTPLUG_CPUS[SRANDOM % ${#HOTPLUG_CPUS[@]}]}
    f=$MNT/devices/system/cpu/cpu$c/online
    st_rand 8
    case $R in
      0 | 1)
        st_write "$f" $'0\n'
        st_judge cpu-churn online:0 "ok EBUSY" "echo 0 > cpu$c/online"
        ;;
      2 | 3)
        st_write "$f" $'1\n'
        st_judge cpu-churn online:1 ok "echo 1 > cpu$c/online"
        ;;
      4)
        st_ctl cpu_down "$c"
        st_judge cpu-churn cpu_down "ok EBUSY" "cpu_down $c"
        ;;
      5)
        st_ctl cpu_up "$c"
        st_judge cpu-churn cpu_up ok "cpu_up $c"
        ;;
      6)
        st_write "$f" "$(((SRANDOM % 2) ? 2 : -1))"
        st_judge cpu-churn online:invalid EINVAL "invalid value > cpu$c/online"
        ;;
      *)
        st_ctl cpu_up "$CPU_POSSIBLE"
        st_judge cpu-churn cpu_up:invalid EINVAL "cpu_up $CPU_POSSIBLE"
        ;;
    esac
  done
}

cpu_churn_finish() {
  local c bad=0 want
  st_cpulist "$CPU_ONLINE_START"
  want=" ${CPUS[*]} "
  for c in "${HOTPLUG_CPUS[@]}"; do
    if [[ $want == *" $c "* ]]; then
      st_ctl cpu_up "$c"
      st_judge cpu-churn restore ok "cpu_up $c" || bad=1
    fi
  done
  for c in "${HOTPLUG_CPUS[@]}"; do
    if [[ $want != *" $c "* ]]; then
      st_ctl cpu_down "$c"
      st_judge cpu-churn restore ok "cpu_down $c" || bad=1
    fi
  done
  st_read_line "$MNT/devices/system/cpu/online" || LINE="($ERR)"
  if [[ $LINE != "$CPU_ONLINE_START" ]]; then
    check_fail "cpu-churn: devices/system/cpu/online is '$LINE', was '$CPU_ONLINE_START'"
    return
  fi
  for c in "${HOTPLUG_CPUS[@]}"; do
    st_read_line "$MNT/devices/system/cpu/cpu$c/online" || LINE="($ERR)"
    if [[ $LINE != "$([[ $want == *" $c "* ]] && echo 1 || echo 0)" ]]; then
      check_fail "cpu-churn: cpu$c/online reads '$LINE' with online = $CPU_ONLINE_START"
      bad=1
    fi
  done
  ((bad)) || check_ok "cpu-churn: online CPUs back to $CPU_ONLINE_START, cpuN/online agree"
}

# ---- module-churn -------------------------------------------------------------------

# module_spec F M: SPEC = the insmod arguments of stress_mod_f<F>_<M>.
module_spec() {
  local base=stress_mod_f$1
  case $2 in
    a) SPEC="${base}_a cache=${base}_a_obj:$((192 + 8 * $1)) cache=${base}_a_buf:512:$NOMERGE_MODULE_CACHE param=level=3 param=verbose=N param=tag=stress" ;;
    b) SPEC="${base}_b cache=${base}_b_obj:1000 param=level=-5 param=tag=b depends=${base}_a" ;;
    *) SPEC="${base}_c param=verbose=Y depends=${base}_b" ;;
  esac
}

# module_param_op MOD HELD: a valid or invalid write to one of MOD's parameters; with
# HELD=1 the module holds our reference, so it cannot go away.
module_param_op() {
  local mod=$1 held=$2 f p expect
  local -a ps
  case $mod in
    *_a) ps=(level verbose tag) ;;
    *_b) ps=(level tag) ;;
    *) ps=(verbose) ;;
  esac
  p=${ps[SRANDOM % ${#ps[@]}]}
  f=$MNT/module/$mod/parameters/$p
  param_case "$f" "${STRESS_MOD_PTYPE[$p]}"
  st_write "$f" "$DATA"
  expect=$EXPECT
  ((held)) || expect+=" ENOENT ENODEV EACCES" # see writer_op
  st_judge module-churn "$OP" "$expect" "$(st_show "$DATA") > module/$mod/parameters/$p"
}

worker_module_churn() {
  local fam m mod dep
  while st_running; do
    fam=$((SRANDOM % MODULE_FAMILIES))
    m=${MODULE_LETTERS[SRANDOM % 3]}
    mod=stress_mod_f${fam}_$m
    st_rand 8
    case $R in
      0 | 1 | 2)
        module_spec "$fam" "$m"
        st_ctl insmod "$SPEC"
        # EEXIST: loaded (or loading) already; ENOENT: a dependency is not live
        st_judge module-churn insmod "ok EEXIST ENOENT" "insmod $SPEC"
        ;;
      3 | 4)
        st_ctl rmmod "$mod"
        # EAGAIN (EWOULDBLOCK): holders or references; EBUSY: coming or going
        st_judge module-churn rmmod "ok ENOENT EAGAIN EBUSY" "rmmod $mod"
        ;;
      5)
        st_ctl module_get "$mod"
        if st_judge module-churn module_get "ok ENOENT ENODEV" "module_get $mod" &&
          [[ -z $ERR ]]; then
          module_param_op "$mod" 1
          st_read "$MNT/module/$mod/refcnt"
          st_judge module-churn refcnt ok "cat module/$mod/refcnt"
          if [[ $m != a ]]; then
            # a loaded module pins what it depends on (the kernel's ref_module()): the
            # dependency must be live and list it in holders/
            dep=stress_mod_f${fam}_${MODULE_DEP[$m]}
            st_read "$MNT/module/$dep/initstate"
            [[ -n $ERR || ${VALUE%$'\n'} == live ]] || ERR="initstate=${VALUE%$'\n'}"
            [[ -n $ERR || -L $MNT/module/$dep/holders/$mod ]] || ERR=no-holders-link
            st_judge module-churn dependency-live ok "module/$dep while $mod is loaded and held"
          fi
          st_ctl module_put "$mod"
          st_judge module-churn module_put ok "module_put $mod"
        fi
        ;;
      *) module_param_op "$mod" 0 ;;
    esac
  done
}

# module_churn_unload_all OP: rmmod every stress module, dependents first, counting
# each as OP; returns 1 if one failed unexpectedly.
module_churn_unload_all() {
  local fam m rc=0
  for ((fam = 0; fam < MODULE_FAMILIES; fam++)); do
    for m in c b a; do
      st_ctl rmmod "stress_mod_f${fam}_$m"
      st_judge module-churn "$1" "ok ENOENT" "rmmod stress_mod_f${fam}_$m" || rc=1
    done
  done
  return "$rc"
}

module_churn_finish() {
  local ok=1
  module_churn_unload_all cleanup-rmmod || ok=0
  st_new_leftovers module
  if [[ -n $LEFT ]]; then
    check_fail "module-churn: modules left after cleanup:$LEFT"
  elif ((ok)); then
    check_ok "module-churn: every stress_mod_ module unloaded"
  fi
}

# st_new_leftovers TREE: LEFT = the stress_ directories in MNT/TREE that were not there
# when the run started.
st_new_leftovers() {
  local d
  LEFT=
  for d in "$MNT/$1"/stress_*; do
    [[ -d $d && ! -L $d ]] || continue
    [[ -n ${LEFT_START[${d#"$MNT"/}]:-} ]] || LEFT+=" ${d#"$MNT"/}"
  done
}

# ---- invariants ---------------------------------------------------------------------

CHECK_LINES=()
CHECK_FAILS=0
check_ok() { CHECK_LINES+=("  ok    $*"); }
check_fail() {
  CHECK_LINES+=("  FAIL  $*")
  CHECK_FAILS=$((CHECK_FAILS + 1))
}

# slab_counters_check: the counters of every cache directory agree with each other.
slab_counters_check() {
  local d name f ops bad=0 dirs=0 total node v
  local -A val=()
  for d in "$MNT"/kernel/slab/*; do
    [[ -d $d && ! -L $d ]] || continue
    name=${d##*/}
    st_read_line "$d/objs_per_slab" || continue
    ops=$LINE
    val=()
    for f in objects total_objects slabs partial objects_partial; do
      st_read_line "$d/$f" || {
        LINE=
        break
      }
      read -r -a parts <<<"$LINE"
      total=0
      val[$f]=${parts[0]}
      for v in "${parts[@]:1}"; do
        [[ $v == N*=* ]] || continue
        node=${v%%=*}
        val[$f.$node]=${v#*=}
        val[nodes]+=" $node"
        total=$((total + ${v#*=}))
      done
      if ((${#parts[@]} > 1 && total != parts[0])); then
        check_fail "$name/$f: '$LINE': the N<node>= parts sum to $total"
        bad=$((bad + 1))
      fi
    done
    [[ -n $LINE ]] || continue
    dirs=$((dirs + 1))
    for node in "" $(tr ' ' '\n' <<<"${val[nodes]:-}" | sort -u); do
      local o=${val[objects${node:+.$node}]:-0} t=${val[total_objects${node:+.$node}]:-0}
      local s=${val[slabs${node:+.$node}]:-0} p=${val[partial${node:+.$node}]:-0}
      local op=${val[objects_partial${node:+.$node}]:-0} where="$name${node:+ $node}"
      if ((o > t || t != s * ops || op > p * ops || p > s || op > o)); then
        check_fail "$where: objects $o, total_objects $t, slabs $s, objs_per_slab $ops, partial $p, objects_partial $op"
        bad=$((bad + 1))
      fi
    done
    ((bad < 10)) || break
  done
  ((bad > 0)) || check_ok "counters consistent in $dirs cache directories" \
    "(objects <= total_objects = slabs * objs_per_slab, objects_partial <= partial * objs_per_slab, per node and summed)"
}

# ---- sim/dmesg ----------------------------------------------------------------------
# The log ring keeps only the last 128 KiB (a few seconds of churn, whose failed sim/ctl
# commands are logged), so a follower reads the records of the run from sim/kmsg while it
# lasts: one open file, whose position is a record sequence number, read every 0.1 s up to
# the newest record (O_NONBLOCK, so a read at the end fails with EAGAIN instead of sleeping).
# Each record carries its sequence number: one missing between two reads is a record the ring
# dropped unread (the read in between failed with EPIPE), counted in dmesg.dropped; at the
# end the records seen are checked against the growth of sim/stats dmesg_records.

# dmesg_poll FD: the records of sim/kmsg open on FD since the last poll; appends the
# unexpected lines among them to dmesg.bad, adds their number to DMESG_SEEN and the number of
# records dropped before they were read to DMESG_DROPPED. DMESG_NEXT is the sequence number
# of the next record of the run.
dmesg_poll() {
  local out tries
  # dd reads one record per read(2) until EAGAIN, or until EPIPE: the next record was
  # overwritten and the file now stands at the oldest one, which the next printk overwrites
  # too, so read again at once (a reader that waits there loses every record to EPIPE)
  : >"$TMPD/kmsg.chunk"
  for ((tries = 0; tries < 100; tries++)); do
    LC_ALL=C dd bs=8192 status=none iflag=nonblock <&"$1" >>"$TMPD/kmsg.chunk" 2>"$TMPD/kmsg.err"
    [[ $(<"$TMPD/kmsg.err") == *"Broken pipe"* ]] || break
  done
  out=$(awk \
    -v next_seq="$DMESG_NEXT" -v badf="$TMPD/dmesg.bad" -v repf="$TMPD/dmesg.lockdep" \
    -v dl="$DEADLOCKS_EXPECTED" '
    function unescape(s,   out, i, h) {
      out = ""
      while ((i = index(s, "\\x")) > 0) {
        h = substr(s, i + 2, 2)
        out = out substr(s, 1, i - 1) sprintf("%c", (index("0123456789abcdef", substr(h, 1, 1)) - 1) * 16 + index("0123456789abcdef", substr(h, 2, 1)) - 1)
        s = substr(s, i + 4)
      }
      return out s
    }
    BEGIN { n = 0; dropped = 0 }
    match($0, /^[0-9]+,[0-9]+,[0-9]+,[^;]*;/) {
      split(substr($0, 1, RLENGTH - 1), f, ",")
      seq = f[2] + 0
      if (seq < next_seq) next
      if (seq > next_seq) dropped += seq - next_seq
      next_seq = seq + 1
      line = sprintf("[%5d.%06d] %s", int(f[3] / 1000000), f[3] % 1000000, unescape(substr($0, RLENGTH + 1)))
      $0 = line
      n++
      # a lockdep report is one run of records, kept for stale_dir_splat, as the ring may
      # have dropped it by the end of the run
      if (/possible circular locking dependency detected/) rep = 1
      if (rep) { print >> repf; if (/stack backtrace:/) rep = 0 }
      if (/BUG:|KASAN|use-after-free/) { print >> badf; next }
      if (dl == 1 && /possible circular locking|INFO: task .* blocked for more than|breaking it by failing/) next
      # judged by stale_dir_splat at the end (its chain must be the kernel path)
      if (/possible circular locking dependency detected/) next
      if (/WARNING:|cut here|INFO: task .* blocked|circular locking|deadlock/) print >> badf
    }
    END { printf "%d %d %d\n", next_seq, n, dropped }' "$TMPD/kmsg.chunk") || true
  local n dropped
  read -r DMESG_NEXT n dropped <<<"$out"
  DMESG_SEEN=$((DMESG_SEEN + ${n:-0}))
  DMESG_DROPPED=$((DMESG_DROPPED + ${dropped:-0}))
}

# dmesg_follower FIRST: follows sim/kmsg from record FIRST (the first of the run), polling
# until a line arrives on STOP_FD, then once more; writes the number of records seen and
# dropped unread to dmesg.seen.
dmesg_follower() {
  set +e
  local fd
  DMESG_NEXT=$1 DMESG_SEEN=0 DMESG_DROPPED=0
  exec {fd}<"$MNT/sim/kmsg"
  while :; do
    dmesg_poll "$fd"
    if read -r -t 0.1 -u "$STOP_FD" _; then
      break
    fi
  done
  dmesg_poll "$fd"
  exec {fd}<&-
  echo "$DMESG_SEEN $DMESG_DROPPED" >"$TMPD/dmesg.seen"
}

# stale_dir_splat: whether the lockdep report in sim/dmesg is the one the kernel's path gives
# when an unmergeable cache is created while its namesake's directory is still being
# unlinked after kmem_cache_destroy dropped slab_mutex: sysfs_slab_add() (or, for a cache that
# merges, sysfs_slab_alias()) -> sysfs_remove_link() -> kernfs_remove_by_name() drains that
# directory's files (kn->active) under slab_mutex. Whichever edge closed the cycle, one
# kn->active entry of the chain has that path.
stale_dir_splat() {
  lockdep_report | awk '/possible circular locking dependency detected/ { f = 1 }
    f && /-> #[0-9]+ \(/ { z = /-> #[0-9]+ \(kn->active/ }
    z && /sysfs_slab_(add|alias)\+/ { ok = 1 }
    /Chain exists of:/ { f = 0; z = 0 }
    END { exit !ok }'
}

# lockdep_report: the lockdep report of the run, as the follower kept it and as sim/dmesg
# still has it.
lockdep_report() {
  { cat "$TMPD/dmesg.lockdep" "$MNT/sim/dmesg" 2>/dev/null || true; } |
    awk '/possible circular locking dependency detected/ { f = 1 } f { print } /stack backtrace:/ { f = 0 }'
}

# lockdep_chain_lines: the lock it tried to take, its chain entries with their first five frames,
# and the chain summary, for a failure message.
lockdep_chain_lines() {
  lockdep_report | sed -E 's/^\[ *[0-9]+\.[0-9]+\] ?//' | awk '
    /-> #[0-9]+ \(/ { print; k = 5; next }
    k > 0 && /^ +[a-z_0-9.]+\+0x/ { print; k--; next }
    /is trying to acquire lock:/ { print; if (getline > 0) print; next }
    /Chain exists of:|^ +[^ ].* --> / { print }' | head -n 40
}

# dmesg_check DELTA: no unexpected line among the DELTA records logged during the run,
# and every one of them was seen.
dmesg_check() {
  local bad seen=0 dropped=0
  read -r seen dropped <"$TMPD/dmesg.seen" 2>/dev/null || true
  bad=$(head -n 8 "$TMPD/dmesg.bad" 2>/dev/null) || true
  if [[ -n $bad ]]; then
    check_fail "sim/dmesg has unexpected lines since the start:"
    while IFS= read -r line; do CHECK_LINES+=("          $line"); done <<<"$bad"
  else
    check_ok "sim/dmesg: no BUG:, WARNING, KASAN$([[ $DEADLOCKS_EXPECTED == 1 ]] || echo ', lockdep or hung-task') line among the records logged during the run ($seen seen of $1)"
  fi
  if ((dropped > 0 || seen < $1)); then
    check_fail "sim/dmesg: $((dropped > $1 - seen ? dropped : $1 - seen)) of the $1 records logged during the run left the ring before they could be checked"
  fi
}

invariants_check() {
  local -A END=()
  local k links_end want
  st_stats_snapshot END
  for k in held_locks blocked_tasks active_refs tasks_holding_locks; do
    [[ -n ${END[$k]:-} ]] || continue
    if [[ ${END[$k]} != 0 ]]; then
      check_fail "sim/stats $k is ${END[$k]}, want 0"
      [[ $k == held_locks || $k == blocked_tasks ]] && check_fail "$(tr '\n' ' ' <"$MNT/sim/held_locks" | cut -c1-400)"
    fi
  done
  [[ ${END[held_locks]} == 0 && ${END[blocked_tasks]} == 0 && ${END[active_refs]} == 0 ]] &&
    check_ok "sim/stats held_locks 0, blocked_tasks 0, active_refs 0"
  for k in open_files caches kobjects modules use_after_free_reports; do
    if [[ ${END[$k]:-} != "${START[$k]:-}" ]]; then
      check_fail "sim/stats $k is ${END[$k]:-?}, was ${START[$k]:-?} at the start"
    fi
  done
  [[ ${END[open_files]} == "${START[open_files]}" && ${END[caches]} == "${START[caches]}" &&
    ${END[kobjects]} == "${START[kobjects]}" && ${END[modules]} == "${START[modules]}" ]] &&
    check_ok "sim/stats open_files ${END[open_files]}, caches ${END[caches]}, kobjects ${END[kobjects]}, modules ${END[modules]}: as at the start"
  links_end=$(find "$MNT/kernel/slab" -mindepth 1 -maxdepth 1 -type l -name 'stress_*' | wc -l)
  want=$((START[kernfs_nodes] + links_end - LINKS_START))
  if ((END[kernfs_nodes] == want)); then
    check_ok "sim/stats kernfs_nodes ${END[kernfs_nodes]} = start ${START[kernfs_nodes]} + $((links_end - LINKS_START)) new stress_* name symlinks left by destroyed mergeable caches"
  else
    check_fail "sim/stats kernfs_nodes ${END[kernfs_nodes]}, want $want (start ${START[kernfs_nodes]} + stress_* symlinks $LINKS_START -> $links_end)"
  fi
  DL_SPLATS=$((END[lockdep_splats] - START[lockdep_splats]))
  if [[ $DEADLOCKS_EXPECTED != 1 ]] && ((DL_SPLATS == 1)) && stale_dir_splat; then
    check_ok "1 lockdep report, the kernel's own: a cache re-created while its old directory was still being unlinked; the sysfs_remove_link of sysfs_slab_add or sysfs_slab_alias drains that directory under slab_mutex"
    DL_SPLATS=0
  fi
  DL_HUNG=$((END[hung_task_reports] - START[hung_task_reports]))
  DL_BROKEN=$((END[deadlocks_broken] - START[deadlocks_broken]))
  if [[ $DEADLOCKS_EXPECTED == 1 ]]; then
    if ((EDEADLK_SEEN > DL_BROKEN)); then
      check_fail "$EDEADLK_SEEN EDEADLK errors but only $DL_BROKEN deadlocks broken"
    else
      check_ok "deadlocks allowed on $ERA: $DL_SPLATS lockdep reports, $DL_BROKEN broken, $EDEADLK_SEEN EDEADLK"
    fi
  elif ((DL_SPLATS + DL_HUNG + DL_BROKEN > 0)); then
    check_fail "$ERA: $DL_SPLATS lockdep reports, $DL_HUNG hung-task reports, $DL_BROKEN broken deadlocks"
    while IFS= read -r line; do CHECK_LINES+=("          $line"); done < <(lockdep_chain_lines)
  else
    check_ok "no lockdep report, hung task or broken deadlock"
  fi
  slab_counters_check
  dmesg_check $((END[dmesg_records] - START[dmesg_records]))
  if ((MAX_LAT_US > LAT_LIMIT_US)); then
    check_fail "max latency $((MAX_LAT_US / 1000)) ms > hung-task timeout $HUNG_TIMEOUT s + $STRESS_SLACK s"
  else
    check_ok "max latency $((MAX_LAT_US / 1000)) ms <= $((LAT_LIMIT_US / 1000)) ms (hung-task timeout $HUNG_TIMEOUT s + $STRESS_SLACK s)"
  fi
}

# ---- the run ------------------------------------------------------------------------

# st_worker KIND IDX: a worker process (in a subshell); reports IDX on DONE_FD at exit.
st_worker() {
  set +e
  W_KIND=$1
  W_IDX=$2
  W_NAME=w$2
  CTL=$MNT/sim/ctl.d/$(($2 % 8))
  ERRF=$TMPD/w$2.err
  LOGF=$TMPD/w$2.log
  trap 'st_dump "$TMPD/w$W_IDX.res"; printf "%s\n" "$W_IDX" >&"$DONE_FD"' EXIT
  "worker_${W_KIND//-/_}"
}

# st_dump FILE: this process's counts, as tab-separated lines.
st_dump() {
  local k
  {
    for k in "${!OPS[@]}"; do printf 'op\t%s\t%s\n' "$k" "${OPS[$k]}"; done
    for k in "${!ERRS[@]}"; do printf 'err\t%s\t%s\n' "$k" "${ERRS[$k]}"; done
    for k in "${!LATS[@]}"; do printf 'lat\t%s\t%s\n' "$k" "${LATS[$k]}"; done
  } >"$1"
}

# st_rss_kb PID: the process's resident memory in KiB (VmRSS), or nothing once it is gone.
st_rss_kb() {
  local k v _
  while read -r k v _; do
    if [[ $k == VmRSS: ]]; then
      printf '%s' "$v"
      return 0
    fi
  done <"/proc/$1/status" 2>/dev/null
  return 1
}

# rss_sampler PID FILE: "SECONDS KiB" lines, one every RSS_PERIOD seconds (a measurement
# period, not a synchronisation: the run's end reads its own sample).
rss_sampler() {
  local pid=$1 file=$2 t0=$SECONDS kb
  while kb=$(st_rss_kb "$pid"); do
    printf '%s %s\n' $((SECONDS - t0)) "$kb" >>"$file"
    sleep "$RSS_PERIOD"
  done
}

# rss_line START_KB END_KB RUN_SECONDS: the daemon's resident memory over the run, from the sampler's file.
rss_line() {
  awk -v start="$1" -v end="$2" -v t="$3" '
    function mib(k) { return sprintf("%.0f MiB", k / 1024) }
    { if ($2 > max) max = $2; if ($1 <= 300) at5 = $2; last = $1 }
    END {
      if (end > max) max = end
      if (start > max) max = start
      five = (t >= 300 && last >= 300) ? mib(at5) : "- (run shorter than 5 min)"
      printf "daemon resident memory: start %s, after 5 min %s, end %s, highest %s\n", \
        mib(start), five, mib(end), mib(max)
    }' "$TMPD/rss"
}

st_cleanup() {
  local pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}" "${FOLLOWER_PID:-}" "${RSS_PID:-}"; do
    [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
  done
  [[ -n ${TMPD:-} && -d $TMPD ]] && rm -rf -- "$TMPD"
}

# st_table: the summary table from every .res file.
st_table() {
  local order="${STRESS_KINDS[*]}"
  cat "$TMPD"/*.res 2>/dev/null | awk -F'\t' -v order="$order" '
    BEGIN { n = split(order, o, " "); for (i = 1; i <= n; i++) rank[o[i]] = i }
    $1 == "op"  { k = $2 "\t" $3; ops[k] += $4; keys[k] = 1 }
    $1 == "lat" { k = $2 "\t" $3; if ($4 > lat[k]) lat[k] = $4 }
    $1 == "err" { k = $2 "\t" $3; e = $4; c = $5
                  if (c == "bad") { ub[k, e] += $6; ubn[k] += $6; if (!((k, e) in ubseen)) { ubseen[k, e] = 1; ul[k] = ul[k] " " e } }
                  else { xb[k, e] += $6; if (!((k, e) in xbseen)) { xbseen[k, e] = 1; xl[k] = xl[k] " " e } } }
    END {
      for (k in keys) {
        split(k, p, "\t")
        xs = ""; m = split(xl[k], a, " ")
        for (i = 1; i <= m; i++) xs = xs (xs == "" ? "" : ", ") a[i] " " xb[k, a[i]]
        us = ""; m = split(ul[k], a, " ")
        for (i = 1; i <= m; i++) us = us (us == "" ? "" : ", ") a[i] " " ub[k, a[i]]
        printf "%d\t%s\t%s\t%d\t%s\t%s\t%.1f\n", rank[p[1]], p[1], p[2], ops[k], \
          (xs == "" ? "-" : xs), (us == "" ? "-" : us), lat[k] / 1000
      }
    }' | sort -t$'\t' -k1,1n -k3,3 | awk -F'\t' '
    BEGIN { printf "%-13s %-34s %9s  %-46s %-16s %9s\n", "kind", "op", "ops", "expected errors", "UNEXPECTED", "max ms" }
    { printf "%-13s %-34s %9d  %-46s %-16s %9s\n", $2, $3, $4, $5, $6, $7; t += $4; if ($7 + 0 > mx) mx = $7 + 0 }
    END { printf "%-13s %-34s %9d  %-46s %-16s %9.1f\n", "total", "", t, "", "", mx }'
}

stress_main() {
  local kind=$1 t=20 j=4 arg
  shift
  STRESS_PROG=stress/$kind
  MNT=
  while (($#)); do
    arg=$1
    case $arg in
      -t | -j)
        (($# >= 2)) || st_die "$arg needs a value"
        [[ $2 =~ ^[0-9]+$ && $2 -gt 0 ]] || st_die "$arg needs a positive number, got '$2'"
        if [[ $arg == -t ]]; then t=$2; else j=$2; fi
        shift 2
        ;;
      -h | --help)
        stress_usage
        exit 0
        ;;
      --)
        shift
        break
        ;;
      -*) st_die "unknown option $arg (see --help)" ;;
      *)
        [[ -z $MNT ]] || st_die "one MOUNTPOINT only (see --help)"
        MNT=$arg
        shift
        ;;
    esac
  done
  if (($#)); then
    [[ -z $MNT && $# -eq 1 ]] || st_die "one MOUNTPOINT only (see --help)"
    MNT=$1
  fi
  [[ -n $MNT ]] || st_die "no MOUNTPOINT given (see --help)"
  if [[ -n ${SLABFS_STRESS_SECONDS:-} ]]; then
    [[ $SLABFS_STRESS_SECONDS =~ ^[0-9]+$ && $SLABFS_STRESS_SECONDS -gt 0 ]] ||
      st_die "SLABFS_STRESS_SECONDS must be a positive number, got '$SLABFS_STRESS_SECONDS'"
    t=$SLABFS_STRESS_SECONDS
  fi
  MNT=$(realpath -- "$MNT" 2>/dev/null) || st_die "no such directory: $MNT"
  [[ -r $MNT/sim/stats && -r $MNT/sim/variant ]] || st_die "$MNT is not a slabfs mount"
  ((EUID == 0)) || st_die "must run as root (sim/ctl and most attributes are root-only)"

  local -a kinds=()
  if [[ $kind == all ]]; then
    kinds=("${STRESS_KINDS[@]}")
    ((j >= ${#kinds[@]})) || j=${#kinds[@]}
  else
    kinds=("$kind")
  fi

  local t_setup t_all
  st_now_us
  t_setup=$NOW_US
  TMPD=$(mktemp -d "${TMPDIR:-/tmp}/slabfs-stress.XXXXXXXX")
  PIDS=()
  trap st_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ERRF=$TMPD/main.err
  LOGF=$TMPD/main.log
  W_NAME=main
  CTL=$MNT/sim/ctl.d/0

  # the mount and its start state
  local -A V=()
  local k v
  while read -r k v; do V[$k]=$v; done <"$MNT/sim/variant"
  ERA=${V[kernel]:-unknown}
  HUNG_TIMEOUT=${V[hung_task_timeout]:-10}
  DEADLOCK_MODE=${V[deadlock]:-break}
  DEADLOCKS_EXPECTED=0
  [[ $ERA == v5.19 ]] && DEADLOCKS_EXPECTED=1
  st_nomerge_for_release "${V[release]:-0.0}"
  LAT_LIMIT_US=$(((HUNG_TIMEOUT + STRESS_SLACK) * 1000000))
  # what an earlier, interrupted run left: the churn kinds remove their own kind's first;
  # what cannot be removed is reported and left out of the end checks
  if [[ " ${kinds[*]} " == *" module-churn "* ]]; then
    module_churn_unload_all preclean-rmmod || check_fail "pre-clean: rmmod failed unexpectedly"
  fi
  if [[ " ${kinds[*]} " == *" cache-churn "* ]]; then
    cache_churn_destroy_all preclean-destroy || check_fail "pre-clean: kmem_cache_destroy failed unexpectedly"
  fi
  OPS=() ERRS=() LATS=()
  PRE_LEFT=
  for k in "$MNT"/kernel/slab/stress_* "$MNT"/module/stress_*; do
    if [[ -d $k && ! -L $k ]]; then
      LEFT_START[${k#"$MNT"/}]=1
      PRE_LEFT+=" ${k#"$MNT"/}"
    fi
  done
  st_stats_snapshot START
  for k in "$MNT"/kernel/slab/*; do BASE_SLAB[${k##*/}]=1; done
  for k in "$MNT"/module/*; do BASE_MOD[${k##*/}]=1; done
  LINKS_START=$(find "$MNT/kernel/slab" -mindepth 1 -maxdepth 1 -type l -name 'stress_*' | wc -l)
  CPU0_ONLINE=1
  st_read_line "$MNT/devices/system/cpu/online" && st_cpulist "$LINE" && [[ " ${CPUS[*]} " == *" 0 "* ]] || CPU0_ONLINE=0

  for k in "${kinds[@]}"; do
    case $k in
      writers) writers_setup ;;
      cpu-churn) cpu_churn_setup ;;
    esac
  done

  # workers: worker i is of kind kinds[i % #kinds]
  local i n_kind=${#kinds[@]} line counts=""
  local -A per=()
  for ((i = 0; i < j; i++)); do per[${kinds[i % n_kind]}]=$((${per[${kinds[i % n_kind]}]:-0} + 1)); done
  for k in "${kinds[@]}"; do counts+="${counts:+, }$k ${per[$k]}"; done
  mkfifo "$TMPD/done" "$TMPD/stop"
  exec {DONE_FD}<>"$TMPD/done" {STOP_FD}<>"$TMPD/stop"
  # the records already in the ring are not ours: the follower starts at the next one
  dmesg_follower "${START[dmesg_records]}" 2>"$TMPD/follower.stderr" &
  FOLLOWER_PID=$!
  # the daemon's resident memory: at the start, every RSS_PERIOD s, and at the end
  local rss_start="" rss_end=""
  : >"$TMPD/rss"
  if [[ -n ${V[daemon_pid]:-} ]] && rss_start=$(st_rss_kb "${V[daemon_pid]}"); then
    rss_sampler "${V[daemon_pid]}" "$TMPD/rss" &
    RSS_PID=$!
  fi
  st_now_us
  local t_start=$NOW_US
  DEADLINE_US=$((NOW_US + t * 1000000))
  for ((i = 0; i < j; i++)); do
    (st_worker "${kinds[i % n_kind]}" "$i") 2>"$TMPD/w$i.stderr" &
    PIDS+=($!)
  done

  # wait for every worker to report, for at most the run time plus the hung-task timeout
  local done_n=0 idx remain stuck=""
  local -A done_w=()
  local wait_until=$((DEADLINE_US + (HUNG_TIMEOUT + STRESS_SLACK + 10) * 1000000))
  while ((done_n < j)); do
    st_now_us
    remain=$(((wait_until - NOW_US) / 1000000))
    ((remain > 0)) || break
    if read -r -t "$remain" -u "$DONE_FD" idx; then
      done_w[$idx]=1
      done_n=$((done_n + 1))
    fi
  done
  for ((i = 0; i < j; i++)); do
    if [[ -n ${done_w[$i]:-} ]]; then
      wait "${PIDS[i]}" || true
      PIDS[i]=  # reaped: its pid may be reused, never signal it again
    else
      stuck+=" w$i(${kinds[i % n_kind]}, pid ${PIDS[i]})"
    fi
  done
  st_now_us
  local t_run=$(((NOW_US - t_start) / 1000))

  if [[ -n $stuck ]]; then
    check_fail "workers still blocked $(((wait_until - DEADLINE_US) / 1000000)) s after the end of the run:$stuck"
    CHECK_LINES+=("          $(tr '\n' ' ' <"$MNT/sim/held_locks" | cut -c1-600)")
  else
    # cleanup, in dependency order: modules own caches; CPUs and values last
    for k in module-churn cache-churn cpu-churn writers; do
      [[ " ${kinds[*]} " == *" $k "* ]] || continue
      "${k//-/_}_finish"
    done
  fi
  echo stop >&"$STOP_FD"
  wait "$FOLLOWER_PID" || true
  FOLLOWER_PID=
  if [[ -n ${RSS_PID:-} ]]; then
    kill "$RSS_PID" 2>/dev/null || true
    wait "$RSS_PID" 2>/dev/null || true
    RSS_PID=
    rss_end=$(st_rss_kb "${V[daemon_pid]}") || rss_end=""
  fi
  if [[ -s $TMPD/follower.stderr ]]; then
    check_fail "the dmesg follower wrote to stderr: $(head -c 300 "$TMPD/follower.stderr")"
  fi
  for ((i = 0; i < j; i++)); do
    if [[ -s $TMPD/w$i.stderr ]]; then
      check_fail "worker w$i (${kinds[i % n_kind]}) wrote to stderr: $(head -c 300 "$TMPD/w$i.stderr")"
    fi
  done
  st_dump "$TMPD/main.res"

  # latency and EDEADLK from the counts
  MAX_LAT_US=$(awk -F'\t' '$1 == "lat" && $4 > m { m = $4 } END { print m + 0 }' "$TMPD"/*.res)
  EDEADLK_SEEN=$(awk -F'\t' '$1 == "err" && $4 == "EDEADLK" { n += $6 } END { print n + 0 }' "$TMPD"/*.res)
  local unexpected
  unexpected=$(awk -F'\t' '$1 == "err" && $5 == "bad" { n += $6 } END { print n + 0 }' "$TMPD"/*.res)
  [[ -n $stuck ]] || invariants_check

  echo "slabfs stress $kind: $MNT ($ERA, deadlock $DEADLOCK_MODE, hung-task timeout ${HUNG_TIMEOUT} s)"
  [[ -z $PRE_LEFT ]] || echo "  left over from an earlier run, not removable, not counted:$PRE_LEFT"
  st_now_us
  t_all=$(((NOW_US - t_setup) / 1000))
  printf '  %s s, %s workers: %s; workers ran %d.%03d s, whole run with setup, cleanup and checks %d.%03d s\n' \
    "$t" "$j" "$counts" $((t_run / 1000)) $((t_run % 1000)) $((t_all / 1000)) $((t_all % 1000))
  echo
  st_table
  echo
  if [[ -n $rss_start && -n $rss_end ]]; then
    rss_line "$rss_start" "$rss_end" "$t"
  fi
  echo "sim/stats during the run: lockdep reports +${DL_SPLATS:-?}, hung-task reports +${DL_HUNG:-?}, deadlocks broken +${DL_BROKEN:-?}"
  echo "invariants:"
  printf '%s\n' "${CHECK_LINES[@]}"
  local details line
  details=$(cat "$TMPD"/*.log 2>/dev/null | head -n 30) || true
  if [[ -n $details ]]; then
    echo "unexpected errors (the first ones of each worker):"
    while IFS= read -r line; do printf '  %s\n' "$line"; done <<<"$details"
  fi
  if ((unexpected > 0 || CHECK_FAILS > 0)); then
    echo "stress $kind: FAIL ($unexpected unexpected errors, $CHECK_FAILS failed checks)"
    return 1
  fi
  echo "stress $kind: PASS"
}
