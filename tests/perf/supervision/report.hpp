#pragma once

// The results of one sophia-bench-supervision run, its targets, and the two
// ways it is written out: the printed table and the JSON file.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_support.hpp"
#include "failover.hpp"
#include "restart.hpp"

namespace sophia::bench {

/// The targets each figure is judged against.
struct supervision_targets {
  /// Restart of a crashed local worker, p99.
  double restart_p99_us = 1000;
  /// A killed node must be noticed within this (sophia-bench-runtime's
  /// target for kill -9); a hung one within failure_timeout_ms.
  double kill_detect_ms = 500;
  /// After its node is declared down, a fail-over role must answer again
  /// within this.
  double failover_grace_ms = 1000;
};

/// Everything one run measured, and how.
struct supervision_report {
  machine_info machine;
  /// The command line, to repeat the run.
  std::string command;
  std::string started_at;
  double total_seconds = 0;
  bool quick = false;
  std::string node_bin;
  restart_params restart_cfg;
  failover_params failover_cfg;
  std::vector<restart_result> restart;
  std::optional<failover_result> failover;
  supervision_targets goal;
};

/// Every verdict of the run, in table order.
std::vector<check> evaluate(const supervision_report& r);

/// The human-readable table.
std::string render_table(const supervision_report& r);

/// The JSON document (results, parameters, machine, verdicts), keys in the
/// order of the table.
nlohmann::ordered_json to_json(const supervision_report& r);

// -- part 2's share, in report_failover.cpp -----------------------------------

/// Appends the fail-over verdicts to `out`.
void evaluate_failover(const supervision_report& r, std::vector<check>& out);

/// Appends part 2 of the table to `out`.
void render_failover(const supervision_report& r, std::string& out);

/// The JSON of part 2.
nlohmann::ordered_json failover_json(const supervision_report& r);

} // namespace sophia::bench
