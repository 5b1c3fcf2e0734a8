#!/usr/bin/env bash
# 0015-cpu-tools: the CPU and module tools people use, unmodified, against the simulated
# kernel's CPUs and modules, each checked against what the model says (sim/variant,
# sim/stats, sim/dmesg, sim/lockdep and the sysfs files):
#   util-linux lscpu --sysroot (a root whose sys/ is the mount and proc/ its sim/proc),
#   util-linux chcpu -d / -e, the kernel selftest cpu-hotplug/cpu-on-off-test.sh (from
#   Debian's linux-source-6.12 at test time, unmodified, never committed), and sysfsutils
#   systool -m / -b.
# chcpu, the selftest and systool write or find /sys by its fixed path: they run inside
# `slabfs shell` (the mount stacked over /sys, so `mount -t sysfs` and libsysfs's /proc/mounts
# check still see a sysfs there; /proc the mount's sim/proc, whose mounts and self lead to the
# real procfs); nothing of it outlives the command. libsysfs honours SYSFS_PATH only where
# /proc/mounts lists a sysfs at that path, which a FUSE mount is not: the shell's /sys is what
# makes systool read the mount. lscpu runs both ways: with --sysroot, and inside the shell.
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

SRC_PACKAGE=linux-source-6.12
SRC_TARBALL=/usr/src/linux-source-6.12.tar.xz
SELFTEST_PATH=tools/testing/selftests/cpu-hotplug/cpu-on-off-test.sh

say() { printf '0015-cpu-tools: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}
# shellcheck source-path=SCRIPTDIR/../lib source=../lib/prereqs.sh
source "$ROOT/mountpoint-scripts/lib/prereqs.sh"

((EUID == 0)) || ktap_skip_all "must run as root (FUSE mounts, private mount namespaces)"
missing=()
command -v lscpu >/dev/null 2>&1 || missing+=(util-linux)
command -v chcpu >/dev/null 2>&1 || missing+=(util-linux)
command -v systool >/dev/null 2>&1 || missing+=(sysfsutils)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
[[ -f $SRC_TARBALL ]] || missing+=("$SRC_PACKAGE")
if ((${#missing[@]})); then
  # shellcheck disable=SC2207 # package names are single words
  missing=($(printf '%s\n' "${missing[@]}" | sort -u))
  apt_install "the CPU tools suite needs ${missing[*]}" "${missing[@]}"
fi

# scratch space (sysroots, the extracted selftest), removed on EXIT before ktap.sh unmounts
WORK=$(mktemp -d "${TMPDIR:-/tmp}/slabfs-cpu-tools.XXXXXXXXXX")
trap 'rm -rf "$WORK"; _slabfs_cleanup' EXIT

# ---- running tools against a mount --------------------------------------------

# in_sys MNT CMD...: CMD inside `slabfs shell MNT`.
in_sys() {
  local mnt=$1
  shift
  slabfs_cmd shell "$mnt" -- "$@"
}

# run_lscpu MNT ARGS...: lscpu ARGS on MNT: with --sysroot, or inside `slabfs shell MNT`
# when LSCPU_IN_SHELL is 1.
LSCPU_IN_SHELL=0
run_lscpu() {
  local mnt=$1
  shift
  if ((LSCPU_IN_SHELL)); then
    in_sys "$mnt" lscpu "$@"
  else
    lscpu --sysroot "$(sysroot "$mnt")" "$@"
  fi
}

# in_shell_lscpu CHECK ARGS...: CHECK with lscpu run inside the shell (ktap_run runs it in
# a subshell: the switch does not outlive it).
in_shell_lscpu() {
  LSCPU_IN_SHELL=1
  "$@"
}

# sh_and CHECK1 ARGS... -- CHECK2 ARGS...: both checks (the output of the first, if it fails).
sh_and() {
  local first=()
  while [[ $1 != -- ]]; do
    first+=("$1")
    shift
  done
  shift
  "${first[@]}" && "$@"
}

# sysroot MNT: a directory for lscpu --sysroot: sys -> MNT, proc -> MNT/sim/proc.
sysroot() {
  local root
  root=$(mktemp -d "$WORK/root.XXXXXX")
  ln -s "$1" "$root/sys"
  ln -s "$1/sim/proc" "$root/proc"
  echo "$root"
}

# field TEXT NAME: the value of "NAME: value" in lscpu's output.
field() {
  awk -v k="$2" -F': *' '$1 == k { print $2; exit }' <<<"$1"
}

# expect_field TEXT NAME WANT
expect_field() {
  local got
  got=$(field "$1" "$2")
  [[ $got == "$3" ]] || {
    echo "lscpu '$2': '$got', the model says '$3'"
    return 1
  }
}

# cpulist_expand LIST: the CPUs of a list such as 0,2-3, one per word (lscpu writes a pair
# as 0,1 where the kernel writes 0-1).
cpulist_expand() {
  local r out=()
  IFS=, read -ra ranges <<<"$1"
  for r in "${ranges[@]}"; do
    [[ -n $r ]] || continue
    # shellcheck disable=SC2207 # numbers
    out+=($(seq "${r%-*}" "${r#*-}"))
  done
  echo "${out[*]}"
}

# expect_list TEXT NAME CPULIST: lscpu's list NAME holds the CPUs of the kernel's CPULIST.
expect_list() {
  local got
  got=$(field "$1" "$2")
  [[ $(cpulist_expand "$got") == "$(cpulist_expand "$3")" ]] || {
    echo "lscpu '$2': '$got', the model says '$3'"
    return 1
  }
}

variant() { awk -v k="$2" '$1 == k { print $2; exit }' "$1/sim/variant"; }

# cpulist_count LIST: the number of CPUs in a cpulist such as 0,2-3.
cpulist_count() {
  local cpus
  read -ra cpus <<<"$(cpulist_expand "$1")"
  echo "${#cpus[@]}"
}

# ---- lscpu ------------------------------------------------------------------------

# check_lscpu MNT: lscpu's summary against the model: CPU(s) is --cpus, the on-line list
# is cpu/online, one socket per node (sim/variant nodes), one thread per core, so the
# cores per socket are the online CPUs over the sockets, and one NUMA line per node with
# that node's cpulist.
check_lscpu() {
  local mnt=$1 out cpus nodes online n_online n
  out=$(run_lscpu "$mnt" 2>&1) || {
    echo "$out"
    return 1
  }
  cpus=$(variant "$mnt" cpus)
  nodes=$(variant "$mnt" nodes)
  online=$(cat "$mnt/devices/system/cpu/online")
  n_online=$(slabfs_stat "$mnt" cpus_online)
  [[ $(cpulist_count "$online") == "$n_online" ]] || {
    echo "cpu/online $online and sim/stats cpus_online $n_online disagree"
    return 1
  }
  if ! {
    expect_field "$out" "CPU(s)" "$cpus" &&
      expect_list "$out" "On-line CPU(s) list" "$online" &&
      expect_field "$out" "Thread(s) per core" 1 &&
      expect_field "$out" "Socket(s)" "$nodes" &&
      expect_field "$out" "Core(s) per socket" "$((n_online / nodes))" &&
      expect_field "$out" "NUMA node(s)" "$nodes"
  }; then
    echo "$out"
    return 1
  fi
  for ((n = 0; n < nodes; n++)); do
    expect_list "$out" "NUMA node$n CPU(s)" "$(cat "$mnt/devices/system/node/node$n/cpulist")" ||
      return 1
  done
}

# check_lscpu_parse MNT: lscpu -p=CPU,CORE,SOCKET,NODE: a line per online CPU, its socket and
# node the model's package (cpuN/topology/physical_package_id) and node (cpuN/nodeM link).
check_lscpu_parse() {
  local mnt=$1 out lines cpu core socket node want_node
  out=$(run_lscpu "$mnt" -p=CPU,CORE,SOCKET,NODE 2>&1) || {
    echo "$out"
    return 1
  }
  lines=$(grep -vc '^#' <<<"$out") || true
  [[ $lines == "$(slabfs_stat "$mnt" cpus_online)" ]] || {
    echo "$lines lines for $(slabfs_stat "$mnt" cpus_online) online CPUs:"
    echo "$out"
    return 1
  }
  while IFS=, read -r cpu core socket node; do
    [[ $cpu == \#* ]] && continue
    want_node=$(basename "$(echo "$mnt/devices/system/cpu/cpu$cpu"/node[0-9]*)")
    [[ $socket == "$(cat "$mnt/devices/system/cpu/cpu$cpu/topology/physical_package_id")" &&
      node$node == "$want_node" && -n $core ]] || {
      echo "cpu $cpu: socket $socket node $node, the model: package" \
        "$(cat "$mnt/devices/system/cpu/cpu$cpu/topology/physical_package_id"), $want_node"
      return 1
    }
  done <<<"$out"
}

# check_lscpu_offline MNT CPU: with CPU offline, lscpu lists it off-line and has no socket
# or core for it (its topology directory is gone), and counts one core less.
check_lscpu_offline() {
  local mnt=$1 cpu=$2 out row
  out=$(run_lscpu "$mnt" 2>&1) || return 1
  expect_list "$out" "Off-line CPU(s) list" "$(cat "$mnt/devices/system/cpu/offline")" ||
    return 1
  [[ $(cat "$mnt/devices/system/cpu/offline") == "$cpu" ]] || return 1
  [[ ! -e $mnt/devices/system/cpu/cpu$cpu/topology ]] || {
    echo "cpu$cpu/topology is still there"
    return 1
  }
  row=$(run_lscpu "$mnt" -e=CPU,SOCKET,ONLINE | awk -v c="$cpu" '$1 == c')
  [[ $row =~ ^\ *$cpu\ +-\ +no$ ]] || {
    echo "lscpu -e row of cpu $cpu: '$row'"
    return 1
  }
  check_lscpu "$mnt"
}

# ---- chcpu -------------------------------------------------------------------------

# check_chcpu_down MNT: chcpu -d 1 takes cpu1 down in the model: cpu/online, sim/stats,
# smpboot's line in sim/dmesg, and lockdep saw cpu_hotplug_lock taken inside
# cpu_add_remove_lock (cpu_down -> cpus_write_lock) with the topology files drained under it.
check_chcpu_down() {
  local mnt=$1 out
  slabfs_ctl "$mnt" lockdep_reset || return 1
  out=$(in_sys "$mnt" chcpu -d 1 2>&1) || {
    echo "$out"
    return 1
  }
  [[ $out == "CPU 1 disabled" ]] || {
    echo "chcpu said: $out"
    return 1
  }
  if ! {
    expect_content "$mnt/devices/system/cpu/cpu1/online" 0 &&
      expect_content "$mnt/devices/system/cpu/online" "0,2-3" &&
      [[ $(slabfs_stat "$mnt" cpus_online) == 3 ]] &&
      grep -q '\] smpboot: CPU 1 is now offline$' "$mnt/sim/dmesg"
  }; then
    echo "the model did not take cpu1 down: stats $(slabfs_stat "$mnt" cpus_online) online"
    return 1
  fi
  awk '/: cpu_add_remove_lock$/ { c = 1; next } c && /^ -> / { if ($0 ~ /\] cpu_hotplug_lock$/) f = 1; next }
       { c = 0 } END { exit !f }' "$mnt/sim/lockdep" || {
    echo "sim/lockdep has no cpu_add_remove_lock -> cpu_hotplug_lock"
    grep -A3 'cpu_add_remove_lock' "$mnt/sim/lockdep"
    return 1
  }
  # cpus_write_lock held while topology_remove_dev() drains cpu1/topology's 16 files
  local under
  under=$(awk '/: cpu_hotplug_lock$/ { c = 1; next } c && /^ -> .*kn->active/ { n++; next }
               { c = 0 } END { print n + 0 }' "$mnt/sim/lockdep")
  ((under >= 16)) || {
    echo "only $under kn->active dependencies under cpu_hotplug_lock"
    return 1
  }
}

check_chcpu_up() {
  local mnt=$1 out
  out=$(in_sys "$mnt" chcpu -e 1 2>&1) || {
    echo "$out"
    return 1
  }
  [[ $out == "CPU 1 enabled" ]] || {
    echo "chcpu said: $out"
    return 1
  }
  expect_content "$mnt/devices/system/cpu/online" 0-3 &&
    [[ $(slabfs_stat "$mnt" cpus_online) == 4 ]] &&
    grep -q '\] smpboot: Booting Node 0 Processor 1 APIC 0x1$' "$mnt/sim/dmesg" &&
    expect_content "$mnt/devices/system/cpu/cpu1/topology/core_siblings_list" 0-3 &&
    expect_content "$mnt/devices/system/cpu/cpu0/topology/core_siblings_list" 0-3
}

# chcpu -d 0: x86's cpu0 has no online file; chcpu refuses and the model keeps it, with
# its topology.
check_chcpu_cpu0() {
  local mnt=$1 out rc=0
  out=$(in_sys "$mnt" chcpu -d 0 2>&1) || rc=$?
  if ((rc == 0)) || [[ $out != *"CPU 0"* ]]; then
    echo "rc=$rc: $out"
    return 1
  fi
  expect_content "$mnt/devices/system/cpu/online" 0-3 &&
    expect_content "$mnt/devices/system/cpu/cpu0/topology/core_cpus_list" 0
}

# ---- the kernel's selftest -------------------------------------------------------------

SELFTEST=$WORK/selftest/$SELFTEST_PATH

extract_selftest() {
  mkdir -p "$WORK/selftest"
  tar -xJf "$SRC_TARBALL" -C "$WORK/selftest" --strip-components=1 --wildcards \
    "*/$SELFTEST_PATH" &&
    [[ -f $SELFTEST ]]
}

# check_selftest MNT ARGS...: cpu-on-off-test.sh ARGS passes; the model took exactly the
# CPUs it names down and up again (smpboot lines in sim/dmesg), and left every CPU online
# with its topology.
check_selftest() {
  local mnt=$1 out rc=0 downs0 ups0 downs ups want cpu
  shift
  want=$1
  shift
  downs0=$(grep -c 'smpboot: CPU [0-9]* is now offline$' "$mnt/sim/dmesg") || true
  ups0=$(grep -c 'smpboot: Booting Node' "$mnt/sim/dmesg") || true
  out=$(in_sys "$mnt" bash "$SELFTEST" "$@" 2>&1) || rc=$?
  echo "$out"
  ((rc == 0)) || return 1
  [[ $out == *"Cpus in online state: 0-3"* ]] || return 1
  [[ $out != *unexpected* ]] || return 1
  downs=$(grep -c 'smpboot: CPU [0-9]* is now offline$' "$mnt/sim/dmesg") || true
  ups=$(grep -c 'smpboot: Booting Node' "$mnt/sim/dmesg") || true
  ((downs - downs0 == want && ups - ups0 == want)) || {
    echo "sim/dmesg: $((downs - downs0)) offline, $((ups - ups0)) booting lines; expected $want"
    return 1
  }
  expect_content "$mnt/devices/system/cpu/online" 0-3 || return 1
  for cpu in 0 1 2 3; do
    expect_content "$mnt/devices/system/cpu/cpu$cpu/topology/package_cpus_list" 0-3 || return 1
  done
}

# ---- systool -------------------------------------------------------------------------

# check_systool_module MNT KEY=VALUE...: systool -m demo -v shows exactly the parameters
# insmod gave, each with the value insmod gave and its parameters/ file reads, and the
# module's refcnt and initstate.
check_systool_module() {
  local mnt=$1 out kv key want got file n=0
  shift
  out=$(in_sys "$mnt" systool -m demo -v 2>&1) || {
    echo "$out"
    return 1
  }
  [[ $(head -n1 <<<"$out") == 'Module = "demo"' ]] || {
    echo "$out"
    return 1
  }
  for kv in "$@"; do
    key=${kv%%=*} want=${kv#*=}
    file=$(cat "$mnt/module/demo/parameters/$key") || return 1
    got=$(awk -v k="$key" '$1 == k && $2 == "=" { sub(/^[^=]*= /, ""); print; exit }' <<<"$out")
    [[ $got == "\"$want\"" && $file == "$want" ]] || {
      echo "parameter $key: systool $got, parameters/$key '$file', insmod gave '$want'"
      echo "$out"
      return 1
    }
  done
  n=$(awk '/^  Parameters:$/ { p = 1; next } p && /^$/ { p = 0 } p { n++ } END { print n + 0 }' <<<"$out")
  ((n == $#)) || {
    echo "systool shows $n parameters, insmod gave $#"
    return 1
  }
  if ! grep -q '^    initstate *= "live"$' <<<"$out" ||
    ! grep -q "^    refcnt *= \"$(cat "$mnt/module/demo/refcnt")\"$" <<<"$out"; then
    echo "$out"
    return 1
  fi
}

# a parameter written through sysfs is what systool shows next
check_systool_after_store() {
  local mnt=$1 out
  echo 7 >"$mnt/module/demo/parameters/level" || return 1
  out=$(in_sys "$mnt" systool -m demo -v 2>&1) || return 1
  grep -q '^    level *= "7"$' <<<"$out" || {
    echo "$out"
    return 1
  }
}

check_systool_path() {
  local mnt=$1 out rc=0
  out=$(in_sys "$mnt" systool -m demo -p 2>&1) || return 1
  [[ $(head -n1 <<<"$out") == 'Module = "demo"' ]] || {
    echo "$out"
    return 1
  }
  out=$(in_sys "$mnt" systool -m nosuchmodule -p 2>&1) || rc=$?
  if ((rc == 0)) || [[ $out != *"Error opening module nosuchmodule"* ]]; then
    echo "an unloaded module: rc=$rc $out"
    return 1
  fi
}

# systool -b cpu -p: one device per possible CPU, found through bus/cpu/devices, at its
# devices/system/cpu path; -b node -v: each node's cpulist.
check_systool_bus() {
  local mnt=$1 out cpu devs
  out=$(in_sys "$mnt" systool -b cpu -p 2>&1) || {
    echo "$out"
    return 1
  }
  devs=$(grep -c '^  Device = "cpu[0-9]*"$' <<<"$out") || true
  [[ $devs == "$(variant "$mnt" cpus)" ]] || {
    echo "$devs devices for $(variant "$mnt" cpus) CPUs: $out"
    return 1
  }
  for ((cpu = 0; cpu < devs; cpu++)); do
    grep -qx "  Device path = \"/sys/devices/system/cpu/cpu$cpu\"" <<<"$out" || {
      echo "no path for cpu$cpu: $out"
      return 1
    }
  done
  out=$(in_sys "$mnt" systool -b node -v 2>&1) || return 1
  grep -q "^    cpulist *= \"$(cat "$mnt/devices/system/node/node0/cpulist")\"$" <<<"$out" || {
    echo "$out"
    return 1
  }
}

# ---- the plan -------------------------------------------------------------------------

ktap_header
ktap_plan 17

if slabfs_mount_tmp --cpus 4; then
  ktap_ok "slabfs mount --cpus 4"
else
  ktap_not_ok "slabfs mount --cpus 4"
  ktap_fail_rest "mount failed"
  ktap_finish
fi
M4=$MNT

ktap_run "lscpu --sysroot: 4 CPUs, on-line 0-3, 1 socket x 4 cores x 1 thread, node0 0-3" \
  check_lscpu "$M4"
ktap_run "lscpu -p: one line per online CPU, socket and node as the model's" \
  check_lscpu_parse "$M4"
ktap_run "lscpu inside slabfs shell: 4 CPUs, 1 socket x 4 cores, node0 0-3; -p as the model's" \
  in_shell_lscpu sh_and check_lscpu "$M4" -- check_lscpu_parse "$M4"
ktap_run "chcpu -d 1: the model takes cpu1 down under cpus_write_lock" check_chcpu_down "$M4"
ktap_run "lscpu: cpu1 off-line, no topology, 3 cores" check_lscpu_offline "$M4" 1
ktap_run "lscpu inside slabfs shell: cpu1 off-line, no topology, 3 cores" \
  in_shell_lscpu check_lscpu_offline "$M4" 1
ktap_run "chcpu -e 1: cpu1 up again with its topology" check_chcpu_up "$M4"
ktap_run "chcpu -d 0: refused, cpu0 stays online with its topology" check_chcpu_cpu0 "$M4"
if extract_selftest >"$WORK/extract.log" 2>&1; then
  ktap_run "selftest cpu-on-off-test.sh: cpu 3 off and on" check_selftest "$M4" 1
  ktap_run "selftest cpu-on-off-test.sh -a: cpus 1 and 2 off and on" check_selftest "$M4" 2 -a
else
  ktap_not_ok "selftest cpu-on-off-test.sh: cpu 3 off and on"
  ktap_diag "$(cat "$WORK/extract.log")"
  ktap_not_ok "selftest cpu-on-off-test.sh -a: cpus 1 and 2 off and on"
fi
PARAMS=(level=3 mode=fast verbose=Y)
ktap_run "insmod demo with 3 parameters through sim/ctl" \
  slabfs_ctl "$M4" insmod demo "${PARAMS[@]/#/param=}"
ktap_run "systool -m demo -v: the parameters and values insmod gave" \
  check_systool_module "$M4" "${PARAMS[@]}"
ktap_run "systool -m demo -v after echo 7 > parameters/level shows 7" \
  check_systool_after_store "$M4"
ktap_run "systool -m demo -p; an unloaded module is an error" check_systool_path "$M4"
ktap_run "systool -b cpu -p, -b node -v: the devices of bus/cpu and bus/node" \
  check_systool_bus "$M4"

if slabfs_mount_tmp --cpus 4 --nodes 2; then
  ktap_run "lscpu --sysroot on --nodes 2: 2 sockets x 2 cores, node1 2-3" check_lscpu "$MNT"
else
  ktap_not_ok "lscpu --sysroot on --nodes 2: 2 sockets x 2 cores, node1 2-3"
fi

ktap_finish
