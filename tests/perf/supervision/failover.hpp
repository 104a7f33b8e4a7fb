#pragma once

// Part 2 of sophia-bench-supervision: how long a fail-over role is out of
// reach when its node dies (kill -9) or hangs (kill -STOP), as a caller on
// another node sees it.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "runtime/config/cluster_config.hpp"

namespace sophia::bench {

/// Run sizes and timers of the fail-over part.
struct failover_params {
  std::string node_bin;
  std::string work_dir;
  std::string role = "ai_intelligence";
  /// Runs per kind of failure.
  size_t runs = 10;
  /// A new call starts this often while the role is out of reach, whether
  /// the calls before have ended or not.
  std::chrono::milliseconds retry{ 10 };
  /// Deadline of each of those calls.
  std::chrono::milliseconds call_deadline{ 100 };
  /// The cluster counts as converged after a failure once n1 has seen it so
  /// for this long.
  std::chrono::milliseconds settle{ 1000 };
  /// See `trio_options::takeover_on_n3`.
  bool takeover_on_n3 = false;
  /// The shipped defaults of cluster.conf.
  int64_t heartbeat_ms = runtime::config::cluster_config{}.heartbeat_ms;
  int64_t failure_timeout_ms =
    runtime::config::cluster_config{}.failure_timeout_ms;
};

/// One failure of n2 and the way back.
struct failover_run {
  /// Signal sent -> n1's membership reports n2 down; -1 if it never did.
  double down_ms = -1;
  /// Signal sent -> the first successful `info` call of the role from n1.
  double failover_ms = -1;
  /// The node whose copy of the role answered that call.
  std::string answered_by;
  /// Calls started until then (one every `retry`), that one included.
  size_t attempts = 0;
  /// The error of the last call that failed before: what a caller saw.
  std::string last_error;
  /// n2 restarted (kill -9) or continued (SIGCONT) -> n1 sees both peers up
  /// and the role on n2 alone again (the state that then held for `settle`);
  /// -1 if it never did.
  double converge_ms = -1;
  /// Why the cluster did not get back there; the next run then starts on a
  /// fresh cluster.
  std::string back_failure;
};

/// What the fail-over part measured.
struct failover_result {
  /// Every node runs the shipped scheduler configuration.
  sched config;
  /// The 1-minute load average when this part started (shared machine).
  double load1 = 0;
  int64_t heartbeat_ms = 0;
  int64_t failure_timeout_ms = 0;
  std::string role;
  bool takeover_on_n3 = false;
  /// Start of n2 and n3 -> the role runs on n2 and answers.
  double startup_ms = 0;
  std::vector<failover_run> kill;
  std::vector<failover_run> stop;
  /// How often the cluster was started again after a run that did not
  /// converge.
  size_t rebuilds = 0;
  /// Set when the cluster could not be started or a run got stuck.
  std::string failed;
};

/// Runs part 2: `runs` times kill -9 of n2, then `runs` times kill -STOP.
failover_result run_failover(const failover_params& params);

} // namespace sophia::bench
