#pragma once

// The results of one sophia-bench-runtime run, its targets, and the two ways
// it is written out: the printed table and the JSON file.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_cross.hpp"
#include "bench_failure.hpp"
#include "bench_local.hpp"
#include "bench_support.hpp"

namespace sophia::bench {

/// The targets each figure is judged against.
struct targets {
  double local_msgs_per_s = 2e6;
  double seq_p50_us = 150;
  double seq_p99_us = 500;
  double pipelined_per_s = 40e3;
  /// Extra time per call of OURS over RAW, in percent.
  double overhead_pct = 20;
  double kill_down_ms = 500;
  /// A hung node must be down within failure_timeout_ms plus this.
  double stop_grace_ms = 1000;
  double up_ms = 2000;
};

/// Everything one run measured, and how.
struct report {
  machine_info machine;
  /// The command line, to repeat the run.
  std::string command;
  std::string started_at;
  double total_seconds = 0;
  bool quick = false;
  std::string node_bin;
  local_params local_cfg;
  cross_params cross_cfg;
  failure_params failure_cfg;
  std::vector<local_result> local;
  std::vector<cross_result> cross;
  std::optional<failure_result> failure;
  targets goal;
};

/// Extra time per call of `ours` over `raw`, in percent, for latencies.
double latency_overhead_pct(double raw, double ours);

/// Extra time per call of `ours` over `raw`, in percent, for rates.
double rate_overhead_pct(double raw_per_s, double ours_per_s);

/// Every verdict of the run, in table order.
std::vector<check> evaluate(const report& r);

/// The human-readable table.
std::string render_table(const report& r);

/// The JSON document (results, parameters, machine, verdicts), keys in the
/// order of the table.
nlohmann::ordered_json to_json(const report& r);

} // namespace sophia::bench
