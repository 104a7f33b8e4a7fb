#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace sophia::runtime::testing {

/// Reserves a loopback TCP port for this process until it exits, without
/// the race of "bind port 0, close it, hand out the number":
/// - ports come from below (or above) the kernel's ephemeral range
///   (/proc/sys/net/ipv4/ip_local_port_range), so no outgoing connection of
///   any process takes one as its source port meanwhile;
/// - a port is claimed with flock(2) on `DIR/PORT.lock` (DIR is
///   $SOPHIA_PORT_LOCK_DIR, else $TMPDIR/sophia-ports), held until the
///   process exits, so that test processes (C++ and the shell harness, which
///   locks the same files) never hand out the same port twice;
/// - it must bind on 127.0.0.1 at the time.
/// Throws std::runtime_error, saying why, when no port can be reserved.
uint16_t reserve_port();

/// The range `reserve_port` draws from.
std::pair<uint16_t, uint16_t> reservable_ports();

/// The directory of the lock files.
std::string port_lock_dir();

} // namespace sophia::runtime::testing
