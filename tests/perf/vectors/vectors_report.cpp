#include "vectors_report.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "runtime/vectors/exact_index.hpp"

namespace sophia::bench::vectors {

namespace {

using json = nlohmann::ordered_json;

const row_result* find_row(const run_report& r,
                           const std::string& index,
                           size_t ef) {
  for (auto& row : r.rows)
    if (row.index == index && row.ef == ef) return &row;
  return nullptr;
}

/// The fastest (median batch q/s) row of `index` reaching the recall
/// target, if any.
const row_result* best_reaching(const run_report& r, const std::string& index) {
  const row_result* best = nullptr;
  for (auto& row : r.rows)
    if (row.index == index && row.recall >= r.params.min_recall &&
        (!best || median(row.batch_qps) > median(best->batch_qps)))
      best = &row;
  return best;
}

std::string params_text(const run_report& r, const row_result& row) {
  if (row.family == "exact") {
    sophia::runtime::vectors::exact_index_config cfg;
    return row.index.starts_with("ours")
             ? fmt::format("blocks {}x{}", cfg.block_rows, cfg.query_block)
             : std::string{ "BLAS from 20 q" };
  }
  return fmt::format(
    "M{} efC{} ef{}", r.params.hnsw.m, r.params.hnsw.ef_construction, row.ef);
}

/// "1234", "12.3 k".
std::string rate(double x) {
  if (x >= 1e4) return fmt::format("{:.1f} k", x / 1e3);
  return fmt::format("{:.0f}", x);
}

json figures(const std::vector<double>& xs) {
  return { { "median", median(xs) }, { "rounds", xs } };
}

} // namespace

std::string row_result::threads_text() const {
  return shards ? fmt::format("{} shards x {}", shards, threads)
                : fmt::format("{}", threads);
}

double median(std::vector<double> xs) {
  if (xs.empty()) return 0;
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

std::vector<check> evaluate(const run_report& r) {
  std::vector<check> out;
  auto ours_flat = find_row(r, "ours exact", 0);
  auto faiss_flat = find_row(r, "FAISS IndexFlatIP", 0);
  if (ours_flat && faiss_flat) {
    // Ours in percent of FAISS's: the figure means the same on any machine.
    auto pct = [](double ours, double theirs) {
      return theirs > 0 ? 100 * ours / theirs : 0;
    };
    at_least(out,
             "exact_batch_qps_vs_faiss_flat",
             pct(median(ours_flat->batch_qps), median(faiss_flat->batch_qps)),
             "%",
             100);
    at_least(out,
             "exact_single_qps_vs_faiss_flat",
             pct(median(ours_flat->single_qps), median(faiss_flat->single_qps)),
             "%",
             100);
  }
  if (ours_flat) at_least(out, "exact_recall_at_k", ours_flat->recall, "", 1.0);
  // The sharded exact index against FAISS's flat index on as many threads.
  for (auto& row : r.rows) {
    if (row.shards == 0) continue;
    auto peer = find_row(r, fmt::format("FAISS IndexFlatIP {}t", row.cores()), 0);
    if (!peer) continue;
    at_least(out,
             fmt::format("sharded_batch_qps_vs_faiss_flat_{}t", row.cores()),
             100 * median(row.batch_qps) / std::max(median(peer->batch_qps), 1e-9),
             "%",
             100);
    at_least(out,
             fmt::format("sharded_single_qps_vs_faiss_flat_{}t", row.cores()),
             100 * median(row.single_qps) /
               std::max(median(peer->single_qps), 1e-9),
             "%",
             100);
  }
  // HNSW: ours at the lowest efSearch reaching the recall target, FAISS
  // with the very same parameters; then each at its own best setting.
  const row_result* ours_at = nullptr;
  for (auto ef : r.params.ef_search) {
    auto row = find_row(r, "ours HNSW", ef);
    if (row && row->recall >= r.params.min_recall) {
      ours_at = row;
      break;
    }
  }
  if (!ours_at) {
    bool ran = false;
    double best = 0;
    for (auto& row : r.rows)
      if (row.index == "ours HNSW") {
        ran = true;
        best = std::max(best, row.recall);
      }
    if (ran) at_least(out, "hnsw_recall_at_k", best, "", r.params.min_recall);
    return out;
  }
  at_least(out,
           fmt::format("hnsw_recall_at_k_ef{}", ours_at->ef),
           ours_at->recall,
           "",
           r.params.min_recall);
  if (auto peer = find_row(r, "FAISS IndexHNSWFlat", ours_at->ef)) {
    at_least(out,
             fmt::format("hnsw_batch_qps_vs_faiss_ef{}", ours_at->ef),
             100 * median(ours_at->batch_qps) /
               std::max(median(peer->batch_qps), 1e-9),
             "%",
             100);
    auto ours_best = best_reaching(r, "ours HNSW");
    auto peer_best = best_reaching(r, "FAISS IndexHNSWFlat");
    if (ours_best && peer_best)
      at_least(out,
               "hnsw_batch_qps_vs_faiss_both_at_recall",
               100 * median(ours_best->batch_qps) /
                 std::max(median(peer_best->batch_qps), 1e-9),
               "%",
               100);
  }
  return out;
}

std::string render_table(const run_report& r,
                         const std::vector<check>& checks) {
  std::string out;
  auto line = [&](const std::string& s) { out += s + "\n"; };
  auto& p = r.params;
  line(
    title_line("vectors", r.started_at, r.machine, r.total_seconds, p.quick));
  line("data: " + describe(p.data));
  line(fmt::format("k = {}; {} round(s), medians shown, alternating order; "
                   "batch = all queries in one call, fastest of {} per round; "
                   "single = the first {} queries, one call each",
                   p.k,
                   p.rounds,
                   p.repeat,
                   std::min(p.single, p.data.queries)));
  line(fmt::format("threads: {} for OpenBLAS and OpenMP (FAISS), set before "
                   "each index's build and searches, unless its row says "
                   "otherwise; our HNSW searches on the calling thread; "
                   "\"N shards x 1\": N shard actors searching at once, "
                   "one OpenBLAS thread each",
                   p.threads));
  line(fmt::format("build s: median of the rounds, HNSW built {}; recall@{} "
                   "against the exact top-k of ours exact; {}",
                   p.rebuild_hnsw ? "every round" : "in round 1 only",
                   p.k,
                   r.faiss));
  line("");
  line(fmt::format("{:20}  {:18}  {:>12}  {:>9}  {:>11}  {:>11}  {:>9}",
                   "index",
                   "params",
                   "threads",
                   "build s",
                   "batch q/s",
                   "single q/s",
                   fmt::format("recall@{}", p.k)));
  for (auto& row : r.rows)
    line(fmt::format("{:20}  {:18}  {:>12}  {:>9.2f}  {:>11}  {:>11}  {:>9.4f}",
                     row.index,
                     params_text(r, row),
                     row.threads_text(),
                     median(row.build_s),
                     rate(median(row.batch_qps)),
                     rate(median(row.single_qps)),
                     row.recall));
  line("");
  size_t passed = 0;
  for (auto& ch : checks) {
    passed += ch.pass;
    line(fmt::format("  {} {:40} {:>10.3f} {} {} {}",
                     verdict(ch.pass),
                     ch.name,
                     ch.value,
                     ch.op,
                     ch.limit,
                     ch.unit));
  }
  line(fmt::format("Targets met: {} of {}", passed, checks.size()));
  return out;
}

json to_json(const run_report& r, const std::vector<check>& checks) {
  auto& p = r.params;
  json doc;
  doc["benchmark"] = "vectors";
  doc["command"] = r.command;
  doc["started_at"] = r.started_at;
  doc["seconds"] = r.total_seconds;
  doc["quick"] = p.quick;
  doc["machine"] = machine_json(r.machine);
  doc["data"] = { { "description", describe(p.data) },
                  { "n", p.data.n },
                  { "dim", p.data.dim },
                  { "queries", p.data.queries },
                  { "clusters", p.data.clusters },
                  { "spread", p.data.spread },
                  { "seed", p.data.seed },
                  { "seconds_to_generate", r.data_seconds } };
  doc["params"] = { { "k", p.k },
                    { "rounds", p.rounds },
                    { "repeat", p.repeat },
                    { "threads", p.threads },
                    { "shards", p.shards },
                    { "single_queries", std::min(p.single, p.data.queries) },
                    { "hnsw_m", p.hnsw.m },
                    { "hnsw_ef_construction", p.hnsw.ef_construction },
                    { "hnsw_ef_search", p.ef_search },
                    { "rebuild_hnsw", p.rebuild_hnsw },
                    { "min_recall", p.min_recall } };
  doc["faiss"] = r.faiss;
  json rows = json::array();
  for (auto& row : r.rows)
    rows.push_back({ { "index", row.index },
                     { "family", row.family },
                     { "params", params_text(r, row) },
                     { "ef_search", row.ef },
                     { "threads", row.threads },
                     { "shards", row.shards },
                     { "build_s", figures(row.build_s) },
                     { "batch_qps", figures(row.batch_qps) },
                     { "single_qps", figures(row.single_qps) },
                     { "recall", row.recall } });
  doc["rows"] = rows;
  json jchecks = json::array();
  for (auto& ch : checks)
    jchecks.push_back({ { "name", ch.name },
                        { "value", ch.value },
                        { "unit", ch.unit },
                        { "op", ch.op },
                        { "limit", ch.limit },
                        { "pass", ch.pass } });
  doc["checks"] = jchecks;
  return doc;
}

} // namespace sophia::bench::vectors
