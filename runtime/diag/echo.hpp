#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace sophia::runtime::diag {

/// The name every node registers its echo actor under.
constexpr const char* echo_name = "runtime.echo";

/// Spawns the diagnostic echo service that every node runs: it answers calls
/// made through the call helper, so operators (`sophiactl call`), tests and
/// the benchmark can measure a round trip to any node.
///
/// Methods: `echo` returns the payload; `sleep` answers after the number of
/// milliseconds in the payload (without blocking a thread); `sleeping`
/// returns how many sleeps are pending (so that a test waits for its call
/// to arrive instead of guessing how long that takes); `fail` fails with
/// `errc::call_failed` and the payload as message.
caf::actor spawn_echo(caf::actor_system& sys);

} // namespace sophia::runtime::diag
