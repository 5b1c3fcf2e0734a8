#!/usr/bin/env bash
# 0017-kernfs-attrs: what kernfs does with a node's attributes and directory order, through
# real tools. chmod, chown and touch succeed for root and show in stat (kernfs keeps them in
# kn->iattr); the sysfs open check uses the new mode and whether the attribute has a store;
# listxattr is empty; poll reports POLLERR|POLLPRI as kernfs_generic_poll does; ls -f lists in kernfs order (kernfs_name_hash, then name), which is
# what a real 6.18 machine listed (slabcore's golden/ls-f-order.txt).
# shellcheck disable=SC2317 # check functions are called through ktap_run
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
source "$(dirname "$(readlink -f "$0")")/lib/ktap.sh"

GOLDEN="$ROOT/slabcore/src/test/resources/golden/ls-f-order.txt"

check_chmod() {
  local f=$S/kmalloc-64/cpu_partial out rc=0
  chmod 0400 "$f" || return 1
  echo "after chmod 0400: $(stat -c %a "$f")"
  [[ $(stat -c %a "$f") == 400 ]] || return 1
  out=$(bash -c "echo 30 > '$f'" 2>&1) || rc=$?
  echo "root writing it: exit $rc: $out"
  ((rc != 0)) && [[ $out == *"Permission denied"* ]] || return 1
  chmod 0600 "$f" || return 1
  echo 30 >"$f" || return 1
  [[ $(cat "$f") == 30 ]]
}

check_chmod_no_store() {
  local f=$S/kmalloc-64/order out rc=0
  chmod u+w "$f" || return 1
  echo "order after chmod u+w: $(stat -c %a "$f")"
  [[ $(stat -c %a "$f") == 600 ]] || return 1
  out=$(bash -c "echo 1 > '$f'" 2>&1) || rc=$?
  echo "root writing it: exit $rc: $out"
  ((rc != 0)) && [[ $out == *"Permission denied"* ]]
}

check_chown() {
  local d=$S/kmalloc-64
  chown 65534:65534 "$d/objects" || return 1
  chown -h 1:2 "$S/UDP" || return 1
  echo "objects: $(stat -c '%u:%g %a' "$d/objects"); UDP link: $(stat -c '%u:%g %A' "$S/UDP")"
  [[ $(stat -c '%u:%g %a' "$d/objects") == "65534:65534 400" ]] &&
    [[ $(stat -c '%u:%g %A' "$S/UDP") == "1:2 lrwxrwxrwx" ]]
}

check_touch() {
  local f=$S/kmalloc-64/slabs
  touch -d '2001-02-03 04:05:06.123456789 UTC' "$f" || return 1
  echo "mtime: $(stat -c '%y' "$f"), atime: $(stat -c '%x' "$f")"
  [[ $(TZ=UTC stat -c '%y' "$f") == "2001-02-03 04:05:06.123456789 +0000" ]] || return 1
  # a plain touch sets both to now (libfuse 2 drops a change of one time alone: README)
  touch "$f" || return 1
  echo "after touch: mtime $(stat -c '%y' "$f")"
  (($(stat -c %Y "$f") > 981173106 && $(stat -c %X "$f") == $(stat -c %Y "$f")))
}

check_listxattr() {
  local out
  out=$(python3 -c 'import os, sys; print(os.listxattr(sys.argv[1]), os.listxattr(sys.argv[2]))' \
    "$S/kmalloc-64/objects" "$S/kmalloc-64") || return 1
  echo "listxattr: $out"
  [[ $out == "[] []" ]]
}

# poll(2) through FUSE: POLLERR|POLLPRI before the first read (kernfs_generic_poll), none
# after it, and again after `sim/ctl sysfs_notify` (kernfs_notify), which a poll waiting for
# POLLPRI returns with.
check_poll() {
  local out
  out=$(python3 - "$S/kmalloc-64/objects" "$MNT/sim/ctl" <<'EOF'
import os, select, sys, threading
fd = os.open(sys.argv[1], os.O_RDONLY)
p = select.poll()
p.register(fd, select.POLLPRI)
def mask():
    r = p.poll(0)
    return r[0][1] if r else 0
want = select.POLLPRI | select.POLLERR
before = mask()
os.read(fd, 4096)
after_read = mask()
def notify():
    with open(sys.argv[2], "w") as ctl:
        ctl.write("sysfs_notify kernel/slab/kmalloc-64/objects")
threading.Thread(target=notify).start()
r = p.poll(20000)
woken = r[0][1] if r else 0
print(f"before read {before:#x}, after read {after_read:#x}, after sysfs_notify {woken:#x}")
sys.exit(0 if before & want == want and after_read == 0 and woken & want == want else 1)
EOF
  ) || {
    echo "$out"
    return 1
  }
  echo "$out"
}

# A cache named with '/': its directory gets '!' (kobject_set_name_vargs); a mergeable one's
# alias link keeps the '/', which the kernel's FUSE cannot list (it fails the whole getdents
# with EIO), so slabfs leaves that one name out and ls keeps working.
check_slash_names() {
  slabfs_ctl "$MNT" "kmem_cache_create sl/ash 64 ctor=sl_ctor" || return 1
  slabfs_ctl "$MNT" "kmem_cache_create me/rge 64" || return 1
  ls "$S" >/dev/null || return 1
  echo "ls kernel/slab: $(find "$S" -mindepth 1 -maxdepth 1 -name 'sl*' -printf '%f ')"
  [[ -d $S/sl!ash ]] && [[ ! -e $S/sl ]] &&
    [[ $(find "$S" -mindepth 1 -maxdepth 1 | wc -l) -gt 400 ]]
}

# golden_ls_f DIR: the names the real machine's ls -f listed for DIR, in its order.
golden_ls_f() {
  awk -v d="## $1" '$0 == d { f = 1; next } /^#/ { f = 0 } f' "$GOLDEN"
}

check_ls_f() {
  local want got
  want=$(golden_ls_f /sys/kernel/slab/kmalloc-64)
  # shellcheck disable=SC2010 # the order ls -f prints is what is compared
  got=$(ls -f "$S/kmalloc-64" | grep -vx '\.\|\.\.')
  echo "ls -f kernel/slab/kmalloc-64: $(head -n 3 <<<"$got" | tr '\n' ' ')..."
  [[ $(grep -c . <<<"$want") == 30 && $got == "$want" ]] || {
    diff <(echo "$want") <(echo "$got") | head -n 6
    return 1
  }
}

ktap_header
if ((EUID != 0)); then
  ktap_skip_all "not root: chown and the root-only files need root"
fi
ktap_plan 10
slabfs_mount_first
S=$MNT/kernel/slab

ktap_run "chmod 0400 on cpu_partial shows in stat; root's write is refused; 0600 writes again" \
  check_chmod
ktap_run "chmod u+w on order (no store) shows 0600, and the write is still refused" \
  check_chmod_no_store
ktap_run "chown of a file and chown -h of an alias symlink show in stat" check_chown
ktap_run "touch -d sets the nanosecond times; a plain touch sets them to now" check_touch
ktap_run "listxattr of a file and a directory is empty" check_listxattr
ktap_run "ls -f kernel/slab/kmalloc-64 lists as a real 6.18 machine's ls -f did" check_ls_f
ktap_run "poll: POLLERR|POLLPRI before the first read, none after, again after sysfs_notify" \
  check_poll
ktap_run "a cache named sl/ash has the directory sl!ash; ls works with an alias named me/rge" \
  check_slash_names
ktap_run "slabfs umount returns 0" slabfs_cmd umount "$MNT"
ktap_finish
