#pragma once

// Part 2 of sophia-bench-runtime: request/response between two nodes, RAW
// (a CAF request straight to the remote echo actor's handle) against OURS
// (the call helper by name, routed by the local registry).

#include <cstdint>
#include <string>
#include <vector>

#include "bench_support.hpp"

namespace sophia::bench {

/// Run sizes of the cross-node part.
struct cross_params {
  std::string node_bin;
  std::string work_dir;
  /// Sequential calls per side, after `warmup` unmeasured ones per side.
  size_t sequential = 20'000;
  size_t warmup = 1'000;
  /// RAW and OURS alternate in blocks of this many sequential calls, so
  /// that a burst of load on the shared machine hits both alike.
  size_t block = 2'000;
  /// Pipelined calls per side and window size, split into `rounds`
  /// alternating rounds (for the same reason).
  uint64_t pipelined = 100'000;
  std::vector<size_t> windows{ 16, 256 };
  size_t rounds = 2;
  size_t payload = 64;
};

/// Throughput of one window size.
struct pipe_pair {
  size_t in_flight = 0;
  uint64_t calls = 0;
  double raw_per_s = 0;
  double ours_per_s = 0;
  uint64_t raw_errors = 0;
  uint64_t ours_errors = 0;
};

/// What the cross-node part measured for one scheduler configuration.
struct cross_result {
  sched config;
  /// The 1-minute load average when this part started (shared machine).
  double load1 = 0;
  /// From starting the remote process until the bench node resolved its
  /// echo service.
  double startup_ms = 0;
  latency_summary raw_seq;
  latency_summary ours_seq;
  uint64_t raw_seq_errors = 0;
  uint64_t ours_seq_errors = 0;
  std::vector<pipe_pair> pipelined;
  /// The first error seen, rendered; empty when every call succeeded.
  std::string first_error;
  /// Set when the pair could not be started at all.
  std::string failed;
};

/// Runs part 2 with both nodes on `config`.
cross_result run_cross(const sched& config, const cross_params& params);

} // namespace sophia::bench
