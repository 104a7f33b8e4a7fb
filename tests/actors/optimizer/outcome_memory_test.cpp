// The outcome memory: estimates from a prompt's nearest neighbours,
// shrunk toward the task type; feedback that replaces feedback; errors.

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "actors/optimizer/outcome_memory.hpp"
#include "tests/actors/optimizer/near_axis.hpp"
#include "actors/optimizer/utility.hpp"

namespace opt = sophia::actors::optimizer;

namespace {

using sophia::test::near_axis;
constexpr size_t dim = sophia::test::prompt_dim;

opt::outcome_memory empty() {
  auto m = opt::outcome_memory::make(dim);
  REQUIRE(std::holds_alternative<opt::outcome_memory>(m));
  return std::move(std::get<opt::outcome_memory>(m));
}

std::vector<opt::model_estimate> estimate(const opt::outcome_memory& m,
                                          const std::vector<float>& v,
                                          const std::string& task,
                                          const std::vector<std::string>& models,
                                          opt::estimate_params p = {}) {
  auto r = m.estimate(v, task, models, p);
  if (auto* err = std::get_if<std::string>(&r))
    FAIL(*err);
  return std::get<std::vector<opt::model_estimate>>(std::move(r));
}

// Prompts 0..39 near axis 0, where "cheap" answers well; 40..79 near axis
// 1, where only "premium" does.
opt::outcome_memory two_clusters() {
  auto m = empty();
  for (uint32_t i = 0; i < 80; ++i) {
    auto axis = i < 40 ? 0u : 1u;
    auto v = near_axis(axis, i);
    REQUIRE_FALSE(m.add(i, v, "simple", {"premium", 1.0, 0.010}));
    REQUIRE_FALSE(m.add(i, v, "simple", {"cheap", axis == 0 ? 1.0 : 0.0, 0.001}));
  }
  return m;
}

} // namespace

TEST_CASE("outcome memory: neighbours tell where a cheap model answers well") {
  auto m = two_clusters();
  CHECK(m.prompts() == 80);
  CHECK(m.outcomes() == 160);
  opt::estimate_params p;
  p.k = 10;
  p.prior_k = 40;
  auto a = estimate(m, near_axis(0, 1000), "simple", {"cheap", "premium"}, p);
  auto b = estimate(m, near_axis(1, 1001), "simple", {"cheap", "premium"}, p);
  REQUIRE(a.size() == 2);
  CHECK(a[0].model == "cheap");
  CHECK(a[0].quality > 0.8);
  CHECK(b[0].quality < 0.2);
  CHECK(a[1].quality == doctest::Approx(1.0));
  CHECK(a[0].neighbours == 10);
  // Costs: the neighbours' recorded costs.
  REQUIRE(a[0].cost_usd);
  CHECK(*a[0].cost_usd == doctest::Approx(0.001));
  REQUIRE(b[1].cost_usd);
  CHECK(*b[1].cost_usd == doctest::Approx(0.010));
  // The task type's mean: half of the prompts.
  REQUIRE(m.task_mean("simple", "cheap"));
  CHECK(*m.task_mean("simple", "cheap") == doctest::Approx(0.5));
  CHECK_FALSE(m.task_mean("code", "cheap"));
}

TEST_CASE("outcome memory: few neighbours are shrunk toward the prior") {
  auto m = empty();
  // One prompt where "cheap" failed, among many where it did well.
  for (uint32_t i = 0; i < 50; ++i)
    REQUIRE_FALSE(m.add(i, near_axis(i % 4, i), "code", {"cheap", 1.0, 0.001}));
  REQUIRE_FALSE(m.add(99, near_axis(5, 99), "code", {"cheap", 0.0, 0.001}));
  opt::estimate_params p;
  p.k = 1;
  p.shrink = 3;
  p.prior_k = 0;
  p.prior_shrink = 1;
  // Its nearest neighbour failed, but one neighbour against a prior of
  // 50/51 pseudo-observed successes does not make it hopeless.
  // p = (w * 0 + 3 * prior) / (w + 3), w = cos^8 <= 1: between 3/4 of
  // the prior and the prior.
  auto e = estimate(m, near_axis(5, 1234), "code", {"cheap"}, p);
  auto prior = 50.0 / 51.0;
  CHECK(e[0].neighbours == 1);
  CHECK(e[0].quality >= 0.75 * prior);
  CHECK(e[0].quality < prior);
  // No shrinkage: the neighbour alone.
  p.shrink = 0;
  e = estimate(m, near_axis(5, 1234), "code", {"cheap"}, p);
  CHECK(e[0].quality == doctest::Approx(0.0));
}

TEST_CASE("outcome memory: unknown models and task types, empty memory") {
  auto m = empty();
  auto e = estimate(m, near_axis(0, 1), "simple", {"nobody"});
  REQUIRE(e.size() == 1);
  CHECK(e[0].quality == doctest::Approx(0.5));
  CHECK_FALSE(e[0].cost_usd);
  CHECK(e[0].neighbours == 0);
  REQUIRE_FALSE(m.add(1, near_axis(0, 1), "simple", {"a", 0.8, -1}));
  REQUIRE_FALSE(m.add(2, near_axis(1, 2), "simple", {"a", 0.4, -1}));
  // A task type never seen: the model's mean over all.
  opt::estimate_params p;
  p.k = 0;
  p.prior_k = 0;
  e = estimate(m, near_axis(0, 3), "analysis", {"a", "b"}, p);
  CHECK(e[0].quality == doctest::Approx(0.6));
  CHECK_FALSE(e[0].cost_usd); // no cost recorded
  CHECK(e[1].quality == doctest::Approx(0.5));
}

TEST_CASE("outcome memory: later feedback replaces earlier feedback") {
  auto m = empty();
  auto v = near_axis(2, 7);
  REQUIRE_FALSE(m.add(42, v, "simple", {"a", 0.0, 0.002}));
  REQUIRE_FALSE(m.add(42, v, "simple", {"a", 1.0, -1}));
  CHECK(m.prompts() == 1);
  CHECK(m.outcomes() == 1);
  CHECK(*m.task_mean("simple", "a") == doctest::Approx(1.0));
  opt::estimate_params p;
  p.k = 1;
  p.shrink = 0;
  auto e = estimate(m, v, "simple", {"a"}, p);
  CHECK(e[0].quality == doctest::Approx(1.0));
  // The cost recorded first stays when the feedback brings none.
  REQUIRE(e[0].cost_usd);
  CHECK(*e[0].cost_usd == doctest::Approx(0.002));
}

TEST_CASE("outcome memory: bad input is an error, the memory unchanged") {
  auto m = empty();
  std::vector<float> short_v(dim - 1, 0.1f);
  CHECK(m.add(1, short_v, "simple", {"a", 1, 0}).has_value());
  CHECK(m.add(1, near_axis(0, 1), "simple", {"", 1, 0}).has_value());
  auto err = m.add(1, near_axis(0, 1), "simple", {"a", 1.5, 0});
  REQUIRE(err);
  CHECK(err->find("1.5") != std::string::npos);
  CHECK(m.add(1, near_axis(0, 1), "simple", {"a", std::nan(""), 0}).has_value());
  CHECK(m.prompts() == 0);
  CHECK(m.outcomes() == 0);
  CHECK(std::holds_alternative<std::string>(
    m.estimate(short_v, "simple", std::vector<std::string>{"a"}, {})));
  CHECK(std::holds_alternative<std::string>(opt::outcome_memory::make(0)));
}

TEST_CASE("utility: priorities weigh cost against quality, one formula") {
  using opt::priority;
  CHECK(opt::parse_priority("low") == priority::low);
  CHECK(opt::parse_priority("medium") == priority::medium);
  CHECK(opt::parse_priority("high") == priority::high);
  CHECK_FALSE(opt::parse_priority("urgent"));
  // The more cost matters against performance, the heavier cost weighs.
  double last = 0;
  for (auto [c, pf] : {std::pair{priority::low, priority::high},
                       {priority::low, priority::medium},
                       {priority::medium, priority::medium},
                       {priority::high, priority::medium},
                       {priority::high, priority::low}}) {
    auto l = opt::cost_weight(c, pf);
    CHECK(l > last);
    last = l;
  }
  CHECK(opt::cost_weight(priority::low, priority::low)
        == opt::cost_weight(priority::high, priority::high));
  CHECK(opt::utility(0.9, 0.01, 0.01, 0.5) == doctest::Approx(0.4));
  CHECK(opt::utility(0.9, 0.01, 0.0, 0.5) == doctest::Approx(0.9));
  // On the two clusters: medium/medium picks the cheap model where it
  // answers well, premium where it does not.
  // (A memory of 80 prompts: lighter shrinkage than the defaults, which
  // suit thousands.)
  auto m = two_clusters();
  opt::estimate_params p;
  p.k = 10;
  p.prior_k = 40;
  p.shrink = 3;
  p.prior_shrink = 3;
  auto lambda = opt::cost_weight(priority::medium, priority::medium);
  auto pick = [&](const std::vector<float>& v) {
    auto e = estimate(m, v, "simple", {"cheap", "premium"}, p);
    auto u0 = opt::utility(e[0].quality, *e[0].cost_usd, 0.010, lambda);
    auto u1 = opt::utility(e[1].quality, *e[1].cost_usd, 0.010, lambda);
    return u0 > u1 ? e[0].model : e[1].model;
  };
  CHECK(pick(near_axis(0, 500)) == "cheap");
  CHECK(pick(near_axis(1, 501)) == "premium");
}

TEST_CASE("outcome memory: outcomes interleaved across prompts count as in order") {
  // 400 prompts, 12 models each: one memory filled prompt by prompt, one
  // model by model (every prompt's cells move several times and the cell
  // array is compacted); the same outcomes, the same estimates.
  auto in_order = empty(), interleaved = empty();
  std::vector<std::string> models;
  for (int m = 0; m < 12; ++m)
    models.push_back("m" + std::to_string(m));
  auto outcome_of = [&](uint32_t prompt, int m) {
    return opt::outcome{models[static_cast<size_t>(m)],
                        static_cast<double>((prompt * 7 + static_cast<uint32_t>(m) * 3) % 10) / 9.0,
                        0.001 * (m + 1)};
  };
  for (uint32_t i = 0; i < 400; ++i)
    for (int m = 0; m < 12; ++m)
      REQUIRE_FALSE(in_order.add(i, near_axis(i % dim, i), "simple", outcome_of(i, m)));
  for (int m = 0; m < 12; ++m)
    for (uint32_t i = 0; i < 400; ++i)
      REQUIRE_FALSE(interleaved.add(i, near_axis(i % dim, i), "simple", outcome_of(i, m)));
  CHECK(interleaved.outcomes() == in_order.outcomes());
  CHECK(interleaved.prompts() == 400);
  for (uint32_t q = 0; q < 8; ++q) {
    auto a = estimate(in_order, near_axis(q, 5000 + q), "simple", models);
    auto b = estimate(interleaved, near_axis(q, 5000 + q), "simple", models);
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].quality == doctest::Approx(b[i].quality).epsilon(1e-9));
      CHECK(a[i].neighbours == b[i].neighbours);
    }
  }
}

TEST_CASE("outcome memory: a large memory picks the same neighbourhoods") {
  // Past 4096 prompts the nearest are found from a sampled threshold:
  // 6000 prompts, the cheap model good on axis 0 only.
  auto m = empty();
  for (uint32_t i = 0; i < 6000; ++i) {
    auto axis = i % 2;
    auto v = near_axis(axis, i);
    REQUIRE_FALSE(m.add(i, v, "simple", {"premium", 1.0, 0.010}));
    REQUIRE_FALSE(m.add(i, v, "simple", {"cheap", axis == 0 ? 1.0 : 0.0, 0.001}));
  }
  auto a = estimate(m, near_axis(0, 90001), "simple", {"cheap", "premium"});
  auto b = estimate(m, near_axis(1, 90002), "simple", {"cheap", "premium"});
  CHECK(a[0].quality > 0.95);
  CHECK(b[0].quality < 0.05);
  CHECK(a[0].neighbours == opt::estimate_params{}.k);
}
