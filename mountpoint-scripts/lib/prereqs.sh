# shellcheck shell=bash
# lib/prereqs.sh: installing what slabfs needs, shared by the launcher (slabfs) and
# run-tests. Source it after defining say TEXT (one line to stderr) and die TEXT (say, exit 1).
#
#   apt_install WHY PKG...   install PKGs quietly with apt-get as root; otherwise say what
#                            to run, and exit
#   have_libfuse2            whether libfuse.so.2 is in the linker cache
#   jdk_package              the Debian package of a JDK 17
#   ensure_dev_fuse          load the fuse module if /dev/fuse is missing (root), or exit

SLABFS_APT_UPDATED=0

apt_install() {
  local why=$1 out
  shift
  if ((EUID != 0)); then
    die "$why. Run: sudo apt-get install $*"
  fi
  command -v apt-get >/dev/null 2>&1 || die "$why, and apt-get is not available: install $* by hand"
  say "$why: installing $* with apt-get ..."
  out=$(mktemp)
  if ((SLABFS_APT_UPDATED == 0)); then
    if ! apt-get update -qq >"$out" 2>&1; then
      cat "$out" >&2
      rm -f "$out"
      die "apt-get update failed"
    fi
    SLABFS_APT_UPDATED=1
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >"$out" 2>&1; then
    cat "$out" >&2
    rm -f "$out"
    die "apt-get install $* failed"
  fi
  rm -f "$out"
}

have_libfuse2() {
  local ldconfig
  ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
  # no grep -q: an early exit would SIGPIPE ldconfig and trip pipefail
  "$ldconfig" -p 2>/dev/null | grep 'libfuse.so.2 ' >/dev/null
}

jdk_package() {
  if apt-cache show openjdk-17-jdk-headless >/dev/null 2>&1 || ((EUID != 0)); then
    echo openjdk-17-jdk-headless
  else
    echo default-jdk-headless
  fi
}

ensure_dev_fuse() {
  if [[ ! -e /dev/fuse ]] && ((EUID == 0)); then
    modprobe fuse >/dev/null 2>&1 || true
  fi
  [[ -e /dev/fuse ]] ||
    die "/dev/fuse does not exist: load the fuse kernel module (modprobe fuse as root); in a container, start it with --device /dev/fuse --cap-add SYS_ADMIN"
}
