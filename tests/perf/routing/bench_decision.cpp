// sophia-bench-routing-decision: the router's decision alone, at scale:
// embed a prompt and rank N candidate models against a memory of M
// outcomes (decide.hpp), as ai.intelligent_generate does before each call.
// Synthetic prompts in topics (words drawn mostly from a topic's own
// vocabulary) so that neighbours are as clustered as real prompts are.
//
//   sophia-bench-routing-decision [--models 300] [--outcomes 100000]
//       [--per-prompt 10] [--queries 2000] [--out FILE]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/optimizer/decide.hpp"
#include "runtime/vectors/hashing_embedder.hpp"

namespace opt = sophia::actors::optimizer;
using clock_type = std::chrono::steady_clock;

namespace {

struct corpus {
  std::vector<std::string> words;
  std::vector<std::vector<size_t>> topics;

  corpus(std::mt19937& gen, size_t n_words, size_t n_topics) {
    std::uniform_int_distribution<int> len{3, 10}, letter{'a', 'z'};
    for (size_t i = 0; i < n_words; ++i) {
      std::string w;
      for (int k = len(gen); k > 0; --k)
        w += static_cast<char>(letter(gen));
      words.push_back(std::move(w));
    }
    std::uniform_int_distribution<size_t> any{0, n_words - 1};
    topics.resize(n_topics);
    for (auto& t : topics)
      for (int k = 0; k < 200; ++k)
        t.push_back(any(gen));
  }

  std::string prompt(std::mt19937& gen, size_t topic) const {
    std::uniform_int_distribution<size_t> in_topic{0, 199}, any{0, words.size() - 1};
    std::bernoulli_distribution own{0.8};
    std::string out;
    for (int k = 0; k < 40; ++k) {
      out += words[own(gen) ? topics[topic][in_topic(gen)] : any(gen)];
      out += ' ';
    }
    return out;
  }
};

/// Each model is good on some topics: the probability of a good answer,
/// a fixed function of both.
double skill(size_t model, size_t topic) {
  return static_cast<double>((model * 31 + topic * 17) % 100) / 100.0;
}

double pct(std::vector<double> xs, double q) {
  std::sort(xs.begin(), xs.end());
  return xs.empty() ? 0 : xs[static_cast<size_t>(q * static_cast<double>(xs.size() - 1))];
}

size_t arg(int argc, char** argv, const std::string& name, size_t fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name)
      return std::stoul(argv[i + 1]);
  return fallback;
}

} // namespace

int main(int argc, char** argv) {
  auto n_models = arg(argc, argv, "--models", 300);
  auto n_outcomes = arg(argc, argv, "--outcomes", 100000);
  auto per_prompt = std::min(arg(argc, argv, "--per-prompt", 10), n_models);
  auto n_queries = arg(argc, argv, "--queries", 2000);
  std::string out_path;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string{argv[i]} == "--out")
      out_path = argv[i + 1];
  std::mt19937 gen{42};
  corpus text{gen, 20000, 200};
  sophia::runtime::vectors::hashing_embedder emb;
  auto made = opt::outcome_memory::make(emb.dimension());
  auto& memory = std::get<opt::outcome_memory>(made);
  std::vector<opt::candidate> candidates;
  std::uniform_real_distribution<double> price{0.1, 30};
  for (size_t m = 0; m < n_models; ++m) {
    opt::candidate c;
    c.provider = "p" + std::to_string(m % 5);
    char name[32];
    std::snprintf(name, sizeof name, "m%03zu", m);
    c.model = name;
    c.prompt_price = price(gen) / 1e6;
    c.completion_price = c.prompt_price * 2;
    candidates.push_back(std::move(c));
  }
  std::uniform_int_distribution<size_t> topic{0, text.topics.size() - 1}, model{0, n_models - 1};
  std::uniform_real_distribution<double> unit{0, 1};
  std::vector<float> v(emb.dimension());
  auto t0 = clock_type::now();
  size_t prompts = 0;
  while (memory.outcomes() < n_outcomes) {
    auto t = topic(gen);
    auto p = text.prompt(gen, t);
    emb.embed(p, v);
    // `per_prompt` distinct models per prompt.
    std::vector<size_t> picked;
    while (picked.size() < per_prompt) {
      auto m = model(gen);
      if (std::find(picked.begin(), picked.end(), m) == picked.end())
        picked.push_back(m);
    }
    for (auto m : picked) {
      if (memory.outcomes() >= n_outcomes)
        break;
      auto& c = candidates[m];
      opt::outcome o{c.model, unit(gen) < skill(m, t) ? 1.0 : 0.0, 300 * c.prompt_price};
      memory.add(prompts, v, "simple", o);
    }
    ++prompts;
  }
  auto fill_s = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::vector<double> us, embed_us;
  double true_quality = 0;
  opt::ask a;
  a.prompt_tokens = 300;
  a.max_tokens = 256;
  for (size_t q = 0; q < n_queries; ++q) {
    auto t = topic(gen);
    auto p = text.prompt(gen, t);
    auto s = clock_type::now();
    emb.embed(p, v);
    auto e = clock_type::now();
    auto d = opt::decide(memory, v, a, candidates);
    auto f = clock_type::now();
    if (std::holds_alternative<std::string>(d)) {
      std::cerr << std::get<std::string>(d) << "\n";
      return 1;
    }
    us.push_back(std::chrono::duration<double, std::micro>(f - s).count());
    embed_us.push_back(std::chrono::duration<double, std::micro>(e - s).count());
    // The ground truth: the chosen model's real skill on this topic.
    auto& pick = std::get<opt::decision>(d).ranked.front().c.model;
    true_quality += skill(std::stoul(pick.substr(1)), t);
  }
  nlohmann::json r{{"models", n_models},
                   {"outcomes", memory.outcomes()},
                   {"prompts", memory.prompts()},
                   {"queries", n_queries},
                   {"fill_s", fill_s},
                   {"decision_p50_us", pct(us, 0.5)},
                   {"decision_p90_us", pct(us, 0.9)},
                   {"decision_p99_us", pct(us, 0.99)},
                   {"embed_p50_us", pct(embed_us, 0.5)},
                   {"true_quality_of_choices", true_quality / double(n_queries)},
                   {"target_p99_us", 200},
                   {"met", pct(us, 0.99) <= 200}};
  std::printf("decision (embed + rank %zu models, %zu outcomes of %zu prompts): "
              "p50 %.0f us, p99 %.0f us (embedding p50 %.0f us; the choices' true "
              "quality %.3f); target p99 <= 200 us: %s\n",
              n_models, memory.outcomes(), memory.prompts(), pct(us, 0.5),
              pct(us, 0.99), pct(embed_us, 0.5), true_quality / double(n_queries),
              r["met"].get<bool>() ? "met" : "NOT met");
  if (!out_path.empty())
    std::ofstream{out_path} << r.dump(2) << "\n";
  return 0;
}
