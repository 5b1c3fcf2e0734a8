#!/usr/bin/env bash
# 0008-fuzz: garbage written to every writable file of a mount -- the writable attributes
# of a sample of caches (one of them a SLAB_RED_ZONE|SLAB_POISON debug cache), every
# writable module parameter, cpuN/online, sim/ctl and a sim/ctl.d channel -- as empty
# writes, NUL bytes, invalid UTF-8, negative and overflowing numbers, 4097 and 8192 bytes,
# 1 MiB, and for sim/ctl also random token sequences of its command words. Each answer must
# be an errno that file's store gives (kernel-model 1.3, 4.5, 4.7, 5.2, 6.2), and a failed
# write must leave every readable value of the directory as it was (live counters aside).
# Then: paths with '..' resolve as the VFS does and never create anything; no BUG: line in
# dmesg; no lock held, task blocked or active reference left.
#
# SLABFS_FUZZ_SEED picks the random inputs (default 8008); SLABFS_FUZZ_COMMANDS the number
# of generated sim/ctl commands (default 400).
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

LIVE_COUNTERS=" objects slabs partial cpu_slabs slabs_cpu_partial objects_partial total_objects "
SLAB_ERRNOS=" EINVAL ERANGE "
PARAM_ERRNOS=" EINVAL ERANGE ENOSPC "
CPU_ERRNOS=" EINVAL EBUSY "
CTL_ERRNOS=" EINVAL ENOENT EEXIST EPERM EBUSY EAGAIN ENODEV ERANGE ENOEXEC ETIMEDOUT "
STABLE_STATS=(caches kobjects kernfs_nodes active_refs open_files modules cpus_online
  held_locks blocked_tasks)
SAMPLE_SIZE=20
DEBUG_CACHE=fuzz_debug
SEED=${SLABFS_FUZZ_SEED:-8008}
COMMANDS=${SLABFS_FUZZ_COMMANDS:-400}
WRITE_TIMEOUT=30
# wait points that only file writes pass: pausing one cannot block a sim/ctl command
SAFE_POINTS=(cpu_partial_store shrink_store validate_store param_attr_store)
ALL_POINTS=(cpu_partial_store shrink_store validate_store kmem_cache_destroy cpu_down
  module_init module_exit try_module_get param_attr_store)

# ---- garbage ----------------------------------------------------------------------

declare -A SIZE # input file -> its size in bytes
declare -A FMT  # input file -> '\xHH...' for printf %b, when one builtin write is exact
INPUTS=()

# add_input NAME PRINTF-FORMAT: an input file made by coreutils printf (\0, \xHH work).
add_input() {
  env printf "$2" >"$WORK/$1"
  INPUTS+=("$WORK/$1")
}

# make_inputs: every input once, as a file in $WORK.
make_inputs() {
  local i j n esc hex
  : >"$WORK/empty"
  INPUTS+=("$WORK/empty")
  add_input nul '\0'
  add_input nul-inside '5\0junk'
  add_input nul-first '\0005'
  add_input utf8-ff-fe '\xff\xfe'
  add_input utf8-bad-tail '1\xc3\x28'
  add_input utf8-overlong '\xc0\x80\xed\xa0\x80'
  add_input minus-one '-1'
  add_input minus-2pow63-1 '-9223372036854775809'
  add_input 2pow64 '18446744073709551616'
  add_input 2pow64-nl '18446744073709551616\n'
  add_input 2pow32 '4294967296'
  add_input huge '99999999999999999999999999999999'
  add_input hex '0x10'
  add_input leading-space ' 5'
  add_input two-newlines '5\n\n'
  add_input enable 'enable'
  # shellcheck disable=SC2016 # the text itself, unexpanded
  add_input format '%%s%%n$(id)`id`${IFS}'
  add_input dotdot '../../../etc/passwd'
  add_input newline '\n'
  head -c 4097 /dev/zero | tr '\0' '9' >"$WORK/4097-nines"
  head -c 1048576 /dev/zero | tr '\0' '1' >"$WORK/1MiB-ones"
  head -c 1048576 /dev/zero | tr '\0' '\377' >"$WORK/1MiB-ff"
  INPUTS+=("$WORK/4097-nines" "$WORK/1MiB-ones" "$WORK/1MiB-ff")
  # seeded random bytes: 4 short inputs and one of 8 KiB
  RANDOM=$SEED
  for ((i = 0; i < 4; i++)); do
    n=$((RANDOM % 48))
    esc=""
    for ((j = 0; j < n; j++)); do
      esc+=$(printf '\\x%02x' $((RANDOM % 256)))
    done
    add_input "random-$i" "$esc"
  done
  esc=""
  for ((j = 0; j < 256; j++)); do
    esc+=$(printf '\\x%02x' $((RANDOM % 256)))
  done
  : >"$WORK/8KiB-random"
  for ((j = 0; j < 32; j++)); do
    env printf "$esc" >>"$WORK/8KiB-random"
  done
  INPUTS+=("$WORK/8KiB-random")
  for i in "${INPUTS[@]}"; do
    SIZE[$i]=$(stat -c %s "$i")
    hex=$(od -An -v -tx1 "$i" | tr '\n' ' ')
    # bash's printf writes once when the bytes fit its buffer and hold no newline
    if ((SIZE[$i] > 0 && SIZE[$i] < 4096)) && [[ $hex != *" 0a "* ]]; then
      FMT[$i]=$(sed 's/ *\([0-9a-f][0-9a-f]\)/\\x\1/g; s/ *$//' <<<"$hex")
    fi
  done
}

# ---- writing and answers -----------------------------------------------------------

# errno_of TEXT: sets ERRNO to the name of the errno whose strerror text is TEXT.
errno_of() {
  case $1 in
    "Operation not permitted") ERRNO=EPERM ;;
    "No such file or directory") ERRNO=ENOENT ;;
    "Input/output error") ERRNO=EIO ;;
    "Exec format error") ERRNO=ENOEXEC ;;
    "Resource temporarily unavailable") ERRNO=EAGAIN ;;
    "Permission denied") ERRNO=EACCES ;;
    "Device or resource busy") ERRNO=EBUSY ;;
    "File exists") ERRNO=EEXIST ;;
    "No such device") ERRNO=ENODEV ;;
    "Not a directory") ERRNO=ENOTDIR ;;
    "Is a directory") ERRNO=EISDIR ;;
    "Invalid argument") ERRNO=EINVAL ;;
    "No space left on device") ERRNO=ENOSPC ;;
    "Numerical result out of range") ERRNO=ERANGE ;;
    "Resource deadlock avoided") ERRNO=EDEADLK ;;
    "Connection timed out") ERRNO=ETIMEDOUT ;;
    *) ERRNO="unknown($1)" ;;
  esac
}

# answer RC: sets ERRNO ("" for success) and PUT_MSG from a writer's status and stderr.
answer() {
  PUT_MSG=""
  IFS= read -r PUT_MSG <"$ERRF" || true
  if (($1 == 0)); then
    ERRNO=""
  elif (($1 == 124 || $1 == 137)); then
    ERRNO="timeout(${WRITE_TIMEOUT}s)"
  else
    errno_of "${PUT_MSG##*: }"
  fi
}

# put FILE INPUT: writes INPUT's bytes to FILE in one write(2): bash's printf when that is
# exact, else dd bs=SIZE count=1 (a short count from a store makes dd write the rest, as
# user space does); an empty input is an open with O_TRUNC and no write. Sets ERRNO.
put() {
  local rc=0
  if ((SIZE[$2] == 0)); then
    { : >"$1"; } 2>"$ERRF" || rc=$?
  elif [[ -n ${FMT[$2]+x} ]]; then
    { printf '%b' "${FMT[$2]}" >"$1"; } 2>"$ERRF" || rc=$?
  else
    timeout -k 5 "$WRITE_TIMEOUT" \
      dd if="$2" of="$1" bs="${SIZE[$2]}" count=1 conv=notrunc status=none 2>"$ERRF" || rc=$?
  fi
  answer "$rc"
}

# put_text FILE TEXT: one write(2) of TEXT: bash's printf when TEXT has no newline, else
# coreutils' (which writes its whole output at once).
put_text() {
  local rc=0
  if [[ $2 == *$'\n'* ]]; then
    timeout -k 5 "$WRITE_TIMEOUT" env printf '%s' "$2" >"$1" 2>"$ERRF" || rc=$?
  else
    { printf '%s' "$2" >"$1"; } 2>"$ERRF" || rc=$?
  fi
  answer "$rc"
}

declare -A READABLE # directory -> its readable regular files (names)

# readable DIR...: lists the readable regular files of each DIR once (in READABLE).
readable() {
  local d
  for d in "$@"; do
    if [[ -z ${READABLE[$d]+x} ]]; then
      READABLE[$d]=$(find -L "$d/" -mindepth 1 -maxdepth 1 -type f -perm /444 -printf '%f ')
    fi
  done
}

# snap [-x NAME] DIR...: "DIR/name=value" of every readable file of the DIRs except live
# counters (and NAME), read with the read builtin. Call readable DIR... first.
snap() {
  local d name v skip=""
  if [[ $1 == -x ]]; then
    skip=$2
    shift 2
  fi
  for d in "$@"; do
    for name in ${READABLE[$d]}; do
      [[ $LIVE_COUNTERS == *" $name "* || $name == "$skip" ]] && continue
      v=""
      IFS= read -r -d '' v <"$d/$name" || true
      printf '%s/%s=%s\n' "$d" "$name" "$v"
    done
  done
}

# value FILE: sets VALUE to FILE's content (read builtin), or "-" if it cannot be read.
value() {
  VALUE=-
  [[ -r $1 ]] || return 0
  VALUE=""
  IFS= read -r -d '' VALUE <"$1" 2>/dev/null || true
}

# fuzz_file FILE ALLOWED DIR: every input to FILE. Each answer must be success or an
# errno in ALLOWED; a failed write must leave FILE as it was, and the other readable files
# of DIR (live counters aside) must read the same after all the writes as before them: a
# store changes at most its own file. Prints one line per problem; returns their number.
fuzz_file() {
  local file=$1 allowed=$2 dir=$3 in before after own bad=0
  readable "$dir"
  before=$(snap -x "${file##*/}" "$dir")
  value "$file"
  own=$VALUE
  for in in "${INPUTS[@]}"; do
    put "$file" "$in"
    value "$file"
    if [[ -z $ERRNO ]]; then
      FUZZ_OK=$((FUZZ_OK + 1))
      own=$VALUE
      continue
    fi
    FUZZ_FAILED=$((FUZZ_FAILED + 1))
    if [[ $allowed != *" $ERRNO "* ]]; then
      echo "$file <- ${in##*/}: $ERRNO, not one of${allowed% } ($PUT_MSG)"
      bad=$((bad + 1))
    fi
    if [[ $VALUE != "$own" ]]; then
      echo "$file <- ${in##*/}: failed with $ERRNO but now reads '$VALUE', not '$own'"
      bad=$((bad + 1))
      own=$VALUE
    fi
  done
  after=$(snap -x "${file##*/}" "$dir")
  if [[ $after != "$before" ]]; then
    echo "$file: other files of $dir changed:"
    diff <(echo "$before") <(echo "$after") | head -n 10
    bad=$((bad + 1))
  fi
  return $((bad > 100 ? 100 : bad))
}

# fuzz_file_full FILE ALLOWED DIR...: as fuzz_file, but every readable file of the DIRs is
# compared around each failed write (for stores that change other files when they succeed).
fuzz_file_full() {
  local file=$1 allowed=$2 in before after bad=0
  shift 2
  readable "$@"
  before=$(snap "$@")
  for in in "${INPUTS[@]}"; do
    put "$file" "$in"
    if [[ -z $ERRNO ]]; then
      FUZZ_OK=$((FUZZ_OK + 1))
      before=$(snap "$@")
      continue
    fi
    FUZZ_FAILED=$((FUZZ_FAILED + 1))
    if [[ $allowed != *" $ERRNO "* ]]; then
      echo "$file <- ${in##*/}: $ERRNO, not one of${allowed% } ($PUT_MSG)"
      bad=$((bad + 1))
    fi
    after=$(snap "$@")
    if [[ $after != "$before" ]]; then
      echo "$file <- ${in##*/}: failed with $ERRNO but changed:"
      diff <(echo "$before") <(echo "$after") | head -n 10
      bad=$((bad + 1))
      before=$after
    fi
  done
  return $((bad > 100 ? 100 : bad))
}

# ---- checks ---------------------------------------------------------------------------

ctl() { slabfs_ctl "$MNT" "$@"; }
stat_of() { slabfs_stat "$MNT" "$1"; }

check_debug_cache() {
  ctl kmem_cache_create "$DEBUG_CACHE" 200 'flags=SLAB_RED_ZONE|SLAB_POISON' || return 1
  ctl alloc "$DEBUG_CACHE" 300 || return 1
  ctl free "$DEBUG_CACHE" 100 || return 1
  expect_content "$S/$DEBUG_CACHE/red_zone" 1 || return 1
  expect_content "$S/$DEBUG_CACHE/poison" 1
}

# sample_caches: SAMPLE_SIZE cache names (directories or alias symlinks), always with
# kmalloc-64, the debug cache and a few kinds; the rest spread over the sorted list.
sample_caches() {
  local -a dirs fixed=(kmalloc-64 "$DEBUG_CACHE" kmalloc-8k kmem_cache kmalloc_buckets
    kmem_cache_node UDP dentry)
  local c n i step picked=" "
  for c in "${fixed[@]}"; do
    [[ -e $S/$c ]] && picked+="$c "
  done
  mapfile -t dirs < <(find "$S" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort)
  n=${#dirs[@]}
  step=$((n / SAMPLE_SIZE + 1))
  for ((i = 3; i < n; i += step)); do
    read -ra _words <<<"$picked"
    ((${#_words[@]} < SAMPLE_SIZE)) || break
    [[ $picked == *" ${dirs[i]} "* ]] || picked+="${dirs[i]} "
  done
  echo "$picked"
}

# check_cache NAME: garbage to each writable file of kernel/slab/NAME.
check_cache() {
  local dir=$S/$1 f files bad=0
  echo "kernel/slab/$1 -> $(readlink "$dir" || echo directory)"
  files=$(find -L "$dir/" -mindepth 1 -maxdepth 1 -type f -perm /200 -printf '%f\n' | LC_ALL=C sort)
  if [[ $files != $'cpu_partial\nmin_partial\nremote_node_defrag_ratio\nshrink\nvalidate' ]]; then
    echo "writable files of $dir: $files"
    return 1
  fi
  for f in $files; do
    fuzz_file "$dir/$f" "$SLAB_ERRNOS" "$dir" || bad=$((bad + $?))
  done
  echo "$FUZZ_OK writes succeeded, $FUZZ_FAILED failed"
  ((bad == 0))
}

check_module_params() {
  local f bad=0 n=0
  local errnos
  while IFS= read -r f; do
    n=$((n + 1))
    errnos=$PARAM_ERRNOS
    # __zswap_param_set: an algorithm the crypto API lacks is -ENOENT
    [[ $f == */zswap/parameters/compressor ]] && errnos=" ENOENT "
    fuzz_file "$f" "$errnos" "${f%/*}" || bad=$((bad + $?))
  done < <(find "$MNT/module" -mindepth 3 -maxdepth 3 -path '*/parameters/*' -type f -perm /222 \
    | LC_ALL=C sort)
  echo "$n writable parameters: $FUZZ_OK writes succeeded, $FUZZ_FAILED failed"
  ((n > 100 && bad == 0))
}

# check_sysctls: garbage to every simulated sysctl of sim/proc/sys/kernel (the passthrough
# names are symlinks and not written): EINVAL (proc_doulongvec_minmax, proc_dointvec_minmax),
# the value unchanged on failure; then each is set back as it was (tainted only grows).
check_sysctls() {
  local d=$MNT/sim/proc/sys/kernel f bad=0 n=0 orig
  while IFS= read -r -d '' f; do
    n=$((n + 1))
    value "$f"
    orig=$VALUE
    fuzz_file "$f" " EINVAL " "$d" || bad=$((bad + $?))
    [[ ${f##*/} != tainted ]] || continue
    put_text "$f" "$orig"
    if [[ -n $ERRNO ]]; then
      echo "$f: setting it back to '$orig' failed: $ERRNO"
      bad=$((bad + 1))
    fi
  done < <(find "$d" -mindepth 1 -maxdepth 1 -type f -perm /200 -print0)
  ((n == 5)) || {
    echo "expected 5 writable sysctls in $d, found $n"
    return 1
  }
  return $((bad > 100 ? 100 : bad))
}

check_cpu_online() {
  local f bad=0 n=0
  for f in "$MNT"/devices/system/cpu/cpu*/online; do
    n=$((n + 1))
    fuzz_file_full "$f" "$CPU_ERRNOS" "${f%/*}" "$MNT/devices/system/cpu" || bad=$((bad + $?))
    printf '1' >"$f"
  done
  echo "$n cpuN/online files"
  ((n >= 1 && bad == 0))
}

# ctl_state: what a failed sim/ctl command must not change: the names in kernel/slab and
# module (and module/NAME), the structural sim/stats counts, the online CPUs.
ctl_state() {
  local k v m
  find "$S" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort
  for m in "$MNT"/module/*; do
    [[ -e $m/refcnt ]] || continue
    value "$m/refcnt"
    echo "${m##*/} refcnt=$VALUE $(find "$m" "$m/holders" -mindepth 1 -maxdepth 1 -printf '%P ')"
  done
  find "$MNT/module" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort | tr '\n' ' '
  while read -r k v; do
    [[ $k == open_files ]] && v=$(slabfs_open_files "$MNT") # see there
    [[ " ${STABLE_STATS[*]} " == *" $k "* ]] && echo "$k $v"
  done <"$MNT/sim/stats"
  value "$MNT/devices/system/cpu/online"
  echo "online $VALUE"
}

resume_all() {
  local p
  for p in "${ALL_POINTS[@]}"; do
    ctl resume "$p" || return 1
  done
}

# ctl_one PATH TEXT-OR-INPUT KIND: one command; checks the errno and, on failure, that
# ctl_state is what it was (CTL_BEFORE, which is kept up to date).
ctl_one() {
  local path=$1 what=$2 kind=$3 after
  [[ -n ${CTL_BEFORE:-} ]] || CTL_BEFORE=$(ctl_state)
  if [[ $kind == input ]]; then
    put "$path" "$what"
    what=${what##*/}
  else
    put_text "$path" "$what"
  fi
  after=$(ctl_state)
  if [[ -z $ERRNO ]]; then
    CTL_BEFORE=$after
    return 0
  fi
  if [[ $CTL_ERRNOS != *" $ERRNO "* ]]; then
    echo "sim/ctl <- '$what': $ERRNO, not a sim/ctl errno ($PUT_MSG)"
    CTL_BEFORE=$after
    return 1
  fi
  if [[ $after != "$CTL_BEFORE" ]]; then
    echo "sim/ctl <- '$what': failed with $ERRNO but changed:"
    diff <(echo "$CTL_BEFORE") <(echo "$after") | head -n 10
    CTL_BEFORE=$after
    return 1
  fi
}

check_ctl_garbage() {
  local in path bad=0
  for path in "$MNT/sim/ctl" "$MNT/sim/ctl.d/3"; do
    for in in "${INPUTS[@]}"; do
      ctl_one "$path" "$in" input || bad=$((bad + 1))
    done
  done
  resume_all || bad=$((bad + 1))
  ((bad == 0))
}

# pick WORD...: sets PICK to one of the WORDs, at random.
pick() {
  local -a from=("$@")
  PICK=${from[RANDOM % $#]}
}

# gen_command: sets CMD to a command from the sim/ctl grammar's words and argument pools
# (never a pause of a point sim/ctl passes, every await with timeout=0).
gen_command() {
  local -a words=(kmem_cache_create kmem_cache_destroy alloc free kobject_get kobject_put
    insmod rmmod module_get module_put cpu_down cpu_up dmesg_clear lockdep_reset pause resume
    await await_blocked await_dmesg await_open_files kmem_cache_create2 ALLOC "")
  local -a names=(fz_a fz_b fz_c "$DEBUG_CACHE" kmalloc-64 kmem_cache kmalloc_buckets UDP
    dentry .. . a/b fzm_cache "fz_a:64" :0000064)
  local -a sizes=(1 8 64 100 200 4096 4194304 4194305 0 -1 2147483648 99999999999 0x40 1e3)
  local -a counts=(1 2 17 100 250 0 -1 10000001 999999999999 x)
  # cpu=N from 2^31 to 2^32-1 is left out: a known bug (probed at the end)
  local -a cpus=(0 1 2 -1 x 4294967296 99999999999 1000000000000)
  local -a opts=("flags=SLAB_POISON" "flags=SLAB_RED_ZONE|SLAB_POISON" "flags=SLAB_FOO"
    "flags=SLAB_NO_MERGE|SLAB_ACCOUNT" "flags=SLAB_TYPESAFE_BY_RCU" "flags=SLAB_KMALLOC"
    align=8 align=64 align=3 align=65536 usersize=8 useroffset=8 usersize=99999999999
    ctor=fz_ctor ctor=1bad sheaf=4 freeptr=8 bogus=1 "=1")
  local -a modules=(fzm_a fzm_b fzm-c fuse vt "" ..)
  # a depends= list never names a module twice: a known bug (probed at the end)
  local -a mopts=(cache=fzm_cache:64 cache=fzm_cache:200:SLAB_POISON cache=fz_a:64
    cache=x:0 "cache=fzm_c2:64::fzm_ctor" static_cache=fzm_s:64 param=level=1
    param=debug=N param=name=hi param=Bad=1 depends=fzm_a "depends=fzm_a,fzm_b" depends=nosuch
    depends= foo=bar)
  local w n i
  pick "${words[@]}"
  w=$PICK
  CMD=$w
  case $w in
    kmem_cache_create)
      pick "${names[@]}"
      CMD+=" $PICK"
      pick "${sizes[@]}"
      CMD+=" $PICK"
      for ((i = RANDOM % 3; i > 0; i--)); do
        pick "${opts[@]}"
        CMD+=" $PICK"
      done
      ;;
    kmem_cache_destroy | kobject_get | kobject_put)
      pick "${names[@]}"
      CMD+=" $PICK"
      ;;
    alloc | free)
      pick "${names[@]}"
      CMD+=" $PICK"
      pick "${counts[@]}"
      CMD+=" $PICK"
      if ((RANDOM % 2)); then
        pick "${cpus[@]}"
        CMD+=" cpu=$PICK"
      fi
      ;;
    insmod)
      pick "${modules[@]}"
      CMD+=" $PICK"
      for ((i = RANDOM % 4; i > 0; i--)); do
        pick "${mopts[@]}"
        CMD+=" $PICK"
      done
      ;;
    rmmod | module_get | module_put)
      pick "${modules[@]}"
      CMD+=" $PICK"
      ;;
    cpu_down | cpu_up)
      pick "${cpus[@]}"
      CMD+=" $PICK"
      ;;
    pause)
      pick "${SAFE_POINTS[@]}"
      CMD+=" $PICK"
      ;;
    resume)
      pick "${ALL_POINTS[@]}"
      CMD+=" $PICK"
      ;;
    await)
      pick "${ALL_POINTS[@]}"
      CMD+=" $PICK timeout=0"
      ;;
    await_blocked | await_open_files) CMD+=" $((RANDOM % 3)) timeout=0" ;;
    await_dmesg)
      pick "${names[@]}"
      CMD+=" $PICK timeout=0"
      ;;
    *)
      # the rest: random tokens from every pool
      for ((n = RANDOM % 4; n > 0; n--)); do
        case $((RANDOM % 5)) in
          0) pick "${names[@]}" ;;
          1) pick "${sizes[@]}" ;;
          2) pick "${opts[@]}" ;;
          3) pick "${mopts[@]}" ;;
          *) pick "${modules[@]}" ;;
        esac
        CMD+=" $PICK"
      done
      ;;
  esac
  case $((RANDOM % 8)) in
    0) CMD=" $CMD" ;;
    1) CMD+=$'\n' ;;
    2) CMD=${CMD// /$'\t'} ;;
  esac
}

check_ctl_commands() {
  local i bad=0 paths=("$MNT/sim/ctl" "$MNT/sim/ctl.d/0" "$MNT/sim/ctl.d/7")
  RANDOM=$((SEED + 1))
  CTL_OK=0
  for ((i = 0; i < COMMANDS; i++)); do
    gen_command
    if ctl_one "${paths[RANDOM % 3]}" "$CMD" text; then
      [[ -n $ERRNO ]] || CTL_OK=$((CTL_OK + 1))
    else
      bad=$((bad + 1))
    fi
    if ((i % 25 == 24)); then
      resume_all || bad=$((bad + 1))
      printf '1' >"$MNT/devices/system/cpu/cpu1/online"
      CTL_BEFORE=""
    fi
    ((bad < 20)) || break
  done
  resume_all || bad=$((bad + 1))
  printf '1' >"$MNT/devices/system/cpu/cpu1/online"
  echo "$COMMANDS commands, $CTL_OK succeeded"
  ((bad == 0))
}

# -- paths with '..'

check_dotdot_resolves() {
  local via=$S/kmalloc-64/../kmalloc-64/min_partial
  printf '7\n' >"$via" || return 1
  expect_content "$S/kmalloc-64/min_partial" 7 || return 1
  printf '9\n' >"$MNT/sim/../kernel/./slab//kmalloc-64/../../slab/kmalloc-64/min_partial" ||
    return 1
  expect_content "$S/kmalloc-64/min_partial" 9 || return 1
  fuzz_file "$via" "$SLAB_ERRNOS" "$S/kmalloc-64" || return 1
  # shellcheck disable=SC2016 # $1 of the inner bash
  expect_error "Invalid argument" bash -c 'printf -- -1 >"$1"' _ "$via"
}

# check_dotdot_inside: kernel/slab/../../etc/NAME is MNT/etc/NAME: refused, nothing made
# in the mount, and nothing on the host's /etc.
check_dotdot_inside() {
  local name=slabfs-fuzz-$$ before after rc=0 out
  before=$(ls -a "$MNT")
  out=$( { printf 'x\n' >"$S/../../etc/$name"; } 2>&1) || rc=$?
  ((rc != 0)) || {
    echo "writing $S/../../etc/$name succeeded"
    return 1
  }
  echo "refused: $out"
  after=$(ls -a "$MNT")
  [[ $after == "$before" ]] || {
    echo "the mount root changed:"
    diff <(echo "$before") <(echo "$after")
    return 1
  }
  if [[ -e /etc/$name ]]; then
    echo "/etc/$name exists on the host"
    rm -f "/etc/$name"
    return 1
  fi
  out=$( { printf 'x\n' >"$S/../slab/$name"; } 2>&1) && {
    echo "creating $S/$name succeeded"
    return 1
  }
  [[ ! -e $S/$name ]] || {
    echo "$S/$name was created"
    return 1
  }
}

# check_dotdot_outside: kernel/slab/../../../etc/x leaves the mount (it is MNT/../etc/x, as
# the VFS resolves it): with no etc there, it fails and creates nothing.
check_dotdot_outside() {
  local parent
  parent=$(dirname "$MNT")
  if [[ -e $parent/etc ]]; then
    echo "$parent/etc exists; cannot tell"
    return 4
  fi
  if { printf 'x\n' >"$S/../../../etc/x"; } 2>/dev/null; then
    echo "writing $S/../../../etc/x succeeded"
    rm -f "$parent/etc/x"
    return 1
  fi
  [[ ! -e $parent/etc ]] || {
    echo "$parent/etc was created"
    return 1
  }
}

# -- the end state

check_no_bug() {
  local lines
  lines=$(grep -a -E '^\[ *[0-9]+\.[0-9]+\] BUG:' "$MNT/sim/dmesg" || true)
  # the daemon log keeps every dmesg line, also those that a dmesg_clear removed
  lines+=$(grep -a -E '\] dmesg: BUG:' "$LOG" 2>/dev/null || true)
  [[ -z $lines ]] || {
    echo "$lines" | head -n 20
    return 1
  }
}

check_validate_debug_cache() {
  local out
  printf '1' >"$S/$DEBUG_CACHE/validate" || return 1
  out=$(grep -a "BUG $DEBUG_CACHE" "$MNT/sim/dmesg" || true)
  [[ -z $out ]] || {
    echo "$out"
    return 1
  }
}

check_quiet() {
  local k v bad=0
  for k in held_locks blocked_tasks active_refs tasks_holding_locks; do
    v=$(stat_of "$k") || return 1
    echo "$k $v"
    [[ $v == 0 ]] || bad=1
  done
  ((bad == 0)) || cat "$MNT/sim/held_locks"
  ((bad == 0))
}

# -- known bugs, probed last (one of them prints a BUG: line): skipped while they reproduce

probe_cpu_numbers() {
  local before after out
  before=$(cat "$MNT/devices/system/cpu/online")
  put_text "$MNT/sim/ctl" "cpu_down 4294967297"
  after=$(cat "$MNT/devices/system/cpu/online")
  printf '1' >"$MNT/devices/system/cpu/cpu1/online"
  out="cpu_down 4294967297: ${ERRNO:-ok}, online $before -> $after"
  put_text "$MNT/sim/ctl" "alloc kmalloc-64 1 cpu=2147483648"
  out+=$'\n'"alloc kmalloc-64 1 cpu=2147483648: ${ERRNO:-ok}"
  out+=$'\n'$(grep -a -E '\] BUG:' "$MNT/sim/dmesg" | tail -n 1 || true)
  if [[ $after != "$before" || $ERRNO == EIO ]]; then
    echo "known slabfs bug: sim/ctl casts CPU numbers to int (cpu=2^31 throws, 2^32+1 is cpu1)"
    echo "$out"
    return 4
  fi
  echo "$out"
  [[ $ERRNO == EINVAL || $ERRNO == ERANGE ]]
}

probe_insmod_failure() {
  local out rc=0
  ctl insmod fuzz_dep || return 1
  put_text "$MNT/sim/ctl" "insmod fuzz_user depends=fuzz_dep,fuzz_dep"
  out="insmod fuzz_user depends=fuzz_dep,fuzz_dep: ${ERRNO:-ok}"
  if [[ -z $ERRNO ]]; then
    ctl rmmod fuzz_user && ctl rmmod fuzz_dep
    return
  fi
  out+=$'\n'"left: $(find "$MNT/module/fuzz_user" -maxdepth 1 -printf '%f ' 2>&1)"
  put_text "$MNT/sim/ctl" "rmmod fuzz_dep" || true
  out+=$'\n'"rmmod fuzz_dep: ${ERRNO:-ok}"
  if [[ -e $MNT/module/fuzz_user || -n $ERRNO ]]; then
    echo "known slabfs bug: a failed insmod leaves /sys/module/NAME and pins its dependency"
    echo "$out"
    return 4
  fi
  echo "$out"
  return "$rc"
}

check_umount() {
  slabfs_cmd umount "$MNT" || return 1
  [[ -z $(slabfs_mount_type "$MNT") ]]
}

check_no_daemon() {
  [[ -z $(slabfs_daemon_pids "$MNT") ]]
}

# ---- the suite ------------------------------------------------------------------------

ktap_header
ktap_plan $((SAMPLE_SIZE + 17))

WORK=$(mktemp -d "${TMPDIR:-/tmp}/slabfs-fuzz-inputs.XXXXXXXXXX")
SLABFS_TMP_DIRS+=("$WORK") # removed (files, then the directory) on exit
ERRF=$WORK/stderr
FUZZ_OK=0
FUZZ_FAILED=0
make_inputs
ktap_diag "seed $SEED: ${#INPUTS[@]} inputs, $(du -sh "$WORK" | cut -f1) in $WORK"

slabfs_mount_first
S=$MNT/kernel/slab
LOG=$SLABFS_LOG
SECONDS=0

ktap_run "kmem_cache_create $DEBUG_CACHE 200 flags=SLAB_RED_ZONE|SLAB_POISON, alloc, free" \
  check_debug_cache
read -ra CACHES <<<"$(sample_caches)"
ktap_diag "caches: ${CACHES[*]}"
for ((i = 0; i < SAMPLE_SIZE; i++)); do
  if ((i < ${#CACHES[@]})); then
    ktap_run "garbage to the writable files of kernel/slab/${CACHES[i]}: EINVAL/ERANGE, nothing changes on failure" \
      check_cache "${CACHES[i]}"
  else
    ktap_not_ok "no cache number $((i + 1)) in the sample"
  fi
done
# These two write thousands of inputs on purpose (about a minute each on a 2-CPU machine,
# in proportion to SLABFS_FUZZ_COMMANDS for the second): their own limit, not the 60 s one.
FUZZ_LONG_TIMEOUT=$((300 + COMMANDS / 2))
KTAP_CASE_TIMEOUT=$FUZZ_LONG_TIMEOUT ktap_run \
  "garbage to every writable module/*/parameters/*: EINVAL/ERANGE/ENOSPC, nothing changes on failure" \
  check_module_params
ktap_run "garbage to devices/system/cpu/cpu*/online: EINVAL/EBUSY, nothing changes on failure" \
  check_cpu_online
ktap_run "garbage to sim/proc/sys/kernel/*: EINVAL, nothing changes on failure" check_sysctls
ktap_run "echo 1 > $DEBUG_CACHE/validate finds the model consistent" check_validate_debug_cache
ktap_run "kernel/slab/kmalloc-64/../kmalloc-64/min_partial is kmalloc-64/min_partial" \
  check_dotdot_resolves
ktap_run "kernel/slab/../../etc/x (the mount's own root): refused, nothing created" \
  check_dotdot_inside
ktap_run "kernel/slab/../../../etc/x (outside the mount): fails, nothing created" \
  check_dotdot_outside
ktap_diag "${SECONDS}s for the files"
ktap_run "garbage to sim/ctl and sim/ctl.d/3: a sim/ctl errno, nothing changes on failure" \
  check_ctl_garbage
KTAP_CASE_TIMEOUT=$FUZZ_LONG_TIMEOUT ktap_run \
  "$COMMANDS generated sim/ctl commands: a sim/ctl errno, nothing changes on failure" \
  check_ctl_commands
ktap_run "no BUG: line in sim/dmesg or in the daemon's log" check_no_bug
ktap_run "sim/stats: held_locks, blocked_tasks, active_refs, tasks_holding_locks are 0" check_quiet
ktap_diag "${SECONDS}s of fuzzing"
ktap_run "sim/ctl: CPU numbers past int are refused, not thrown or aliased" probe_cpu_numbers
ktap_run "sim/ctl: a failed insmod leaves no module directory and no holder behind" \
  probe_insmod_failure
ktap_run "slabfs umount returns 0 and the mount is gone from /proc/mounts" check_umount
ktap_run "no slabfs daemon for the mountpoint remains" check_no_daemon

ktap_finish
