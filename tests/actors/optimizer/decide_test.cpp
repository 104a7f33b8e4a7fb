// The router's decision for a fixed memory: the documented choice for each
// priority combination, the cold-start prior, and what leaves a candidate
// out (max_cost_usd, context length) or puts it last (an open breaker).

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "actors/optimizer/decide.hpp"
#include "actors/optimizer/live_record.hpp"
#include "tests/actors/optimizer/near_axis.hpp"

namespace opt = sophia::actors::optimizer;

namespace {

using sophia::test::near_axis;
constexpr size_t dim = sophia::test::prompt_dim;

// USD per million tokens, as the catalog has them.
opt::candidate model(std::string name, double in, double out) {
  opt::candidate c;
  c.provider = "p-" + name;
  c.model = std::move(name);
  c.prompt_price = in / 1e6;
  c.completion_price = out / 1e6;
  return c;
}

std::vector<opt::candidate> three() {
  return {model("cheap", 0.2, 0.2), model("mid", 1, 2), model("premium", 10, 30)};
}

// 100 `code` prompts near axis 0 that every model answers well, 100 near
// axis 1 that only premium does; costs in the ratio of the prices.
opt::outcome_memory fixed_memory() {
  auto made = opt::outcome_memory::make(dim);
  REQUIRE(std::holds_alternative<opt::outcome_memory>(made));
  auto m = std::move(std::get<opt::outcome_memory>(made));
  for (uint32_t i = 0; i < 200; ++i) {
    auto hard = i >= 100;
    auto v = near_axis(hard ? 1 : 0, i);
    REQUIRE_FALSE(m.add(i, v, "code", {"cheap", hard ? 0.0 : 1.0, 0.0001}));
    REQUIRE_FALSE(m.add(i, v, "code", {"mid", hard ? 0.0 : 1.0, 0.0008}));
    REQUIRE_FALSE(m.add(i, v, "code", {"premium", 1.0, 0.01}));
  }
  return m;
}

opt::decision decide(const opt::outcome_memory& m, const std::vector<float>& v,
                     opt::ask a, std::vector<opt::candidate> c = three()) {
  auto d = opt::decide(m, v, a, std::move(c));
  if (auto* err = std::get_if<std::string>(&d))
    FAIL(*err);
  return std::get<opt::decision>(std::move(d));
}

opt::ask asking(opt::priority cost, opt::priority perf, std::string task = "code") {
  opt::ask a;
  a.task_type = std::move(task);
  a.cost = cost;
  a.performance = perf;
  a.prompt_tokens = 200;
  a.max_tokens = 100;
  return a;
}

} // namespace

TEST_CASE("every priority combination makes the documented choice") {
  using P = opt::priority;
  auto m = fixed_memory();
  auto easy = near_axis(0, 1000);
  auto hard = near_axis(1, 1001);
  const P levels[] = {P::low, P::medium, P::high};
  for (auto cost : levels)
    for (auto perf : levels) {
      CAPTURE(static_cast<int>(cost));
      CAPTURE(static_cast<int>(perf));
      // Where every model answers well, the cheapest wins at any priority.
      CHECK(decide(m, easy, asking(cost, perf)).ranked.front().c.model == "cheap");
      // Where only premium does, it wins unless cost outranks performance
      // by two levels (lambda 2.65: premium costs 100x the cheapest).
      auto want = static_cast<int>(cost) - static_cast<int>(perf) == 2 ? "cheap"
                                                                        : "premium";
      CHECK(decide(m, hard, asking(cost, perf)).ranked.front().c.model == want);
    }
  auto d = decide(m, hard, asking(P::medium, P::medium));
  CHECK(d.lambda == doctest::Approx(0.125));
  // The reference is premium's mean recorded cost.
  CHECK(d.reference_cost == doctest::Approx(0.01));
  CHECK(d.ranked.front().from_memory);
  CHECK(d.ranked.front().cost_basis == "memory");
}

TEST_CASE("with no history the price ranks the models") {
  using P = opt::priority;
  auto made = opt::outcome_memory::make(dim);
  auto& m = std::get<opt::outcome_memory>(made);
  auto v = near_axis(2, 7);
  auto d = decide(m, v, asking(P::low, P::high, "simple"));
  REQUIRE(d.ranked.size() == 3);
  CHECK(d.ranked.front().c.model == "premium");
  CHECK_FALSE(d.ranked.front().from_memory);
  CHECK(d.ranked.front().quality == doctest::Approx(0.9));
  CHECK(d.ranked.back().quality == doctest::Approx(0.5));
  CHECK(d.ranked.front().cost_basis == "price");
  // 200 prompt tokens and 100 completion tokens at premium's price.
  CHECK(d.ranked.front().cost_usd == doctest::Approx(200 * 10e-6 + 100 * 30e-6));
  // Cost first: premium (0.9 - 2.65 * 1) falls to last; mid's prior 0.7
  // at 8 % of premium's cost beats cheap's 0.5 at 1.2 %.
  auto thrifty = decide(m, v, asking(P::high, P::low, "simple"));
  CHECK(thrifty.ranked.front().c.model == "mid");
  CHECK(thrifty.ranked.back().c.model == "premium");
}

TEST_CASE("a configured prior quality replaces the price's until outcomes come") {
  using P = opt::priority;
  auto made = opt::outcome_memory::make(dim);
  auto& m = std::get<opt::outcome_memory>(made);
  auto v = near_axis(2, 7);
  // The operator measured cheap to be as good as premium at simple prompts.
  auto cands = three();
  cands[0].prior_quality = 0.9;
  auto d = decide(m, v, asking(P::medium, P::medium, "simple"), cands);
  CHECK(d.ranked.front().c.model == "cheap");
  CHECK(d.ranked.front().quality == doctest::Approx(0.9));
  CHECK_FALSE(d.ranked.front().from_memory);
  // Outcomes of the model, once there, win over the configuration.
  auto mem = fixed_memory();
  cands[0].prior_quality = 0.1;
  auto learned = decide(mem, near_axis(0, 3), asking(P::medium, P::medium), cands);
  CHECK(learned.ranked.front().c.model == "cheap");
  CHECK(learned.ranked.front().from_memory);
}

TEST_CASE("max_cost_usd and the context length leave candidates out") {
  using P = opt::priority;
  auto m = fixed_memory();
  auto hard = near_axis(1, 1001);
  auto a = asking(P::low, P::high);
  a.max_cost_usd = 0.005;
  auto d = decide(m, hard, a);
  REQUIRE(d.excluded.size() == 1);
  CHECK(d.excluded[0].c.model == "premium");
  CHECK(d.excluded[0].excluded.find("exceeds max_cost_usd $0.005") != std::string::npos);
  CHECK(d.ranked.front().c.model != "premium");
  auto c = three();
  c[2].context_length = 250; // < 200 prompt + 100 completion tokens
  d = decide(m, hard, asking(P::low, P::high), c);
  REQUIRE(d.excluded.size() == 1);
  CHECK(d.excluded[0].excluded.find("context of 250 tokens") != std::string::npos);
  a.max_cost_usd = 0.00000001;
  CHECK(decide(m, hard, a).ranked.empty());
}

TEST_CASE("a provider behind an open breaker is tried last; failures lower the success rate") {
  using P = opt::priority;
  auto m = fixed_memory();
  auto hard = near_axis(1, 1001);
  auto c = three();
  c[2].breaker_open = true;
  auto d = decide(m, hard, asking(P::low, P::high), c);
  REQUIRE(d.ranked.size() == 3);
  CHECK(d.ranked.back().c.model == "premium");
  opt::live_record live{2, std::chrono::seconds{30}};
  live.success("p", "x", 100, 50);
  CHECK_FALSE(live.open("p"));
  live.failure("p", "x", "HTTP 500");
  CHECK_FALSE(live.open("p"));
  live.failure("p", "x", "HTTP 500");
  CHECK(live.open("p"));
  CHECK(live.of("p", "x").success_rate < 1.0);
  CHECK(live.of("p", "x").completion_tokens == doctest::Approx(50));
  live.success("p", "x", 100, 50);
  CHECK_FALSE(live.open("p"));
}
