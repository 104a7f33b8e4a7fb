// API keys' AI budgets: what is left counts the calls in flight, actual
// costs replace estimates, periods roll over at UTC midnight and month
// ends, the per-minute limit, and spend seeded from before a restart.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "actors/optimizer/budget_book.hpp"

namespace opt = sophia::actors::optimizer;

namespace {

// 2026-12-06T10:00:00Z and friends.
constexpr int64_t t0 = 1796551200000;
constexpr int64_t hour = 3600000;

double left(opt::budget_book& b, const std::string& key, int64_t now) {
  auto a = b.admit(key, now);
  if (auto* why = std::get_if<std::string>(&a))
    FAIL(*why);
  return std::get<double>(a);
}

} // namespace

TEST_CASE("budgets: estimates in flight count, actual costs replace them") {
  opt::budget_book b;
  b.set_limits({{"team", {.daily_usd = 1.0, .monthly_usd = 10.0}}});
  CHECK(left(b, "other", t0) == opt::budget_book::unlimited);
  CHECK(left(b, "team", t0) == doctest::Approx(1.0));
  b.reserve("team", 0.4, t0);
  CHECK(left(b, "team", t0) == doctest::Approx(0.6));
  CHECK(b.refusal("team", 0.7, t0).find("daily budget of $1.0000") != std::string::npos);
  CHECK(b.refusal("team", 0.5, t0).empty());
  b.settle("team", 0.4, 0.3, t0);
  CHECK(left(b, "team", t0) == doctest::Approx(0.7));
  // A failed call gives its reservation back.
  b.reserve("team", 0.5, t0);
  b.settle("team", 0.5, 0, t0);
  CHECK(left(b, "team", t0) == doctest::Approx(0.7));
  b.reserve("team", 0.7, t0);
  b.settle("team", 0.7, 0.75, t0);
  auto spent = b.admit("team", t0);
  REQUIRE(std::holds_alternative<std::string>(spent));
  CHECK(std::get<std::string>(spent).find("has spent its daily AI budget") != std::string::npos);
  CHECK(std::get<std::string>(spent).find("[api_keys.team] daily_budget_cents") != std::string::npos);
  // The next UTC day starts afresh; the month keeps counting.
  CHECK(left(b, "team", t0 + 24 * hour) == doctest::Approx(1.0));
  auto j = b.to_json(t0 + 24 * hour);
  CHECK(j[0]["month_spent_usd"].get<double>() == doctest::Approx(1.05));
}

TEST_CASE("budgets: the monthly budget and the calls of the last minute") {
  opt::budget_book b;
  b.set_limits({{"k", {.monthly_usd = 2.0, .calls_per_minute = 2}}});
  CHECK(left(b, "k", t0) == doctest::Approx(2.0));
  CHECK(left(b, "k", t0 + 1000) == doctest::Approx(2.0));
  auto third = b.admit("k", t0 + 2000);
  REQUIRE(std::holds_alternative<std::string>(third));
  CHECK(std::get<std::string>(third).find("ai_calls_per_minute = 2") != std::string::npos);
  CHECK(std::get<std::string>(third).find("retry in 58 s") != std::string::npos);
  CHECK(left(b, "k", t0 + 60001) == doctest::Approx(2.0));
  b.reserve("k", 2.5, t0 + 61000);
  b.settle("k", 2.5, 2.5, t0 + 61000);
  auto month = b.admit("k", t0 + 3 * 24 * hour);
  REQUIRE(std::holds_alternative<std::string>(month));
  CHECK(std::get<std::string>(month).find("monthly AI budget") != std::string::npos);
  // 2027-01-01: a new month.
  CHECK(left(b, "k", t0 + 27 * 24 * hour) == doctest::Approx(2.0));
}

TEST_CASE("budgets: spend from before a restart is seeded, never lowered") {
  opt::budget_book b;
  b.set_limits({{"team", {.daily_usd = 1.0}}});
  b.seed("team", 0.9, 5.0, t0);
  CHECK(left(b, "team", t0) == doctest::Approx(0.1));
  b.seed("team", 0.2, 0.2, t0);
  CHECK(left(b, "team", t0) == doctest::Approx(0.1));
}
