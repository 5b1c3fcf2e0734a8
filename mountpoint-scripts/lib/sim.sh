# shellcheck shell=bash
# lib/sim.sh: reading a mount's sim/ files, shared by the test suites (tests/lib/ktap.sh)
# and the stress engine (stress/lib.sh). Bash builtins only: no fork per read.
#
#   sim_open_files DIR   sim/stats open_files of the mount at DIR, once the files closed
#                        before are released (prints it; fails if it cannot be read)

# A read of sim/stats first waits until the files closed before it are released (close(2)
# returns before FUSE's RELEASE reaches slabfs; the daemon waits for it), so one read is
# the settled value, as on sysfs.
sim_open_files() {
  local text='' k v
  IFS= read -r -d '' text <"$1/sim/stats" || true
  while read -r k v; do
    if [[ $k == open_files && $v =~ ^[0-9]+$ ]]; then
      echo "$v"
      return 0
    fi
  done <<<"$text"
  echo "no open_files in $1/sim/stats" >&2
  return 1
}
