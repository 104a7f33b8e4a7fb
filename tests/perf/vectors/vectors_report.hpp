#pragma once

// What one sophia-bench-vectors run measured, its targets, and the two ways
// it is written out: the printed table and the JSON file.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_support.hpp"
#include "contender.hpp"

namespace sophia::bench::vectors {

/// The settings of a run, as given on the command line.
struct run_params {
  data_params data;
  size_t k = 10;
  size_t rounds = 3;
  int threads = 1;
  /// Shards of the sharded exact row (0: one per core; 1: no such row).
  size_t shards = 0;
  /// Batch searches per round and efSearch; the fastest counts, so that a
  /// neighbour's burst on the shared machine spoils one try, not the round.
  size_t repeat = 3;
  /// Queries searched one at a time per round (a prefix of the queries).
  size_t single = 200;
  hnsw_params hnsw;
  std::vector<size_t> ef_search{ 16, 32, 64, 128 };
  /// Rebuild the HNSW indexes every round (minutes each at 100k vectors);
  /// by default they are built in the first round only.
  bool rebuild_hnsw = false;
  /// The recall an approximate index must reach to count.
  double min_recall = 0.95;
  bool quick = false;
};

/// One row of the table: an index, at one efSearch for HNSW; one figure
/// per round.
struct row_result {
  std::string index;
  std::string family;
  /// efSearch, 0 for exact indexes.
  size_t ef = 0;
  /// OpenBLAS and OpenMP threads (each shard's, when sharded).
  int threads = 1;
  /// Shard actors searching at once; 0: unsharded.
  size_t shards = 0;
  std::vector<double> build_s;
  std::vector<double> batch_qps;
  std::vector<double> single_qps;
  /// Against the exact ground truth; the same every round (deterministic).
  double recall = 0;

  /// The threads searching at once.
  size_t cores() const {
    return shards ? shards * static_cast<size_t>(threads)
                  : static_cast<size_t>(threads);
  }

  /// "1", "2 shards x 1".
  std::string threads_text() const;
};

/// Everything one run measured, and how.
struct run_report {
  run_params params;
  machine_info machine;
  std::string command;
  std::string started_at;
  double total_seconds = 0;
  double data_seconds = 0;
  std::string faiss;
  std::vector<row_result> rows;
};

/// The median of `xs` (0 if empty).
double median(std::vector<double> xs);

/// Every verdict of the run: ours against FAISS, where FAISS ran.
std::vector<check> evaluate(const run_report& r);

/// The human-readable table, verdicts included.
std::string render_table(const run_report& r, const std::vector<check>& checks);

/// The JSON document: parameters, machine, rows (medians and every round),
/// verdicts.
nlohmann::ordered_json to_json(const run_report& r,
                               const std::vector<check>& checks);

} // namespace sophia::bench::vectors
