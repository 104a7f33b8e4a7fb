#pragma once

// Part 1 of sophia-bench-runtime: message throughput inside one process.

#include <cstdint>
#include <string>

#include "bench_support.hpp"

namespace sophia::bench {

/// Run sizes of the local part.
struct local_params {
  /// Raw CAF ping-pong round trips (two messages each).
  uint64_t round_trips = 1'000'000;
  /// Calls through the call helper to the local `runtime.echo`.
  uint64_t calls = 200'000;
  /// Calls the client keeps in flight.
  size_t in_flight = 64;
  /// Payload of each call, in bytes.
  size_t payload = 64;
};

/// What the local part measured for one scheduler configuration.
struct local_result {
  sched config;
  /// The 1-minute load average when this part started (shared machine).
  double load1 = 0;
  // (a) raw CAF ping-pong between two event-based actors.
  uint64_t round_trips = 0;
  double raw_seconds = 0;
  double raw_msgs_per_s = 0;
  // (b) the call helper: client -> registry -> echo -> registry -> client,
  // four messages per call.
  uint64_t calls = 0;
  double call_seconds = 0;
  double calls_per_s = 0;
  double call_msgs_per_s = 0;
  uint64_t call_errors = 0;
  // (c) For reference: plain CAF request/response (2 msgs each) to an actor
  // that returns the envelope, with no timeout and with the 10 s timeout
  // the call helper's requests carry; shows what CAF's timers cost.
  uint64_t requests = 0;
  double untimed_msgs_per_s = 0;
  double timed_msgs_per_s = 0;
  std::string first_error;
};

/// The timeout of the timed requests of (c) and the deadline of (b).
constexpr int64_t local_timeout_s = 10;

/// Messages one call through the call helper costs inside a node.
constexpr int msgs_per_local_call = 4;

/// Runs part 1 in a fresh actor system configured with `config`.
local_result run_local(const sched& config, const local_params& params);

} // namespace sophia::bench
