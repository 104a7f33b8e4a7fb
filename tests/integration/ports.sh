# shellcheck shell=bash
# Sourced: reserve_port, the shell twin of runtime/testing/ports.hpp, for the
# shell harness and the benchmarks. It never races with other tests or with
# outgoing connections:
# - ports come from below (or above) the kernel's ephemeral range, so no
#   outgoing connection takes one as its source port meanwhile;
# - a port is claimed with flock on DIR/PORT.lock (DIR: $SOPHIA_PORT_LOCK_DIR,
#   else $TMPDIR/sophia-ports), the lock files the C++ harness takes too,
#   held through a file descriptor of this shell until it exits;
# - nothing may listen on it at the time.
#
#   reserve_port || exit 1; PORT=$RESERVED_PORT
#
# Not PORT=$(reserve_port): a command substitution is a subshell, whose exit
# would release the lock at once.

SOPHIA_PORT_LOCK_DIR=${SOPHIA_PORT_LOCK_DIR:-${TMPDIR:-/tmp}/sophia-ports}

reserve_port() {
  RESERVED_PORT=
  local dir=$SOPHIA_PORT_LOCK_DIR lo=32768 hi=60999 from to p fd
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir" 2>/dev/null && chmod 1777 "$dir" 2>/dev/null
  fi
  read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  from=10000 to=$((lo - 1))
  if [ $((to - from)) -lt 2000 ]; then from=$((hi + 1)) to=65535; fi
  for _ in $(seq 1 2000); do
    p=$((from + (RANDOM * 32768 + RANDOM) % (to - from + 1)))
    exec {fd}>>"$dir/$p.lock" 2>/dev/null || continue
    if flock -n "$fd" && ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      RESERVED_PORT=$p
      return 0
    fi
    exec {fd}>&-
  done
  echo "reserve_port: no free port in $from..$to (locks in $dir)" >&2
  return 1
}
