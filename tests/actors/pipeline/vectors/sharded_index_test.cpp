// sharded_index: the very results of one exact_index over the same vectors,
// and shards that fail or stop without hanging their owner.

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>
#include <thread>

#include <caf/all.hpp>

#include "actors/pipeline/vectors/record_index.hpp"
#include "actors/pipeline/vectors/sharded_index.hpp"
#include "runtime/vectors/exact_index.hpp"
#include "tests/runtime/vectors/random_vectors.hpp"

namespace v = sophia::actors::pipeline::vectors;
namespace rv = sophia::runtime::vectors;
using namespace std::chrono_literals;

namespace {

constexpr size_t dim = 24;

std::vector<float> random_rows(size_t n, uint32_t seed) {
  return sophia::runtime::vectors::testing::gaussian_rows(n, dim, seed);
}

std::unique_ptr<v::sharded_index> make_sharded(caf::actor_system& sys,
                                               size_t shards,
                                               std::chrono::milliseconds
                                                 timeout = 10s) {
  auto made = v::sharded_index::make(sys, dim, shards, timeout);
  REQUIRE(std::holds_alternative<std::unique_ptr<v::sharded_index>>(made));
  return std::move(std::get<std::unique_ptr<v::sharded_index>>(made));
}

rv::exact_index make_exact() {
  auto made = rv::exact_index::make(dim);
  REQUIRE(std::holds_alternative<rv::exact_index>(made));
  return std::get<rv::exact_index>(std::move(made));
}

std::vector<rv::hits> search_all(const rv::vector_index& index,
                                 const std::vector<float>& queries, size_t k) {
  auto found = index.search_batch(queries, k);
  if (auto* err = std::get_if<std::string>(&found))
    FAIL("search_batch: ", *err);
  return std::get<std::vector<rv::hits>>(std::move(found));
}

rv::hits search_one(const rv::vector_index& index, const float* q, size_t k) {
  auto found = index.search({ q, dim }, k);
  if (auto* err = std::get_if<std::string>(&found))
    FAIL("search: ", *err);
  return std::get<rv::hits>(std::move(found));
}

/// Same scores up to float rounding, and the same ids in the same order
/// but where two scores tie up to that rounding: BLAS sums a row's
/// products in an order that depends on where the row sits in its matrix,
/// which sharding changes, and that can swap two near-equal scores.
void check_same(const rv::hits& got, const rv::hits& want) {
  REQUIRE(got.size() == want.size());
  auto near = [](float a, float b) { return a == doctest::Approx(b).epsilon(1e-5); };
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(near(got[i].score, want[i].score));
    if (got[i].id == want[i].id)
      continue;
    bool tie = (i > 0 && near(want[i].score, want[i - 1].score))
               || (i + 1 < want.size() && near(want[i].score, want[i + 1].score));
    CHECK_MESSAGE(tie, "id ", got[i].id, " where ", want[i].id,
                  " is, without a tie");
  }
}

void check_same(const rv::vector_index& got, const rv::vector_index& want,
                const std::vector<float>& queries, size_t k) {
  CAPTURE(k);
  CHECK(got.size() == want.size());
  auto a = search_all(got, queries, k);
  auto b = search_all(want, queries, k);
  REQUIRE(a.size() == b.size());
  for (size_t q = 0; q < a.size(); ++q) {
    CAPTURE(q);
    check_same(a[q], b[q]);
    check_same(search_one(got, &queries[q * dim], k),
               search_one(want, &queries[q * dim], k));
  }
}

/// Whether every actor in `xs` terminates within `limit`.
bool all_down(caf::actor_system& sys, const std::vector<caf::actor>& xs,
              caf::timespan limit) {
  caf::scoped_actor self{ sys };
  for (auto& x : xs)
    self->monitor(x);
  size_t downs = 0;
  bool timed_out = false;
  while (downs < xs.size() && !timed_out)
    self->receive([&](caf::down_msg&) { ++downs; },
                  caf::after(limit) >> [&] { timed_out = true; });
  return downs == xs.size();
}

} // namespace

TEST_CASE("sharded index: the same top-k as one exact index") {
  caf::actor_system_config cfg;
  caf::actor_system sys{ cfg };
  size_t n = 1000;
  auto rows = random_rows(n, 7);
  auto queries = random_rows(20, 8);
  // Ids in no order, with gaps: a shard holds them as they come.
  std::vector<uint64_t> ids(n);
  std::iota(ids.begin(), ids.end(), uint64_t{ 0 });
  for (auto& id : ids)
    id = id * 7 + 3;
  std::shuffle(ids.begin(), ids.end(), std::mt19937{ 9 });
  for (size_t shards : { 2, 3, 5 }) {
    CAPTURE(shards);
    auto sharded = make_sharded(sys, shards);
    CHECK(sharded->shards() == shards);
    CHECK(sharded->dimension() == dim);
    auto exact = make_exact();
    // Half in one batch, the rest one by one.
    auto half = n / 2;
    REQUIRE_FALSE(sharded->add_batch({ ids.data(), half },
                                     { rows.data(), half * dim }));
    REQUIRE_FALSE(exact.add_batch({ ids.data(), half },
                                  { rows.data(), half * dim }));
    for (size_t i = half; i < n; ++i) {
      REQUIRE_FALSE(sharded->add(ids[i], { &rows[i * dim], dim }));
      REQUIRE_FALSE(exact.add(ids[i], { &rows[i * dim], dim }));
    }
    CHECK(sharded->size() == n);
    // k within a shard, beyond every shard's size, beyond the whole index.
    for (size_t k : { 1, 10, 400, 2000 })
      check_same(*sharded, exact, queries, k);
    // Replacing a vector: the size stays, the results follow.
    auto fresh = random_rows(3, 10);
    for (size_t i = 0; i < 3; ++i) {
      REQUIRE_FALSE(sharded->add(ids[i * 100], { &fresh[i * dim], dim }));
      REQUIRE_FALSE(exact.add(ids[i * 100], { &fresh[i * dim], dim }));
    }
    CHECK(sharded->size() == n);
    check_same(*sharded, exact, queries, 10);
    check_same(*sharded, exact, fresh, 5);
  }
}

TEST_CASE("sharded index: adds one by one past the window of adds in flight") {
  caf::actor_system_config cfg;
  caf::actor_system sys{ cfg };
  // More than the 1024 adds `add` sends before it waits: it waits for
  // half, sends on, and a search after the last add sees every vector.
  size_t n = 5000;
  auto rows = random_rows(n, 18);
  auto queries = random_rows(10, 19);
  auto sharded = make_sharded(sys, 2);
  auto exact = make_exact();
  for (size_t i = 0; i < n; ++i) {
    REQUIRE_FALSE(sharded->add(i, { &rows[i * dim], dim }));
    REQUIRE_FALSE(exact.add(i, { &rows[i * dim], dim }));
  }
  CHECK(sharded->size() == n);
  check_same(*sharded, exact, queries, 10);
  // The last rows replaced, then searched at once: in before the search.
  for (size_t i = n - 10; i < n; ++i) {
    REQUIRE_FALSE(sharded->add(i, { queries.data(), dim }));
    REQUIRE_FALSE(exact.add(i, { queries.data(), dim }));
  }
  CHECK(sharded->size() == n);
  check_same(*sharded, exact, queries, 20);
}

TEST_CASE("sharded index: fewer vectors than k, an empty index, k = 0") {
  caf::actor_system_config cfg;
  caf::actor_system sys{ cfg };
  auto sharded = make_sharded(sys, 4);
  auto exact = make_exact();
  auto queries = random_rows(3, 11);
  check_same(*sharded, exact, queries, 10);
  CHECK(search_all(*sharded, queries, 10) == std::vector<rv::hits>(3));
  CHECK(search_all(*sharded, {}, 10).empty());
  auto rows = random_rows(3, 12);
  std::vector<uint64_t> ids{ 5, 6, 9 }; // shard 3 stays empty
  REQUIRE_FALSE(sharded->add_batch(ids, rows));
  REQUIRE_FALSE(exact.add_batch(ids, rows));
  CHECK(sharded->size() == 3);
  check_same(*sharded, exact, queries, 10);
  CHECK(search_one(*sharded, queries.data(), 10).size() == 3);
  CHECK(search_one(*sharded, queries.data(), 0).empty());
}

TEST_CASE("sharded index: equal scores come lower id first") {
  caf::actor_system_config cfg;
  caf::actor_system sys{ cfg };
  auto sharded = make_sharded(sys, 3);
  // Zero vectors, as the record index writes into removed slots.
  std::vector<float> zeros(dim, 0.0f);
  for (uint64_t id : { 8, 3, 0, 5, 1, 7, 2, 6, 4 })
    REQUIRE_FALSE(sharded->add(id, zeros));
  auto q = random_rows(1, 13);
  auto top = search_one(*sharded, q.data(), 4);
  REQUIRE(top.size() == 4);
  for (uint64_t i = 0; i < 4; ++i) {
    CHECK(top[i].id == i);
    CHECK(top[i].score == 0.0f);
  }
}

TEST_CASE("sharded index: wrong sizes are errors, not crashes") {
  caf::actor_system_config cfg;
  caf::actor_system sys{ cfg };
  auto sharded = make_sharded(sys, 2);
  std::vector<float> short_row(dim - 1, 1.0f), row(dim, 1.0f);
  CHECK(sharded->add(1, short_row).has_value());
  std::vector<uint64_t> two{ 1, 2 };
  CHECK(sharded->add_batch(two, row).has_value());
  CHECK(std::holds_alternative<std::string>(sharded->search(short_row, 3)));
  CHECK(std::holds_alternative<std::string>(
    sharded->search_batch(short_row, 3)));
  CHECK(sharded->size() == 0);
  // Still usable.
  REQUIRE_FALSE(sharded->add(1, row));
  CHECK(search_one(*sharded, row.data(), 3).size() == 1);
  CHECK(std::holds_alternative<std::string>(
    v::sharded_index::make(sys, 0, 2)));
}

TEST_CASE("sharded index: a shard that died fails calls, no hang") {
  caf::actor_system_config cfg;
  caf::actor_system sys{ cfg };
  auto sharded = make_sharded(sys, 2, 2s);
  auto rows = random_rows(4, 14);
  std::vector<uint64_t> ids{ 0, 1, 2, 3 };
  REQUIRE_FALSE(sharded->add_batch(ids, rows));
  auto shards = sharded->shard_actors();
  REQUIRE(shards.size() == 2);
  caf::anon_send_exit(shards[1], caf::exit_reason::kill);
  REQUIRE(all_down(sys, { shards[1] }, 5s));
  auto t0 = std::chrono::steady_clock::now();
  auto found = sharded->search({ rows.data(), dim }, 2);
  REQUIRE(std::holds_alternative<std::string>(found));
  CHECK(std::get<std::string>(found).find("shard 1") != std::string::npos);
  // Shard 0 still takes its ids; shard 1's are refused.
  CHECK_FALSE(sharded->add(4, { rows.data(), dim }));
  CHECK(sharded->add(5, { rows.data(), dim }).has_value());
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
}

TEST_CASE("sharded index: destroying it stops its shards") {
  caf::actor_system_config cfg;
  caf::actor_system sys{ cfg };
  auto before = sys.registry().running();
  auto sharded = make_sharded(sys, 3);
  auto rows = random_rows(30, 15);
  std::vector<uint64_t> ids(30);
  std::iota(ids.begin(), ids.end(), uint64_t{ 0 });
  REQUIRE_FALSE(sharded->add_batch(ids, rows));
  auto shards = sharded->shard_actors();
  // The shards and the index's scoped actor.
  CHECK(sys.registry().running() == before + 4);
  caf::scoped_actor watcher{ sys };
  for (auto& s : shards)
    watcher->monitor(s);
  sharded.reset();
  // The destructor waited for them: their down messages are in already.
  size_t downs = 0;
  bool timed_out = false;
  while (downs < shards.size() && !timed_out)
    watcher->receive([&](caf::down_msg&) { ++downs; },
                     caf::after(0s) >> [&] { timed_out = true; });
  CHECK(downs == shards.size());
  CHECK(sys.registry().running() == before + 1); // the watcher
}

TEST_CASE("sharded index: the record index searches the same with shards") {
  caf::actor_system_config cfg;
  caf::actor_system sys{ cfg };
  auto make = [&](size_t shards) {
    auto made = v::record_index::make("exact", 256, {},
                                      v::shard_options{ shards, &sys });
    REQUIRE(std::holds_alternative<std::unique_ptr<v::record_index>>(made));
    return std::move(std::get<std::unique_ptr<v::record_index>>(made));
  };
  auto one = make(1), three = make(3);
  CHECK(std::holds_alternative<std::string>(
    v::record_index::make("exact", 256, {}, v::shard_options{ 2, nullptr })));
  const char* texts[] = { "the giraffe eats acacia leaves",
                          "submarine sonar engineering",
                          "giraffes and elephants on the savanna",
                          "acacia trees in dry climates",
                          "sonar pings from a submarine hull" };
  int id = 0;
  for (auto idx : { one.get(), three.get() })
    for (auto t : texts)
      idx->apply(v::make_record("src", "docs", "public.docs", true, { "id" },
                                std::string{ "updated" },
                                { { "id", id++ % 5 }, { "updated", 1 },
                                  { "body", t } },
                                1),
                 false);
  // A replacement frees a slot that the next chunk reuses.
  for (auto idx : { one.get(), three.get() })
    idx->apply(v::make_record("src", "docs", "public.docs", true, { "id" },
                              std::string{ "updated" },
                              { { "id", 1 }, { "updated", 2 },
                                { "body", "submarine periscope" } },
                              2),
               false);
  CHECK(one->vectors() == three->vectors());
  for (auto q : { "giraffe acacia", "submarine", "savanna climates" }) {
    CAPTURE(q);
    auto a = one->search(q, 3, ""), b = three->search(q, 3, "");
    REQUIRE(std::holds_alternative<std::vector<v::search_result>>(a));
    REQUIRE(std::holds_alternative<std::vector<v::search_result>>(b));
    auto& x = std::get<std::vector<v::search_result>>(a);
    auto& y = std::get<std::vector<v::search_result>>(b);
    REQUIRE(x.size() == y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      CHECK(x[i].key == y[i].key);
      CHECK(x[i].score == doctest::Approx(y[i].score).epsilon(1e-5));
      CHECK(x[i].text == y[i].text);
    }
  }
}

TEST_CASE("sharded index: shards slower than the timeout fail the call") {
  caf::actor_system_config cfg;
  caf::actor_system sys{ cfg };
  size_t n = 50000;
  auto rows = random_rows(n, 16);
  std::vector<uint64_t> ids(n);
  std::iota(ids.begin(), ids.end(), uint64_t{ 0 });
  auto queries = random_rows(500, 17);
  {
    auto sharded = make_sharded(sys, 2, 1ms);
    // The adds may time out too: the shards still take them, in order.
    (void) sharded->add_batch(ids, rows);
    auto found = sharded->search_batch(queries, 10);
    REQUIRE(std::holds_alternative<std::string>(found));
    CHECK(std::get<std::string>(found).find("no reply within 1 ms") !=
          std::string::npos);
    // Destroyed while the shards are busy: it waits 1 ms, they stop
    // after their search, and the system's shutdown waits for them.
  }
}
