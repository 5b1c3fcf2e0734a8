#!/usr/bin/env bash
# 0018-clients: the tools people already use, unmodified, inside `slabfs shell` (where /sys is
# the mount, /proc its sim/proc and /dev/kmsg its sim/kmsg), each checked against what the
# model says (sim/proc, sim/stats, sim/variant, sim/dmesg and the sysfs files):
#   procps slabtop -o (its summary and rows against /proc/slabinfo and kernel/slab/*),
#   kmod lsmod after insmod through sim/ctl (names, sizes, use counts, holders against
#   /sys/module/*/{coresize,refcnt,holders}) and kmod rmmod's refusals (holders, refcnt, not
#   loaded: what kmod reads from sysfs before it calls delete_module(2)),
#   util-linux dmesg and dmesg -w (a record printed through sim/ctl while it runs; once killed
#   nothing of it stays open or blocked in the model), the hung-task report's own advice
#   `echo 0 > /proc/sys/kernel/hung_task_timeout_secs` run inside the shell,
#   prometheus-node-exporter (Debian) with --path.sysfs MNT --path.procfs MNT/sim/proc and the
#   cpu and slabinfo collectors, scraped with curl on a port the kernel picks on localhost.
# kmod's modinfo and the unloading itself cannot be simulated: modinfo reads module files
# under /lib/modules/$(uname -r), which a simulated insmod has none of, and rmmod's
# delete_module(2) goes to the host's kernel (README, known differences).
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

say() { printf '0018-clients: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}
# shellcheck source-path=SCRIPTDIR/../lib source=../lib/prereqs.sh
source "$ROOT/mountpoint-scripts/lib/prereqs.sh"

EXPORTER=prometheus-node-exporter

((EUID == 0)) || ktap_skip_all "must run as root (FUSE mounts, slabfs shell)"
missing=()
command -v slabtop >/dev/null 2>&1 || missing+=(procps)
command -v lsmod >/dev/null 2>&1 || missing+=(kmod)
command -v rmmod >/dev/null 2>&1 || missing+=(kmod)
command -v dmesg >/dev/null 2>&1 || missing+=(util-linux)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v "$EXPORTER" >/dev/null 2>&1 || missing+=(prometheus-node-exporter)
if ((${#missing[@]})); then
  # shellcheck disable=SC2207 # package names are single words
  missing=($(printf '%s\n' "${missing[@]}" | sort -u))
  # without Recommends: dbus and the textfile collectors' timers are not needed here
  apt_install "the clients suite needs ${missing[*]}" --no-install-recommends "${missing[@]}"
fi

# How long a reader may take to show a line that is already in the model (bounds a hang;
# the checks never wait for time to pass).
LINE_WAIT=30

ctl() { slabfs_ctl "$MNT" "$@"; }

# in_shell CMD...: CMD inside `slabfs shell $MNT`.
in_shell() { slabfs_cmd shell "$MNT" -- "$@"; }

# first FILE: the first word of a sysfs file ("64 N0=64" on NUMA is 64).
first() {
  local w
  read -r w _ <"$1" || return 1
  echo "$w"
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

# ---- slabtop ------------------------------------------------------------------------

# slabtop_summary SLABINFO: the five summary lines procps' slabtop computes from a
# /proc/slabinfo text (library/slabinfo.c: a cache is active when it has objects; the
# average object size is an unsigned integer division).
slabtop_summary() {
  awk 'NR > 2 {
         n++; objs += $3; act += $2; sl += $15; asl += $14
         tot += $3 * $4; asz += $2 * $4
         if ($3 > 0) ac++
         if (min == "" || $4 < min) min = $4
         if ($4 > max) max = $4
       }
       END {
         printf " Active / Total Objects (%% used)    : %d / %d (%.1f%%)\n", act, objs, 100.0 * act / objs
         printf " Active / Total Slabs (%% used)      : %d / %d (%.1f%%)\n", asl, sl, 100.0 * asl / sl
         printf " Active / Total Caches (%% used)     : %d / %d (%.1f%%)\n", ac, n, 100.0 * ac / n
         printf " Active / Total Size (%% used)       : %.2fK / %.2fK (%.1f%%)\n", asz / 1024.0, tot / 1024.0, 100.0 * asz / tot
         printf " Minimum / Average / Maximum Object : %.2fK / %.2fK / %.2fK\n", min / 1024.0, int(tot / objs) / 1024.0, max / 1024.0
       }' <<<"$1"
}

# slabtop -o and /proc/slabinfo read in one shell: the summary is the sums of the rows,
# /proc/slabinfo is the mount's sim/proc/slabinfo, and the caches are sim/stats' caches.
check_slabtop_summary() {
  local out top info want got
  out=$(in_shell sh -c 'slabtop -o && echo @@ && cat /proc/slabinfo') || {
    echo "$out"
    return 1
  }
  top=${out%%$'\n'@@$'\n'*}
  info=${out#*$'\n'@@$'\n'}
  [[ $info == "$(cat "$MNT/sim/proc/slabinfo")" ]] || {
    echo "/proc/slabinfo in the shell is not the mount's sim/proc/slabinfo"
    return 1
  }
  want=$(slabtop_summary "$info")
  got=$(head -n 5 <<<"$top")
  echo "$got"
  [[ $got == "$want" ]] || {
    echo "the rows of /proc/slabinfo sum to:"
    echo "$want"
    return 1
  }
  [[ $(awk 'NR > 2' <<<"$info" | wc -l) == "$(slabfs_stat "$MNT" caches)" ]] || {
    echo "/proc/slabinfo has not sim/stats' $(slabfs_stat "$MNT" caches) caches"
    return 1
  }
  # below the summary, a blank line and the header: one row per cache, each cache once
  [[ $(sed -n '8,$p' <<<"$top" | awk '{ print $NF }' | sort -u | wc -l) == "$(slabfs_stat "$MNT" caches)" &&
    $(sed -n '8,$p' <<<"$top" | wc -l) == "$(slabfs_stat "$MNT" caches)" ]] || {
    echo "slabtop -o rows: $(sed -n '8,$p' <<<"$top" | wc -l)"
    return 1
  }
}

# check_slabtop_rows NAME...: each cache's slabtop -o row against its sysfs directory: OBJS
# total_objects, ACTIVE objects, OBJ SIZE slab_size (what /proc/slabinfo calls objsize),
# SLABS slabs, OBJ/SLAB objs_per_slab, CACHE SIZE slabs << order pages; USE is procps'
# float percentage (within 1 of the integer one). A cache created as client_alias merged into
# another (its sysfs name is a link): it has no row of its own, as in the kernel's slabinfo.
check_slabtop_rows() {
  local out name d row objs active use size slabs per csize n o want_use bad=0
  out=$(in_shell slabtop -o) || {
    echo "$out"
    return 1
  }
  for name in "$@"; do
    d=$MNT/kernel/slab/$name
    row=$(awk -v n="$name" 'NR > 7 && $NF == n' <<<"$out")
    echo "$row"
    [[ -n $row ]] || {
      echo "no row for $name"
      bad=1
      continue
    }
    read -r objs active use size slabs per csize _ <<<"$row"
    n=$(first "$d/total_objects") o=$(first "$d/order")
    want_use=$((n ? 100 * $(first "$d/objects") / n : 0))
    if [[ $objs != "$n" || $active != "$(first "$d/objects")" ||
      $size != "$(awk -v s="$(first "$d/slab_size")" 'BEGIN { printf "%.2fK", s / 1024 }')" ||
      $slabs != "$(first "$d/slabs")" || $per != "$(first "$d/objs_per_slab")" ||
      $csize != "$(($(first "$d/slabs") * (4 << o)))K" ]] ||
      ((${use%\%} > want_use || ${use%\%} < want_use - 1)); then
      echo "$name: sysfs total_objects $n objects $(first "$d/objects") slab_size" \
        "$(first "$d/slab_size") slabs $(first "$d/slabs") objs_per_slab" \
        "$(first "$d/objs_per_slab") order $o"
      bad=1
    fi
  done
  [[ -z $(awk '$NF == "client_alias"' <<<"$out") ]] || {
    echo "the alias client_alias has a row"
    bad=1
  }
  return "$bad"
}

# ---- lsmod, rmmod --------------------------------------------------------------------

# lsmod in the shell against the model: the modules of /proc/modules in its order, each
# with /sys/module/NAME/coresize as Size, refcnt as the use count and holders/ as Used by,
# and exactly the modules /sys/module has an initstate for.
check_lsmod() {
  local out name size used holders d want rows=0 bad=0 loaded
  out=$(in_shell lsmod) || {
    echo "$out"
    return 1
  }
  echo "$out"
  [[ $(head -n1 <<<"$out") == "Module                  Size  Used by" ]] || return 1
  [[ $(tail -n +2 <<<"$out" | awk '{ print $1 }') == "$(awk '{ print $1 }' "$MNT/sim/proc/modules")" ]] || {
    echo "not the modules of sim/proc/modules, in its order"
    return 1
  }
  while read -r name size used holders; do
    rows=$((rows + 1))
    d=$MNT/module/$name
    want=$(find "$d/holders" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | paste -sd,)
    holders=$(tr , '\n' <<<"$holders" | sed '/^$/d' | sort | paste -sd,)
    if [[ $size != "$(cat "$d/coresize")" || $used != "$(cat "$d/refcnt")" ||
      $holders != "$want" || $(cat "$d/initstate") != live ]]; then
      echo "$name: lsmod $size $used '$holders'; sysfs coresize $(cat "$d/coresize")" \
        "refcnt $(cat "$d/refcnt") holders '$want' initstate $(cat "$d/initstate")"
      bad=1
    fi
  done < <(tail -n +2 <<<"$out")
  loaded=$(find "$MNT/module" -mindepth 2 -maxdepth 2 -name initstate | wc -l)
  ((rows == loaded && rows == $(slabfs_stat "$MNT" modules))) || {
    echo "$rows rows; $loaded modules with an initstate; sim/stats modules $(slabfs_stat "$MNT" modules)"
    bad=1
  }
  return "$bad"
}

# check_lsmod_used_by BASE COUNT: lsmod names COUNT holders of BASE, and its use count is COUNT.
check_lsmod_used_by() {
  local out row
  out=$(in_shell lsmod) || return 1
  row=$(awk -v m="$1" '$1 == m' <<<"$out")
  echo "$row"
  [[ $(awk '{ print $3 }' <<<"$row") == "$2" &&
    $(awk '{ print $4 }' <<<"$row" | tr , '\n' | sed '/^$/d' | wc -l) == "$2" ]]
}

# rmmod's refusals come from the model's sysfs: holders/ (in use by), refcnt (in use), no
# /sys/module/NAME (not loaded); the model keeps every module.
check_rmmod_refusals() {
  local out rc=0 want before
  before=$(slabfs_stat "$MNT" modules)
  want=$(find "$MNT/module/client_base/holders" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)
  out=$(in_shell rmmod client_base 2>&1) || rc=$?
  echo "$out"
  [[ $rc != 0 && $out == "rmmod: ERROR: Module client_base is in use by: "* ]] || return 1
  [[ $(tr ' ' '\n' <<<"${out#*in use by: }" | sort) == "$want" ]] || {
    echo "holders in sysfs: $want"
    return 1
  }
  ctl module_get client_user1 || return 1
  rc=0
  out=$(in_shell rmmod client_user1 2>&1) || rc=$?
  echo "$out"
  ctl module_put client_user1 || return 1
  [[ $rc != 0 && $out == "rmmod: ERROR: Module client_user1 is in use" ]] || return 1
  rc=0
  out=$(in_shell rmmod client_nosuch 2>&1) || rc=$?
  echo "$out"
  [[ $rc != 0 && $out == "rmmod: ERROR: Module client_nosuch is not currently loaded" ]] ||
    return 1
  expect_content "$MNT/module/client_base/initstate" live &&
    [[ $(slabfs_stat "$MNT" modules) == "$before" ]]
}

# ---- dmesg ---------------------------------------------------------------------------

check_dmesg() {
  local got want
  got=$(in_shell dmesg) || return 1
  want=$(cat "$MNT/sim/dmesg")
  tail -n 2 <<<"$got"
  [[ $got == "$want" ]] || {
    echo "sim/dmesg:"
    tail -n 5 <<<"$want"
    return 1
  }
}

# read_until FD TEXT: read lines from FD until one contains TEXT (each read bounded by
# LINE_WAIT); the line found is left in LINE.
read_until() {
  local line
  while IFS= read -r -t "$LINE_WAIT" -u "$1" line; do
    [[ $line == *"$2"* ]] && {
      LINE=$line
      return 0
    }
  done
  echo "no line with '$2' within ${LINE_WAIT}s of the previous one"
  return 1
}

# dmesg -w in the shell shows smpboot's records of a cpu_down and cpu_up through sim/ctl,
# as sim/dmesg has them; killed, it leaves nothing open or blocked in the model.
check_dmesg_follow() {
  local fd pid rc=0
  # slabfs shell execs unshare, which execs the namespace's bash, which execs dmesg: $! is dmesg
  exec {fd}< <(exec "$SLABFS" shell "$MNT" -- dmesg -w 2>&1)
  pid=$!
  read_until "$fd" "slabfs: boot set" || rc=1
  if ((rc == 0)); then
    # dmesg -w now holds sim/kmsg open, asleep in its read for the next record
    ctl "await_open_files 1 timeout=$LINE_WAIT" || {
      echo "dmesg -w does not hold sim/kmsg open"
      rc=1
    }
  fi
  if ((rc == 0)) && ctl cpu_down 3 && read_until "$fd" "smpboot: CPU 3 is now offline"; then
    echo "dmesg -w: $LINE"
    grep -qxF -- "$LINE" "$MNT/sim/dmesg" || {
      echo "not a line of sim/dmesg"
      rc=1
    }
    ctl cpu_up 3 && read_until "$fd" "smpboot: Booting Node 0 Processor 3 " || rc=1
    echo "dmesg -w: $LINE"
  else
    rc=1
  fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  exec {fd}<&-
  ((rc == 0)) && quiet
}

# The hung-task report says how to silence it; run what it says inside the shell: khungtaskd
# stops (sim/variant, /proc/sys/kernel/hung_task_timeout_secs, no report comes while the
# task stays blocked), and it reports again once the timeout is 1 again.
check_hung_task_advice() {
  local pid rc=0 advice out reports msg
  ctl pause shrink_store || return 1
  (echo 1 >"$MNT/kernel/slab/kmalloc-64/shrink") &
  pid=$!
  ctl await shrink_store "timeout=$LINE_WAIT" || rc=1
  ((rc == 0)) && { ctl "await_dmesg disables this message. timeout=$LINE_WAIT" || rc=1; }
  if ((rc == 0)); then
    out=$(in_shell dmesg) || rc=1
    grep -m1 'blocked for more than' <<<"$out"
    advice=$(sed -n 's/^\[ *[0-9.]*\] "\(.*\)" disables this message\.$/\1/p' <<<"$out" | head -n1)
    echo "the report says: $advice"
    [[ $advice == "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" ]] || rc=1
  fi
  if ((rc == 0)); then
    in_shell sh -c "$advice" || rc=1
    out=$(in_shell cat /proc/sys/kernel/hung_task_timeout_secs) || rc=1
    echo "inside: /proc/sys/kernel/hung_task_timeout_secs $out; sim/variant:" \
      "$(grep '^hung_task_timeout ' "$MNT/sim/variant")"
    [[ $out == 0 ]] && grep -qx 'hung_task_timeout 0' "$MNT/sim/variant" || rc=1
  fi
  if ((rc == 0)); then
    # the write returned with khungtaskd's sleep made endless (its scan is synchronized
    # with the write): the still blocked task is never reported again
    reports=$(slabfs_stat "$MNT" hung_task_reports)
    ctl dmesg_clear
    msg=$({ printf '%s' "await_dmesg blocked for more than timeout=3" >"$MNT/sim/ctl"; } 2>&1) && {
      echo "a hung-task report came with the timeout 0"
      rc=1
    }
    [[ $rc != 0 || $msg == *"Connection timed out"* ]] || {
      echo "await_dmesg: '$msg'"
      rc=1
    }
    [[ $(slabfs_stat "$MNT" hung_task_reports) == "$reports" ]] || rc=1
    in_shell sh -c 'echo 1 > /proc/sys/kernel/hung_task_timeout_secs' || rc=1
    ctl "await_dmesg blocked for more than timeout=$LINE_WAIT" || {
      echo "no report once the timeout is 1 again"
      rc=1
    }
  fi
  ctl resume shrink_store
  wait "$pid" || rc=1
  ((rc == 0)) && quiet
}

# ---- prometheus-node-exporter --------------------------------------------------------

EXP_PID=''
EXP_FD=''
EXP_PORT=''

# exporter_start: the exporter on 127.0.0.1, on a port the kernel picks (":0"), which it
# names on its "Listening on" line once its socket is bound.
exporter_start() {
  local line
  exec {EXP_FD}< <(exec "$EXPORTER" --path.sysfs="$MNT" --path.procfs="$MNT/sim/proc" \
    --collector.disable-defaults --collector.cpu --collector.slabinfo \
    --web.listen-address=127.0.0.1:0 2>&1)
  EXP_PID=$!
  while IFS= read -r -t "$LINE_WAIT" -u "$EXP_FD" line; do
    ktap_diag "$line"
    if [[ $line == *'msg="Listening on"'* && $line =~ address=127\.0\.0\.1:([0-9]+) ]]; then
      EXP_PORT=${BASH_REMATCH[1]}
      return 0
    fi
  done
  return 1
}

# exporter_stop: always (the suite's EXIT trap calls it too); its log goes to diagnostics.
exporter_stop() {
  [[ -n $EXP_PID ]] || return 0
  kill -TERM "$EXP_PID" 2>/dev/null || true
  wait "$EXP_PID" 2>/dev/null || true
  if [[ -n $EXP_FD ]]; then
    ktap_diag "$(cat <&"$EXP_FD")"
    exec {EXP_FD}<&-
  fi
  EXP_PID='' EXP_FD=''
}

scrape() {
  curl -fsS --noproxy '*' --max-time "$LINE_WAIT" "http://127.0.0.1:$EXP_PORT/metrics"
}

# marker NAME: print a record through sim/ctl (a command that fails names its argument in
# dmesg: "slabfs: ctl: ... no cache was created as 'NAME'") and print its timestamp.
marker() {
  ! ctl "kmem_cache_destroy $1" 2>/dev/null || return 1
  sed -n "s/^\[ *\([0-9]*\.[0-9]*\)\] .*'$1'.*/\1/p" "$MNT/sim/dmesg" | tail -n1 | grep .
}

# check_cpu_metrics: node_cpu_seconds_total per CPU and mode (and the guest ones) lie
# between sim/proc/stat read before and after the scrape (USER_HZ 100), for exactly the CPUs
# stat has lines for, which are devices/system/cpu/online's; idle moves with the model's
# clock, everything else is 0 and stays. That clock also bounds cpu0 (online since boot, x86
# cannot take it down): its idle time is at least the kernel's time from the end of boot
# (BOOT_TS) to a record printed before the scrape and at most the time of one printed after.
check_cpu_metrics() {
  local before metrics after ts_a ts_b online
  ts_a=$(marker client_before_scrape) || return 1
  before=$(cat "$MNT/sim/proc/stat") || return 1
  metrics=$(scrape) || return 1
  after=$(cat "$MNT/sim/proc/stat") || return 1
  ts_b=$(marker client_after_scrape) || return 1
  online=$(cat "$MNT/devices/system/cpu/online")
  [[ $(awk '/^cpu[0-9]/ { sub(/^cpu/, "", $1); print $1 }' <<<"$before" | paste -sd' ') == \
    "$(cpulist_expand "$online")" ]] || {
    echo "stat's CPUs are not cpu/online's $online"
    return 1
  }
  echo "dmesg clock: boot $BOOT_TS, before the scrape $ts_a, after $ts_b"
  grep -E '^node_cpu_seconds_total\{cpu="[0-9]+",mode="idle"\}' <<<"$metrics"
  grep -qx 'node_scrape_collector_success{collector="cpu"} 1' <<<"$metrics" || return 1
  awk -v boot="$BOOT_TS" -v ts_a="$ts_a" -v ts_b="$ts_b" '
    FNR == 1 { f++ }
    f <= 2 && $1 ~ /^cpu[0-9]+$/ {
      c = substr($1, 4); cpus[f, c] = 1
      for (i = 2; i <= 11; i++) v[f, c, i] = $i
      next
    }
    f == 3 && /^node_cpu_(guest_)?seconds_total\{/ {
      match($1, /cpu="[0-9]+"/); c = substr($1, RSTART + 5, RLENGTH - 6)
      match($1, /mode="[a-z]+"/); m = substr($1, RSTART + 6, RLENGTH - 7)
      guest = $1 ~ /^node_cpu_guest/
      col = guest ? (m == "user" ? 10 : 11) : col_of[m]
      if (!col) { print "unknown mode " m; bad = 1; next }
      seen[c] = 1; n++
      t = $2 * 100
      if (t < v[1, c, col] - 0.5 || t > v[2, c, col] + 0.5) {
        printf "%s %s: stat %s..%s, scraped %s\n", $1, m, v[1, c, col], v[2, c, col], $2
        bad = 1
      }
      if (m == "idle" && !guest && (t > ts_b * 100 + 0.5 || (c == 0 && t < (ts_a - boot) * 100 - 1))) {
        printf "%s: %s s idle, the kernel clock: %s s after boot, %s s before the scrape\n", $1, $2, ts_b, ts_a - boot
        bad = 1
      }
    }
    BEGIN {
      split("user nice system idle iowait irq softirq steal", ms, " ")
      for (i = 1; i <= 8; i++) col_of[ms[i]] = i + 1
    }
    END {
      for (k in cpus) { split(k, p, SUBSEP); if (p[1] == 1 && !(p[2] in seen)) { print "no metrics for cpu" p[2]; bad = 1 } }
      for (c in seen) if (!((1, c) in cpus) || !((2, c) in cpus)) { print "cpu" c " is not in stat"; bad = 1 }
      if (n != 10 * length(seen)) { print n " cpu series for " length(seen) " CPUs"; bad = 1 }
      exit bad
    }' <(echo "$before") <(echo "$after") <(echo "$metrics")
}

# check_cpu_metrics_offline CPU: with CPU taken down through sim/ctl, stat has no line for it
# (show_stat() walks the online CPUs) and neither has the exporter; the others as
# check_cpu_metrics says. The last CPU: exporter 1.5.0's procfs keeps the CPUs in a slice
# indexed by number, so an offline CPU below the last one shows as a CPU of zeros.
check_cpu_metrics_offline() {
  local rc=0 metrics
  ctl cpu_down "$1" || return 1
  metrics=$(scrape) || rc=1
  if grep -q "^node_cpu_seconds_total{cpu=\"$1\"" <<<"$metrics" ||
    grep -q "^cpu$1 " "$MNT/sim/proc/stat"; then
    echo "cpu$1 is offline, yet stat or the exporter has it"
    rc=1
  fi
  check_cpu_metrics || rc=1
  ctl cpu_up "$1" || rc=1
  return "$rc"
}

# check_slab_metrics NAME...: the five node_slabinfo_* series of every cache equal its row in
# sim/proc/slabinfo (read after the scrape; the slab counters do not move by themselves),
# one series each for every row; for NAME... also equal to the cache's sysfs files.
check_slab_metrics() {
  local metrics info name d bad=0 got
  metrics=$(scrape) || return 1
  info=$(cat "$MNT/sim/proc/slabinfo") || return 1
  grep -qx 'node_scrape_collector_success{collector="slabinfo"} 1' <<<"$metrics" || return 1
  awk '
    FNR == 1 { f++ }
    f == 1 && FNR > 2 {
      rows++
      want[$1, "active_objects"] = $2; want[$1, "objects"] = $3
      want[$1, "object_size_bytes"] = $4; want[$1, "objects_per_slab"] = $5
      want[$1, "pages_per_slab"] = $6
      next
    }
    f == 2 && /^node_slabinfo_/ {
      match($1, /slab="[^"]*"/); s = substr($1, RSTART + 6, RLENGTH - 7)
      m = $1; sub(/^node_slabinfo_/, "", m); sub(/\{.*/, "", m)
      n++
      if (!((s, m) in want) || want[s, m] != $2) {
        printf "%s: %s, slabinfo says %s\n", $1, $2, want[s, m]; bad = 1
      }
    }
    END {
      if (n != 5 * rows) { print n " series for " rows " slabinfo rows"; bad = 1 }
      exit bad
    }' <(echo "$info") <(echo "$metrics") || bad=1
  for name in "$@"; do
    d=$MNT/kernel/slab/$name
    got=$(grep -F "{slab=\"$name\"}" <<<"$metrics" | sed 's/^node_slabinfo_//; s/{[^}]*}//' | sort)
    echo "$name: ${got//$'\n'/, }"
    [[ $got == "$(
      printf '%s\n' "active_objects $(first "$d/objects")" \
        "object_size_bytes $(first "$d/slab_size")" "objects $(first "$d/total_objects")" \
        "objects_per_slab $(first "$d/objs_per_slab")" \
        "pages_per_slab $((1 << $(first "$d/order")))"
    )" ]] || {
      echo "$name: sysfs objects $(first "$d/objects") total_objects" \
        "$(first "$d/total_objects") slab_size $(first "$d/slab_size") objs_per_slab" \
        "$(first "$d/objs_per_slab") order $(first "$d/order")"
      bad=1
    }
  done
  return "$bad"
}

# check_exporter_gone PID: the exporter, stopped and reaped by the suite, is gone; the model
# has nothing of it open.
check_exporter_gone() {
  local pid=$1
  if [[ -z $pid ]] || kill -0 "$pid" 2>/dev/null; then
    echo "the exporter ($pid) is still running"
    return 1
  fi
  quiet
}

# cpulist_expand LIST: the CPUs of a kernel cpulist such as 0,2-3, one per word.
cpulist_expand() {
  local r out=()
  IFS=, read -ra ranges <<<"$1"
  for r in "${ranges[@]}"; do
    # shellcheck disable=SC2207 # numbers
    out+=($(seq "${r%-*}" "${r#*-}"))
  done
  echo "${out[*]}"
}

# ---- the plan -------------------------------------------------------------------------

trap 'exporter_stop; _slabfs_cleanup' EXIT

ktap_header
ktap_plan 15

if slabfs_mount_tmp --cpus 4 --hung-task-timeout 1; then
  ktap_ok "slabfs mount --cpus 4 --hung-task-timeout 1"
else
  ktap_not_ok "slabfs mount --cpus 4 --hung-task-timeout 1"
  ktap_fail_rest "mount failed"
  ktap_finish
fi
# the end of boot on the kernel's clock (the hung-task point clears sim/dmesg)
BOOT_TS=$(sed -n 's/^\[ *\([0-9]*\.[0-9]*\)\] slabfs: boot set .*/\1/p' "$MNT/sim/dmesg")

ktap_run "kmem_cache_create client_cache 200 (a ctor: unmergeable), alloc 1000, free 300; client_alias 200 (merged)" sh -c "
  printf %s 'kmem_cache_create client_cache 200 ctor=client_ctor' >'$MNT/sim/ctl' &&
  printf %s 'kmem_cache_create client_alias 200' >'$MNT/sim/ctl' &&
  test -L '$MNT/kernel/slab/client_alias' &&
  printf %s 'alloc client_cache 1000' >'$MNT/sim/ctl' &&
  printf %s 'free client_cache 300' >'$MNT/sim/ctl'"
ktap_run "slabtop -o: the summary is the sums of /proc/slabinfo, one row per cache" \
  check_slabtop_summary
ktap_run "slabtop -o: rows of client_cache, kmalloc-64, kmem_cache as their sysfs files" \
  check_slabtop_rows client_cache kmalloc-64 kmem_cache
ktap_run "insmod client_base (a cache), client_user1 and client_user2 (depends=client_base)" \
  sh -c "
  printf %s 'insmod client_base cache=client_base_cache:96::client_base_ctor' >'$MNT/sim/ctl' &&
  printf %s 'insmod client_user1 depends=client_base' >'$MNT/sim/ctl' &&
  printf %s 'insmod client_user2 depends=client_base' >'$MNT/sim/ctl'"
ktap_run "lsmod: /proc/modules' modules, sizes, use counts and holders as /sys/module says" \
  check_lsmod
ktap_run "lsmod: client_base is used by 2" check_lsmod_used_by client_base 2
ktap_run "rmmod refuses as the model's sysfs says: in use by its holders, in use, not loaded" \
  check_rmmod_refusals
ktap_run "dmesg in the shell prints sim/dmesg" check_dmesg
ktap_run "dmesg -w shows cpu_down and cpu_up records; killed, nothing is left open or blocked" \
  check_dmesg_follow
ktap_run "the hung-task report's 'echo 0 > /proc/sys/kernel/hung_task_timeout_secs' in the shell stops khungtaskd" \
  check_hung_task_advice

if exporter_start; then
  ktap_run "node exporter: node_cpu_seconds_total per CPU and mode within sim/proc/stat" \
    check_cpu_metrics
  ktap_run "node exporter: cpu3 down, no series for it, the others within stat" \
    check_cpu_metrics_offline 3
  ktap_run "node exporter: node_slabinfo_* of every cache as sim/proc/slabinfo and sysfs" \
    check_slab_metrics client_cache client_base_cache kmalloc-64
else
  ktap_not_ok "node exporter: node_cpu_seconds_total per CPU and mode within sim/proc/stat"
  ktap_not_ok "node exporter: cpu3 down, no series for it, the others within stat"
  ktap_not_ok "node exporter: node_slabinfo_* of every cache as sim/proc/slabinfo and sysfs"
fi
EXP_STOPPED=$EXP_PID
exporter_stop
ktap_run "node exporter stopped; nothing left open, blocked or held in the model" \
  check_exporter_gone "$EXP_STOPPED"

ktap_finish
