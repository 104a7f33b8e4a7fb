#pragma once

// Part 1 of sophia-bench-supervision: how long a one_for_one supervisor
// takes to bring a crashed worker back, on one scheduler configuration.

#include <cstddef>
#include <string>

#include "bench_support.hpp"

namespace sophia::bench {

/// Run sizes of the restart part.
struct restart_params {
  /// Crashes measured per scheduler configuration.
  size_t runs = 5000;
  /// Crashes before those, not measured: the first restarts pay for cold
  /// caches and the scheduler's threads waking up.
  size_t warmup = 100;
};

/// What the restart part measured on one scheduler configuration.
struct restart_result {
  sched config;
  /// The 1-minute load average when this configuration started.
  double load1 = 0;
  /// From the moment the worker quit (it stamps the time just before
  /// `quit`) until the probe got the restarted worker's answer to a ping.
  latency_summary from_exit;
  /// From sending the crash message until that answer: adds the delivery
  /// of the crash message.
  latency_summary from_send;
  /// The restart count the supervisor reports for the worker afterwards;
  /// must equal warm-up plus runs, or something else restarted it.
  uint64_t restarts_reported = 0;
  double seconds = 0;
  /// Set when the measurement could not finish.
  std::string failed;
};

/// Crashes a supervised worker `warmup + runs` times in a fresh actor system
/// with scheduler `config`.
restart_result run_restart(const sched& config, const restart_params& params);

} // namespace sophia::bench
