// hnsw_index: recall against the exact index, growth, and corner cases.

#include <doctest/doctest.h>

#include <numeric>
#include <set>

#include "random_vectors.hpp"
#include "runtime/vectors/exact_index.hpp"
#include "runtime/vectors/hnsw_index.hpp"

using namespace sophia::runtime::vectors;
using namespace sophia::runtime::vectors::testing;

namespace {

hnsw_index make_index(size_t dim, hnsw_config cfg = {}) {
  auto made = hnsw_index::make(dim, cfg);
  REQUIRE(std::holds_alternative<hnsw_index>(made));
  return std::get<hnsw_index>(std::move(made));
}

std::vector<uint64_t> ids_for(size_t n) {
  std::vector<uint64_t> ids(n);
  // Large, sparse ids: labels are ours, not positions.
  for (size_t i = 0; i < n; ++i)
    ids[i] = (uint64_t{ 1 } << 40) + 3 * i;
  return ids;
}

std::vector<hits> search_batch(const vector_index& index,
                               const std::vector<float>& queries,
                               size_t k) {
  auto found = index.search_batch(queries, k);
  REQUIRE(std::holds_alternative<std::vector<hits>>(found));
  return std::get<std::vector<hits>>(std::move(found));
}

} // namespace

TEST_CASE("hnsw_index: recall@10 of at least 0.95 on clustered data") {
  size_t dim = 96, n = 10000, nq = 200, k = 10;
  auto rows = clustered_rows(n, dim, 500, 1.5f, 11, 1);
  auto queries = clustered_rows(nq, dim, 500, 1.5f, 11, 2);
  auto ids = ids_for(n);
  auto exact = std::get<exact_index>(exact_index::make(dim));
  REQUIRE_FALSE(exact.add_batch(ids, rows));
  auto approx = make_index(dim);
  REQUIRE_FALSE(approx.add_batch(ids, rows));
  CHECK(approx.size() == n);
  auto truth = search_batch(exact, queries, k);
  auto found = search_batch(approx, queries, k);
  size_t hit_count = 0;
  for (size_t q = 0; q < nq; ++q) {
    std::set<uint64_t> want;
    for (auto& h : truth[q])
      want.insert(h.id);
    REQUIRE(found[q].size() == k);
    for (auto& h : found[q])
      hit_count += want.count(h.id);
    // Best first.
    for (size_t i = 1; i < found[q].size(); ++i)
      CHECK(found[q][i - 1].score >= found[q][i].score);
  }
  auto recall = static_cast<double>(hit_count) / static_cast<double>(nq * k);
  MESSAGE("recall@10 = " << recall);
  CHECK(recall >= 0.95);
}

TEST_CASE("hnsw_index: the capacity grows as vectors are added") {
  size_t dim = 16, n = 1000;
  auto rows = clustered_rows(n, dim, 10, 0.5f, 21, 1);
  auto index = make_index(dim, { .initial_capacity = 8 });
  CHECK(index.capacity() == 8);
  for (size_t i = 0; i < n; ++i)
    REQUIRE_FALSE(index.add(i, { &rows[i * dim], dim }));
  CHECK(index.size() == n);
  CHECK(index.capacity() >= n);
  // Every vector finds itself.
  size_t self = 0;
  for (size_t i = 0; i < n; i += 10) {
    auto found = index.search({ &rows[i * dim], dim }, 1);
    REQUIRE(std::holds_alternative<hits>(found));
    auto& best = std::get<hits>(found);
    REQUIRE(best.size() == 1);
    self += best[0].id == i;
    CHECK(best[0].score == doctest::Approx(1.0).epsilon(1e-4));
  }
  CHECK(self == n / 10);
}

TEST_CASE("hnsw_index: a batch search equals single searches") {
  size_t dim = 32, n = 2000;
  auto rows = clustered_rows(n, dim, 20, 0.5f, 31, 1);
  auto queries = clustered_rows(50, dim, 20, 0.5f, 31, 2);
  auto index = make_index(dim);
  REQUIRE_FALSE(index.add_batch(ids_for(n), rows));
  auto all = search_batch(index, queries, 10);
  REQUIRE(all.size() == 50);
  for (size_t q = 0; q < 50; ++q) {
    auto one = index.search({ &queries[q * dim], dim }, 10);
    REQUIRE(std::holds_alternative<hits>(one));
    CHECK(std::get<hits>(one) == all[q]);
  }
}

TEST_CASE("hnsw_index: small indexes, k above the size, empty") {
  auto index = make_index(4);
  std::vector<float> q{ 1, 0, 0, 0 };
  auto none = index.search(q, 10);
  REQUIRE(std::holds_alternative<hits>(none));
  CHECK(std::get<hits>(none).empty());
  REQUIRE_FALSE(index.add(5, std::vector<float>{ 1, 0, 0, 0 }));
  REQUIRE_FALSE(index.add(6, std::vector<float>{ 0, 1, 0, 0 }));
  REQUIRE_FALSE(index.add(7, std::vector<float>{ 0.6f, 0.8f, 0, 0 }));
  auto found = index.search(q, 10);
  REQUIRE(std::holds_alternative<hits>(found));
  auto& all = std::get<hits>(found);
  REQUIRE(all.size() == 3);
  CHECK(all[0].id == 5);
  CHECK(all[1].id == 7);
  CHECK(all[2].id == 6);
  CHECK(all[1].score == doctest::Approx(0.6));
  auto zero = index.search(q, 0);
  REQUIRE(std::holds_alternative<hits>(zero));
  CHECK(std::get<hits>(zero).empty());
}

TEST_CASE("hnsw_index: adding an id again replaces its vector") {
  auto index = make_index(2);
  REQUIRE_FALSE(index.add(1, std::vector<float>{ 1, 0 }));
  REQUIRE_FALSE(index.add(2, std::vector<float>{ 0, 1 }));
  REQUIRE_FALSE(index.add(1, std::vector<float>{ -1, 0 }));
  CHECK(index.size() == 2);
  auto found = index.search(std::vector<float>{ 1, 0 }, 1);
  REQUIRE(std::holds_alternative<hits>(found));
  REQUIRE(std::get<hits>(found).size() == 1);
  CHECK(std::get<hits>(found)[0].id == 2);
}

TEST_CASE("hnsw_index: ef_search is adjustable and bad input is an error") {
  CHECK(std::holds_alternative<std::string>(hnsw_index::make(0)));
  CHECK(std::holds_alternative<std::string>(hnsw_index::make(8, { .m = 1 })));
  auto index = make_index(8, { .ef_search = 40 });
  CHECK(index.config().ef_search == 40);
  index.set_ef_search(200);
  CHECK(index.config().ef_search == 200);
  CHECK(index.add(1, std::vector<float>(7)).has_value());
  CHECK(std::holds_alternative<std::string>(
    index.search(std::vector<float>(9), 1)));
  std::vector<uint64_t> ids{ 1 };
  CHECK(index.add_batch(ids, std::vector<float>(9)).has_value());
  CHECK(index.size() == 0);
}
