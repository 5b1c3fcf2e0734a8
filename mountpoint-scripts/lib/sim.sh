# shellcheck shell=bash
# lib/sim.sh: reading a mount's sim/ files, shared by the test suites (tests/lib/ktap.sh)
# and the stress engine (stress/lib.sh). Bash builtins only: no fork per read.
#
#   sim_open_files DIR   sim/stats open_files of the mount at DIR, once the files closed
#                        before are released (prints it; fails if it cannot be read)

# close(2) returns before FUSE's RELEASE has reached slabfs (sysfs releases synchronously),
# so one read may still count a file closed just before it, or the read before it. The
# smallest of five reads is the settled value; a leaked file is in every one of them.
sim_open_files() {
  local text k v min='' found
  for _ in 1 2 3 4 5; do
    text=''
    IFS= read -r -d '' text <"$1/sim/stats" || true
    found=''
    while read -r k v; do
      if [[ $k == open_files ]]; then
        found=$v
        break
      fi
    done <<<"$text"
    if [[ ! $found =~ ^[0-9]+$ ]]; then
      echo "no open_files in $1/sim/stats" >&2
      return 1
    fi
    if [[ -z $min ]] || ((found < min)); then min=$found; fi
  done
  echo "$min"
}
