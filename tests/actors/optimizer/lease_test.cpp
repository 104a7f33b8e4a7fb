// Cluster-wide limits with leases: the limiter's ledger never grants past a
// limit, learns holdings again after a restart, counts spend from before it;
// a node's book uses its lease locally, asks ahead of time, fails open or
// closed when the limiter is away; many holders spending one budget at
// once stay within it plus what calls cost beyond their estimates.

#include <doctest/doctest.h>

#include <limits>
#include <random>

#include <nlohmann/json.hpp>

#include "actors/optimizer/lease.hpp"
#include "actors/optimizer/lease_book.hpp"
#include "actors/optimizer/lease_ledger.hpp"
#include "actors/optimizer/limits.hpp"

namespace opt = sophia::actors::optimizer;

namespace {

// 2026-12-06T10:00:00Z.
constexpr int64_t t0 = 1796551200000;
constexpr int64_t hour = 3600000;

opt::limit daily(double usd, bool fail_open = false) {
  return {opt::key_limit_id("team", "daily_usd"), usd, opt::period::day, fail_open,
          "API key team's daily AI budget", "[api_keys.team] daily_budget_cents", true};
}

/// Asks `ledger` what `book` would ask for `need`, and gives the answer back.
void top_up(opt::lease_book& book, opt::lease_ledger& ledger, const opt::limit& l,
            double need, double chunk, int64_t now) {
  if (auto a = book.ask(l, need, chunk, now))
    book.grant(ledger.ask(book.holder(), *a), now);
}

} // namespace

TEST_CASE("leases: windows of a minute, a day and a calendar month") {
  CHECK(opt::window_of(opt::period::minute, t0) == t0 / 60000);
  CHECK(opt::window_of(opt::period::day, t0 + 13 * hour) == opt::window_of(opt::period::day, t0));
  CHECK(opt::window_of(opt::period::day, t0 + 14 * hour) == opt::window_of(opt::period::day, t0) + 1);
  // 2026-12-06 is in month 56 * 12 + 11 since January 1970.
  CHECK(opt::window_of(opt::period::month, t0) == 56 * 12 + 11);
  CHECK(opt::window_of(opt::period::month, t0 + 26 * 24 * hour) == 57 * 12);
  CHECK(opt::next_window(opt::period::minute, t0 + 45000) == "in 15 s");
}

TEST_CASE("leases: the ledger never grants past the limit") {
  opt::lease_ledger ledger;
  auto l = daily(1.0);
  auto w = opt::window_of(l.per, t0);
  auto a = ledger.ask("n1/1", {l.id, w, 1.0, 0, 0, 0.6});
  CHECK(a.granted == doctest::Approx(0.6));
  CHECK(a.refused.empty());
  auto b = ledger.ask("n2/1", {l.id, w, 1.0, 0, 0, 0.6});
  CHECK(b.granted == doctest::Approx(0.4));
  CHECK(b.refused == "the limit is reached across the cluster");
  CHECK(b.committed == doctest::Approx(1.0));
  // n1 used 0.1 and gives the rest back: n2 may have it.
  auto back = ledger.ask("n1/1", {l.id, w, 1.0, 0.1, 0.6, -1});
  CHECK(back.granted == doctest::Approx(0.1));
  auto more = ledger.ask("n2/1", {l.id, w, 1.0, 0.4, 0.4, 0.5});
  CHECK(more.granted == doctest::Approx(0.9));
  CHECK(more.committed == doctest::Approx(1.0));
  // A holder that used more than it held (an actual cost over its
  // estimate) is charged for it: there is nothing left to grant.
  auto over = ledger.ask("n1/1", {l.id, w, 1.0, 0.2, 0.1, 0.1});
  CHECK(over.granted == doctest::Approx(0.2));
  CHECK(over.committed == doctest::Approx(1.1));
  CHECK(!over.refused.empty());
  // The next day starts from nothing.
  auto next = ledger.ask("n1/1", {l.id, w + 1, 1.0, 0, 0, 0.3});
  CHECK(next.granted == doctest::Approx(0.3));
  // A holder still in the old window gets nothing more.
  auto late = ledger.ask("n2/1", {l.id, w, 1.0, 0.9, 0.9, 0.1});
  CHECK(late.granted == doctest::Approx(0.9));
  CHECK(late.refused == "the window has ended");
}

TEST_CASE("leases: a restarted limiter learns holdings and the stored spend") {
  auto l = daily(1.0);
  auto w = opt::window_of(l.per, t0);
  opt::lease_ledger fresh;
  // 0.5 was spent today before this limiter (read from PostgreSQL).
  fresh.seed(l.id, w, 0.5);
  // n1 held 0.3, used 0.2 of it (part of the stored 0.5): it tells.
  auto a = fresh.ask("n1/1", {l.id, w, 1.0, 0.2, 0.3, 0});
  CHECK(a.granted == doctest::Approx(0.3));
  CHECK(a.committed == doctest::Approx(0.5 + 0.1));
  auto b = fresh.ask("n2/1", {l.id, w, 1.0, 0, 0, 1.0});
  CHECK(b.granted == doctest::Approx(0.4));
  CHECK(!b.refused.empty());
  // Seeds of another window do not count.
  opt::lease_ledger other;
  other.seed(l.id, w - 1, 5.0);
  CHECK(other.ask("n1/1", {l.id, w, 1.0, 0, 0, 1.0}).granted == doctest::Approx(1.0));
}

TEST_CASE("leases: a node uses its lease locally and asks ahead of time") {
  opt::lease_ledger ledger;
  opt::lease_book book{"n1/abc"};
  auto l = daily(1.0);
  CHECK(book.left(l, t0) == 0);
  auto a = book.ask(l, 0.02, 0.05, t0);
  REQUIRE(a);
  CHECK(a->want == doctest::Approx(0.07));
  CHECK(book.asking(l.id));
  CHECK(!book.ask(l, 0.02, 0.05, t0)); // one ask at a time
  book.grant(ledger.ask(book.holder(), *a), t0);
  CHECK(book.left(l, t0) == doctest::Approx(0.07));
  book.use(l, 0.02, t0);
  // Enough for the next call and half a lease besides: no ask.
  CHECK(!book.ask(l, 0.02, 0.05, t0));
  book.use(l, 0.02, t0);
  auto low = book.ask(l, 0.02, 0.05, t0);
  REQUIRE(low);
  CHECK(low->used == doctest::Approx(0.04));
  CHECK(low->granted == doctest::Approx(0.07));
  CHECK(low->want == doctest::Approx(0.05));
  book.grant(ledger.ask(book.holder(), *low), t0);
  CHECK(book.left(l, t0) == doctest::Approx(0.08));
  // An estimate given back (the call failed).
  book.use(l, -0.02, t0);
  CHECK(book.left(l, t0) == doctest::Approx(0.10));
  // Idle leases go back to the limiter.
  CHECK(book.releases(10000, t0 + 5000).empty());
  auto rel = book.releases(10000, t0 + 10000);
  REQUIRE(rel.size() == 1);
  book.grant(ledger.ask(book.holder(), rel[0]), t0 + 10000);
  CHECK(book.left(l, t0 + 10000) == 0);
  auto j = ledger.to_json();
  CHECK(j[0]["committed"].get<double>() == doctest::Approx(0.02));
  // A new day: nothing used, nothing held.
  CHECK(book.left(l, t0 + 24 * hour) == 0);
  CHECK(book.to_json()[0]["used"].get<double>() == 0);
}

TEST_CASE("leases: refusals name the limit; an unreachable limiter fails open or closed") {
  opt::lease_ledger ledger;
  opt::lease_book book{"n1/abc"};
  auto closed = daily(0.10);
  top_up(book, ledger, closed, 0.08, 0.05, t0);
  book.use(closed, 0.08, t0);
  top_up(book, ledger, closed, 0.05, 0.05, t0 + 2000);
  auto why = book.refusal(closed, 0.05, t0 + 2000);
  CHECK(why.find("API key team's daily AI budget is used up") != std::string::npos);
  CHECK(why.find("[api_keys.team] daily_budget_cents") != std::string::npos);
  CHECK(why.find("resets at 00:00 UTC") != std::string::npos);
  CHECK(book.refusal(closed, 0.01, t0 + 2000).empty());

  opt::lease_book away{"n2/def"};
  auto a = away.ask(closed, 0.01, 0.005, t0);
  REQUIRE(a);
  away.unreachable(closed.id, "node n3 is down", t0);
  CHECK(!away.asking(closed.id));
  auto down = away.refusal(closed, 0.01, t0);
  CHECK(down.find("the limiter (role monitoring) cannot be reached: node n3 is down")
        != std::string::npos);
  CHECK(down.find("fails closed") != std::string::npos);
  // Not asked again within a second.
  CHECK(!away.ask(closed, 0.01, 0.005, t0 + 500));
  CHECK(away.ask(closed, 0.01, 0.005, t0 + 1500));

  auto open = daily(0.10, true);
  open.id = opt::key_limit_id("other", "daily_usd");
  auto b = away.ask(open, 0.01, 0.005, t0);
  REQUIRE(b);
  away.unreachable(open.id, "no actor is registered as optimizer.limiter", t0);
  CHECK(away.left(open, t0) == std::numeric_limits<double>::infinity());
  CHECK(away.refusal(open, 5.0, t0).empty());
  away.use(open, 0.5, t0);
  // Back: the limiter learns what was used meanwhile.
  auto c = away.ask(open, 0.01, 0.005, t0 + 2000);
  REQUIRE(c);
  CHECK(c->used == doctest::Approx(0.5));
  away.grant(ledger.ask(away.holder(), *c), t0 + 2000);
  CHECK(away.left(open, t0 + 2000) == 0);
  CHECK(!away.refusal(open, 0.01, t0 + 2000).empty());
}

TEST_CASE("leases: many nodes spending one budget at once overshoot by at most the excess of actual costs") {
  // Eight routers spend a $1 daily budget with calls estimated at 0.5 to
  // 2 cents whose actual cost differs from the estimate by up to ±30 %;
  // the leases are 5 % of the budget.
  opt::lease_ledger ledger;
  auto l = daily(1.0);
  std::vector<opt::lease_book> books;
  for (int i = 0; i < 8; ++i)
    books.emplace_back("n" + std::to_string(i) + "/x");
  std::mt19937_64 rng{42};
  std::uniform_real_distribution<double> est{0.005, 0.02};
  std::uniform_real_distribution<double> err{-0.3, 0.3};
  double spent = 0;
  double excess = 0;
  size_t refused = 0;
  auto now = t0;
  for (int step = 0; step < 5000; ++step) {
    auto& b = books[rng() % books.size()];
    auto e = est(rng);
    now += 1500; // past the second a refusal stands
    top_up(b, ledger, l, e, 0.05, now);
    if (!b.refusal(l, e, now).empty()) {
      ++refused;
      continue;
    }
    b.use(l, e, now);
    auto actual = e * (1 + err(rng));
    b.use(l, actual - e, now);
    spent += actual;
    excess += std::max(0.0, actual - e);
  }
  CHECK(refused > 0);
  CHECK(spent <= 1.0 + excess + 1e-9);
  // And the budget was used: what the nodes could not use is less than a
  // call's estimate each, and goes back to the limiter.
  CHECK(spent >= 1.0 - 8 * 0.02);
  for (auto& b : books)
    for (auto& r : b.releases(0, now + 1))
      b.grant(ledger.ask(b.holder(), r), now + 1);
  CHECK(ledger.to_json()[0]["committed"].get<double>() == doctest::Approx(spent));
}

TEST_CASE("leases: the limiter's messages, and bad ones") {
  std::vector<opt::lease_ask> asks{{"api_key/k/calls", 7, 10, 1, 2, 3}};
  auto text = opt::encode_asks("n1/ab", asks);
  std::string holder, why;
  std::vector<opt::lease_ask> back;
  REQUIRE(opt::decode_asks(text, holder, back, why));
  CHECK(holder == "n1/ab");
  REQUIRE(back.size() == 1);
  CHECK(back[0].id == "api_key/k/calls");
  CHECK(back[0].want == 3);
  CHECK(!opt::decode_asks("[]", holder, back, why));
  CHECK(why.find("`holder`") != std::string::npos);
  CHECK(!opt::decode_asks(R"({"holder":"x","asks":[{"id":"a"}]})", holder, back, why));
  CHECK(why.find("asks[0]") != std::string::npos);
  CHECK(!opt::decode_asks(
    R"({"holder":"x","asks":[{"id":"a","window":1,"amount":-1,"used":0,"granted":0,"want":1}]})",
    holder, back, why));
  CHECK(why.find("not negative") != std::string::npos);
  std::vector<opt::lease_grant> grants{{"a", 7, 2.5, 3.5, "full"}}, got;
  REQUIRE(opt::decode_grants(opt::encode_grants(grants), got));
  CHECK(got[0].granted == 2.5);
  CHECK(got[0].refused == "full");
  CHECK(!opt::decode_grants("{}", got));
}

TEST_CASE("leases: a key's and a provider's limits from the configuration") {
  opt::limits_config cfg;
  cfg.keys["team"] = {.daily_usd = 1, .calls_per_minute = 10, .tokens_per_minute = 1000};
  cfg.providers["openrouter"] = {.requests_per_minute = 60};
  auto k = opt::limits_of_key(cfg, "team");
  REQUIRE(k.budgets.size() == 1);
  CHECK(k.budgets[0].config == "[api_keys.team] daily_budget_cents");
  CHECK(!k.budgets[0].fail_open);
  REQUIRE(k.calls.size() == 1);
  CHECK(k.calls[0].fail_open);
  CHECK(k.calls[0].per == opt::period::minute);
  CHECK(k.tokens.size() == 1);
  CHECK(opt::limits_of_key(cfg, "other").empty());
  auto p = opt::limits_of_provider(cfg, "openrouter");
  REQUIRE(p.calls.size() == 1);
  CHECK(p.calls[0].config == "[services.openrouter] cluster_requests_per_minute");
  CHECK(p.tokens.empty());
  auto needs = opt::needs_of(k, 0.01, 1, 300);
  REQUIRE(needs.size() == 3);
  CHECK(needs[0].amount == 0.01);
  CHECK(needs[2].amount == 300);
  // 5 % of 10 calls is half a call: a whole one.
  CHECK(opt::lease_chunk(cfg, k.calls[0]) == 1);
  CHECK(opt::lease_chunk(cfg, k.budgets[0]) == doctest::Approx(0.05));
}
