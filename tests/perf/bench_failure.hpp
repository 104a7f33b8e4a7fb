#pragma once

// Part 3 of sophia-bench-runtime: how fast node `bench` notices that node
// `remote` died (kill -9) or hung (kill -STOP), and how fast it sees it back.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "runtime/config/cluster_config.hpp"

namespace sophia::bench {

/// Run sizes and timers of the failure part.
struct failure_params {
  std::string node_bin;
  std::string work_dir;
  /// Runs per kind of failure.
  size_t runs = 10;
  /// After a peer is back up, membership must stay quiet this long before
  /// the next run (late flaps are counted, not mistaken for the next run).
  std::chrono::milliseconds settle{ 1000 };
  /// The shipped defaults of cluster.conf.
  int64_t heartbeat_ms = runtime::config::cluster_config{}.heartbeat_ms;
  int64_t failure_timeout_ms =
    runtime::config::cluster_config{}.failure_timeout_ms;
};

/// One failure and recovery, timed by the bench node's membership events.
struct failure_run {
  /// Signal sent -> `down` event; -1 if none came.
  double down_ms = -1;
  /// SIGCONT sent, or the new process started -> `up` event; -1 if none.
  double up_ms = -1;
  /// State changes after the first `up` (flapping), counted during settle.
  size_t extra_events = 0;
  std::string down_reason;
  std::string extra;
};

/// What the failure part measured.
struct failure_result {
  /// Both nodes run the shipped scheduler configuration.
  sched config;
  /// The 1-minute load average when this part started (shared machine).
  double load1 = 0;
  int64_t heartbeat_ms = 0;
  int64_t failure_timeout_ms = 0;
  std::vector<failure_run> kill;
  std::vector<failure_run> stop;
  /// Set when the pair could not be started or a run got stuck.
  std::string failed;
};

/// Runs part 3 with the shipped scheduler and timers.
failure_result run_failure(const failure_params& params);

} // namespace sophia::bench
