// sophia-routing-calibrate: how the router's estimate and its cost weight
// (utility.hpp's lambda) trade cost for quality on RouterBench's train
// split, by k-fold cross-validation: the memory holds the other folds'
// outcomes, each prompt of the held-out fold is decided as
// ai.intelligent_generate decides it (decide.hpp), and the choice is scored
// by the prompt's recorded quality and cost. This is how utility.cpp's
// lambdas and params_for()'s estimate parameters are chosen; the test
// split is read only with --test, to report, never to choose.
//
// Built by `tools/sophia bench routing` (or `cmake --build build --target
// sophia-routing-calibrate`); RouterBench is read from
// ../shared/reference/routing-data beside the sources unless given.
//
//   sophia-routing-calibrate [--dataset FILE] [--models FILE] [--folds 10]
//       [--lambdas 0.01,0.02,...] [--params TASK=k,w,shrink,prior_k,prior_shrink]...
//       [--test]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/optimizer/decide.hpp"
#include "runtime/vectors/hashing_embedder.hpp"

namespace opt = sophia::actors::optimizer;
using json = nlohmann::json;

namespace {

struct row {
  std::string id, task_type, split, prompt;
  std::map<std::string, double> quality, cost;
};

/// Every value given for `--name`.
std::vector<std::string> args_of(int argc, char** argv, const std::string& name) {
  std::vector<std::string> out;
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name)
      out.emplace_back(argv[i + 1]);
  return out;
}

std::string arg(int argc, char** argv, const std::string& name,
                const std::string& fallback) {
  auto all = args_of(argc, argv, name);
  return all.empty() ? fallback : all.back();
}

/// The comma-separated numbers of `text`; none when one is not a number.
std::optional<std::vector<double>> numbers(const std::string& text) {
  std::vector<double> out;
  std::stringstream in{text};
  for (std::string x; std::getline(in, x, ',');) {
    char* end = nullptr;
    auto v = std::strtod(x.c_str(), &end);
    if (x.empty() || *end != '\0')
      return std::nullopt;
    out.push_back(v);
  }
  return out;
}

uint64_t fnv(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s)
    h = (h ^ c) * 1099511628211ull;
  return h;
}

/// One held-out prompt as judged: every candidate's quality and cost
/// estimates, ranked again for each lambda.
struct judged {
  const row* r;
  std::vector<opt::scored> scores;
  double reference = 0;
};

/// The model decide() puts first at `lambda` (ties to the cheaper).
const std::string& choose(const judged& j, double lambda) {
  const opt::scored* best = nullptr;
  double best_u = 0;
  for (auto& s : j.scores) {
    auto u = opt::utility(s.quality, s.cost_usd, j.reference, lambda);
    if (best == nullptr || u > best_u || (u == best_u && s.cost_usd < best->cost_usd)) {
      best = &s;
      best_u = u;
    }
  }
  return best->c.model;
}

} // namespace

int main(int argc, char** argv) {
  auto data_dir = std::string{SOPHIA_SOURCE_DIR "/../shared/reference/routing-data/"};
  auto dataset = arg(argc, argv, "--dataset", data_dir + "routerbench_arc_wino_mbpp.jsonl");
  auto models_file = arg(argc, argv, "--models", data_dir + "models.json");
  auto usage = [](const std::string& why) {
    std::cerr << "sophia-routing-calibrate: " << why << "\n";
    return 2;
  };
  auto folds_arg = numbers(arg(argc, argv, "--folds", "10"));
  if (!folds_arg || folds_arg->size() != 1 || (*folds_arg)[0] < 2)
    return usage("--folds takes a whole number >= 2");
  auto folds = static_cast<uint64_t>((*folds_arg)[0]);
  auto on_test = std::find_if(argv + 1, argv + argc, [](const char* a) {
                   return std::string_view{a} == "--test";
                 }) != argv + argc;
  auto lambdas_arg = numbers(arg(argc, argv, "--lambdas",
                                 "0.01,0.02,0.03,0.035,0.04,0.045,0.05,0.055,0.06,0.065,"
                                 "0.07,0.08,0.1,0.125,0.16,0.2,0.3,0.6,1,2,2.65,4"));
  if (!lambdas_arg || lambdas_arg->empty())
    return usage("--lambdas takes numbers separated by commas");
  auto lambdas = std::move(*lambdas_arg);
  std::map<std::string, opt::estimate_params> params;
  for (auto& p : args_of(argc, argv, "--params")) {
    auto eq = p.find('=');
    auto v = eq == std::string::npos ? std::nullopt : numbers(p.substr(eq + 1));
    if (!v || v->size() != 5 || (*v)[0] < 1 || (*v)[3] < 1)
      return usage("--params takes TASK=k,w,shrink,prior_k,prior_shrink, not " + p);
    params[p.substr(0, eq)] = {static_cast<size_t>((*v)[0]), (*v)[1], (*v)[2],
                               static_cast<size_t>((*v)[3]), (*v)[4]};
  }
  std::ifstream din{dataset}, min{models_file};
  if (!din || !min) {
    std::cerr << "sophia-routing-calibrate: skipped: cannot read "
              << (din ? models_file : dataset)
              << " (RouterBench lives in ../shared/reference/routing-data/)\n";
    return 0;
  }
  std::vector<opt::candidate> candidates;
  std::string premium;
  double dearest = 0;
  auto prices = json::parse(min, nullptr, false);
  if (!prices.is_object() || !prices.contains("usd_per_1M_tokens_in_out"))
    return usage(models_file + ": not a models file (no usd_per_1M_tokens_in_out)");
  for (auto& [name, p] : prices["usd_per_1M_tokens_in_out"].items()) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
      return usage(models_file + ": " + name + ": prices must be [input, output]");
    opt::candidate c;
    c.provider = "routerbench";
    c.model = name;
    c.prompt_price = p[0].get<double>() / 1e6;
    c.completion_price = p[1].get<double>() / 1e6;
    if (c.prompt_price + c.completion_price > dearest) {
      dearest = c.prompt_price + c.completion_price;
      premium = name;
    }
    candidates.push_back(std::move(c));
  }
  std::vector<row> rows;
  size_t line_no = 0;
  for (std::string line; std::getline(din, line);) {
    ++line_no;
    if (line.empty())
      continue;
    // A row must give every model of the models file a quality and a cost.
    try {
      auto j = json::parse(line);
      row r{j.at("id"), j.at("task_type"), j.at("routerdc_split"), j.at("prompt"), {}, {}};
      for (auto& c : candidates) {
        r.quality[c.model] = j.at("quality").at(c.model).get<double>();
        r.cost[c.model] = j.at("cost_usd").at(c.model).get<double>();
      }
      rows.push_back(std::move(r));
    } catch (const json::exception& e) {
      return usage(dataset + ":" + std::to_string(line_no) + ": " + e.what());
    }
  }
  sophia::runtime::vectors::hashing_embedder emb;
  std::vector<std::vector<float>> vecs(rows.size(), std::vector<float>(emb.dimension()));
  for (size_t i = 0; i < rows.size(); ++i)
    emb.embed(rows[i].prompt, vecs[i]);
  // What the benchmark does: every train outcome logged with its quality
  // as feedback and its cost.
  auto memory_of = [&](auto&& keep) {
    auto mem = std::get<opt::outcome_memory>(opt::outcome_memory::make(emb.dimension()));
    for (size_t i = 0; i < rows.size(); ++i)
      if (keep(i))
        for (auto& [m, q] : rows[i].quality)
          mem.add(fnv(rows[i].prompt), vecs[i], rows[i].task_type,
                  {m, q, rows[i].cost.at(m)});
    return mem;
  };
  auto judge = [&](const opt::outcome_memory& mem, size_t i) {
    opt::ask a;
    a.task_type = rows[i].task_type;
    a.prompt_tokens = static_cast<int64_t>(rows[i].prompt.size() / 4 + 1);
    auto d = std::get<opt::decision>(opt::decide(mem, vecs[i], a, candidates));
    if (auto p = params.find(a.task_type); p != params.end()) {
      std::vector<std::string> names;
      for (auto& s : d.ranked)
        names.push_back(s.c.model);
      auto est = std::get<std::vector<opt::model_estimate>>(
        mem.estimate(vecs[i], a.task_type, names, p->second));
      for (size_t n = 0; n < names.size(); ++n)
        d.ranked[n].quality = est[n].quality;
    }
    return judged{&rows[i], std::move(d.ranked), d.reference_cost};
  };
  auto is_train = [&](size_t i) { return rows[i].split == "train"; };
  std::vector<judged> held;
  if (on_test) {
    auto mem = memory_of(is_train);
    for (size_t i = 0; i < rows.size(); ++i)
      if (!is_train(i))
        held.push_back(judge(mem, i));
  } else {
    auto fold = [&](size_t i) { return fnv(rows[i].id) % folds; };
    for (size_t f = 0; f < folds; ++f) {
      auto mem = memory_of([&](size_t i) { return is_train(i) && fold(i) != f; });
      for (size_t i = 0; i < rows.size(); ++i)
        if (is_train(i) && fold(i) == f)
          held.push_back(judge(mem, i));
    }
  }
  if (held.empty())
    return usage(dataset + ": no " + (on_test ? "test" : "train") + " rows to decide");
  double premium_cost = 0, premium_quality = 0;
  for (auto& j : held) {
    premium_cost += j.r->cost.at(premium);
    premium_quality += j.r->quality.at(premium);
  }
  std::printf("%s: %zu prompts; premium %s $%.4f, mean quality %.4f\n",
              on_test ? "test split (report only)"
                      : ("train split, " + std::to_string(folds) + "-fold cross-validated").c_str(),
              held.size(), premium.c_str(), premium_cost,
              premium_quality / static_cast<double>(held.size()));
  std::printf("| lambda | cost vs premium | quality vs premium | by task type (cost / quality) |\n"
              "|---:|---:|---:|---|\n");
  // Per quality bar, the largest lambda that keeps it (and its cost).
  std::map<double, std::pair<double, double>> best;
  for (auto lambda : lambdas) {
    double cost = 0, quality = 0;
    std::map<std::string, std::array<double, 4>> by_task;
    for (auto& j : held) {
      auto& m = choose(j, lambda);
      cost += j.r->cost.at(m);
      quality += j.r->quality.at(m);
      auto& t = by_task[j.r->task_type];
      t[0] += j.r->cost.at(m);
      t[1] += j.r->quality.at(m);
      t[2] += j.r->cost.at(premium);
      t[3] += j.r->quality.at(premium);
    }
    auto c = cost / premium_cost, q = quality / premium_quality;
    std::printf("| %.4g | %.1f %% | %.1f %% |", lambda, 100 * c, 100 * q);
    for (auto& [task, t] : by_task)
      std::printf(" %s %.1f / %.1f", task.c_str(), 100 * t[0] / t[2], 100 * t[1] / t[3]);
    std::printf(" |\n");
    for (auto bar : {0.99, 0.95, 0.90})
      if (q >= bar)
        best[bar] = {lambda, c};
  }
  for (auto& [bar, lc] : best)
    std::printf("largest lambda keeping >= %.0f %% of premium's quality: %.4g (cost %.1f %%)\n",
                100 * bar, lc.first, 100 * lc.second);
  return 0;
}
