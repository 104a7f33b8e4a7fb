// sophia-bench-vectors: our exact and HNSW indexes against FAISS's
// IndexFlatIP and IndexHNSWFlat, on the same synthetic embeddings, with the
// same parameters and threads, in one run.
//
//   sophia-bench-vectors [--n 100000] [--dim 384] [--queries 1000] [--k 10]
//
// Every figure printed is measured in this run; nothing is carried over.

#include <chrono>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "vectors_report.hpp"

namespace {

using namespace sophia::bench;
using namespace sophia::bench::vectors;

constexpr const char* usage = R"(usage: sophia-bench-vectors [options]

  --n N              base vectors (default 100000)
  --dim N            dimension (default 384)
  --queries N        queries (default 1000)
  --k N              neighbours per query (default 10)
  --rounds N         measured rounds, medians reported (default 3); every
                     round searches with every index, in alternating order,
                     and rebuilds the exact ones
  --rebuild-hnsw     rebuild the HNSW indexes every round too (by default
                     once: minutes each at 100k vectors on one thread)
  --threads N        OpenBLAS and OpenMP threads (default 1: the machine is
                     shared, and our HNSW searches on one thread)
  --shards N         shards of the sharded exact row, one OpenBLAS thread
                     each, against FAISS's flat index on N threads (default
                     one per core; 1: no such rows)
  --repeat N         batch searches per round, the fastest counts (default 3)
  --single N         queries searched one call each, per round (default 200)
  --m N              HNSW links per node (default 16)
  --ef-construction N  HNSW build candidates (default 200)
  --ef-search LIST   HNSW search candidates, each a row (default 16,32,64,128)
  --clusters N       clusters of the synthetic data (default 1000)
  --seed N           seed of the synthetic data (default 42)
  --no-hnsw          exact indexes only
  --quick            20000 vectors, 200 queries, 1 round: a smoke test
  --out FILE         JSON results (default: <build>/bench/vectors.json)
)";

struct options {
  run_params run;
  bool hnsw = true;
  std::string out;
};

size_t to_count(const std::string& flag, const std::string& text) {
  size_t end = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(text, &end);
  } catch (const std::exception&) {
    end = std::string::npos;
  }
  if (end != text.size() || n == 0)
    throw std::invalid_argument(flag + " needs a positive number, got '" +
                                text + "'");
  return n;
}

std::vector<size_t> to_counts(const std::string& flag,
                              const std::string& text) {
  std::vector<size_t> out;
  std::stringstream in{ text };
  for (std::string item; std::getline(in, item, ',');)
    out.push_back(to_count(flag, item));
  if (out.empty()) throw std::invalid_argument(flag + " needs a list");
  return out;
}

bool parse(int argc, char** argv, options& o) {
  auto& r = o.run;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return false;
    } else if (arg == "--n") {
      r.data.n = to_count(arg, value());
    } else if (arg == "--dim") {
      r.data.dim = to_count(arg, value());
    } else if (arg == "--queries") {
      r.data.queries = to_count(arg, value());
    } else if (arg == "--k") {
      r.k = to_count(arg, value());
    } else if (arg == "--rounds") {
      r.rounds = to_count(arg, value());
    } else if (arg == "--shards") {
      r.shards = to_count(arg, value());
    } else if (arg == "--threads") {
      r.threads = static_cast<int>(to_count(arg, value()));
    } else if (arg == "--repeat") {
      r.repeat = to_count(arg, value());
    } else if (arg == "--single") {
      r.single = to_count(arg, value());
    } else if (arg == "--m") {
      r.hnsw.m = to_count(arg, value());
    } else if (arg == "--ef-construction") {
      r.hnsw.ef_construction = to_count(arg, value());
    } else if (arg == "--ef-search") {
      r.ef_search = to_counts(arg, value());
    } else if (arg == "--clusters") {
      r.data.clusters = to_count(arg, value());
    } else if (arg == "--seed") {
      r.data.seed = to_count(arg, value());
    } else if (arg == "--rebuild-hnsw") {
      r.rebuild_hnsw = true;
    } else if (arg == "--no-hnsw") {
      o.hnsw = false;
    } else if (arg == "--quick") {
      r.quick = true;
      r.data.n = 20000;
      r.data.queries = 200;
      r.rounds = 1;
    } else if (arg == "--out") {
      o.out = value();
    } else {
      throw std::invalid_argument("unknown option " + arg);
    }
  }
  return true;
}

double seconds_since(bench_clock::time_point t0) {
  return std::chrono::duration<double>(bench_clock::now() - t0).count();
}

/// The fraction of `truth`'s ids (k per query) that `found` has.
double recall(const std::vector<uint64_t>& truth,
              const std::vector<uint64_t>& found,
              size_t k) {
  size_t hit = 0, total = 0;
  for (size_t q = 0; q * k < truth.size(); ++q) {
    std::set<uint64_t> want(truth.begin() + q * k, truth.begin() + (q + 1) * k);
    for (size_t i = 0; i < k; ++i)
      hit += want.count(found[q * k + i]);
    total += k;
  }
  return total ? static_cast<double>(hit) / static_cast<double>(total) : 0;
}

/// One contender's round: build (HNSW: in round 0 only, unless asked),
/// then for each efSearch (one for exact indexes) a batch search of every
/// query and one-at-a-time searches.
void measure(contender& c,
             size_t round,
             const dataset& data,
             const run_params& p,
             const std::vector<uint64_t>& truth,
             std::vector<row_result>& rows) {
  std::optional<double> build_s;
  // Each row on its own threads (the sharded row and its FAISS peer).
  set_threads(c.threads() ? c.threads() : p.threads);
  if (round == 0 || c.family() != "hnsw" || p.rebuild_hnsw) {
    progress(fmt::format("{}: building", c.name()));
    auto t0 = bench_clock::now();
    c.build(data);
    build_s = seconds_since(t0);
  }
  auto nq = data.params.queries;
  auto dim = data.params.dim;
  auto single = std::min(p.single, nq);
  std::vector<size_t> efs{ 0 };
  if (c.family() == "hnsw") efs = p.ef_search;
  for (auto ef : efs) {
    if (ef) c.set_ef_search(ef);
    std::vector<uint64_t> found;
    double batch_s = 0;
    for (size_t i = 0; i < p.repeat; ++i) {
      auto t0 = bench_clock::now();
      found = c.search(data.queries.data(), nq, p.k);
      auto s = seconds_since(t0);
      batch_s = i == 0 ? s : std::min(batch_s, s);
    }
    auto t0 = bench_clock::now();
    for (size_t q = 0; q < single; ++q)
      c.search(&data.queries[q * dim], 1, p.k);
    auto single_s = seconds_since(t0);
    auto it = std::find_if(rows.begin(), rows.end(), [&](auto& row) {
      return row.index == c.name() && row.ef == ef;
    });
    if (it == rows.end()) {
      auto threads = c.threads() ? c.threads() : p.threads;
      rows.push_back({ c.name(), c.family(), ef, threads, c.shards(), {}, {},
                       {}, 0 });
      it = rows.end() - 1;
    }
    if (build_s) it->build_s.push_back(*build_s);
    it->batch_qps.push_back(static_cast<double>(nq) / batch_s);
    it->single_qps.push_back(static_cast<double>(single) / single_s);
    it->recall = truth.empty() ? 1.0 : recall(truth, found, p.k);
    progress(fmt::format("{}{}: build {}, batch {:.0f} q/s, single {:.0f}"
                         " q/s, recall {:.4f}",
                         c.name(),
                         ef ? fmt::format(" ef{}", ef) : "",
                         build_s ? fmt::format("{:.2f} s", *build_s) : "-",
                         it->batch_qps.back(),
                         it->single_qps.back(),
                         it->recall));
  }
}

int run(options& o, const std::string& command) {
  auto& p = o.run;
  if (p.k > p.data.n) throw std::invalid_argument("--k exceeds --n");
  if (p.shards == 0)
    p.shards = std::max(1u, std::thread::hardware_concurrency());
  if (o.out.empty()) o.out = self_dir() + "/../bench/vectors.json";
  run_report report;
  report.params = p;
  report.command = command;
  report.started_at = now_utc();
  report.machine = probe_machine();
  report.faiss = faiss_note();
  auto t_start = bench_clock::now();
  set_threads(p.threads);
  if (!have_faiss()) std::cout << "FAISS not found: our rows only\n";
  progress("generating data: " + describe(p.data));
  auto data = make_dataset(p.data);
  report.data_seconds = seconds_since(t_start);
  // The exact ground truth: ours exact, checked against a brute force by
  // the unit tests and against FAISS's flat index by its recall row here.
  std::vector<uint64_t> truth;
  {
    auto exact = make_ours_exact();
    exact->build(data);
    truth = exact->search(data.queries.data(), p.data.queries, p.k);
  }
  std::vector<std::unique_ptr<contender>> all;
  all.push_back(make_ours_exact());
  if (auto f = make_faiss_flat()) all.push_back(std::move(f));
  // The sharded exact index and FAISS's flat index on as many threads.
  if (p.shards > 1) {
    all.push_back(make_ours_sharded(p.shards));
    if (auto f = make_faiss_flat(static_cast<int>(p.shards)))
      all.push_back(std::move(f));
  }
  if (o.hnsw) {
    all.push_back(make_ours_hnsw(p.hnsw));
    if (auto f = make_faiss_hnsw(p.hnsw)) all.push_back(std::move(f));
  }
  for (size_t round = 0; round < p.rounds; ++round) {
    progress(fmt::format("round {} of {}", round + 1, p.rounds));
    // Pairs (ours, FAISS) in alternating order: a neighbour's burst on the
    // shared machine then hits each side as often.
    for (size_t i = 0; i < all.size(); i += 2) {
      auto first = i, second = i + 1;
      if (round % 2 == 1 && second < all.size()) std::swap(first, second);
      measure(*all[first], round, data, p, truth, report.rows);
      if (second < all.size())
        measure(*all[second], round, data, p, truth, report.rows);
    }
  }
  // Table order: the pairs side by side, ef by ef, by cores used.
  std::stable_sort(report.rows.begin(),
                   report.rows.end(),
                   [](const row_result& a, const row_result& b) {
                     if (a.family != b.family) return a.family < b.family;
                     if (a.ef != b.ef) return a.ef < b.ef;
                     if (a.cores() != b.cores()) return a.cores() < b.cores();
                     return a.index.starts_with("ours") &&
                            !b.index.starts_with("ours");
                   });
  report.total_seconds = seconds_since(t_start);
  auto checks = evaluate(report);
  publish(render_table(report, checks),
          to_json(report, checks).dump(2),
          o.out,
          "",
          false);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  return bench_main(
    "sophia-bench-vectors",
    usage,
    argc,
    argv,
    [&] { return parse(argc, argv, o); },
    [&](const std::string& command) { return run(o, command); });
}
