// exact_index: the same top-k as a naive brute force, in every corner case.

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

#include "random_vectors.hpp"
#include "runtime/vectors/exact_index.hpp"

using namespace sophia::runtime::vectors;
using namespace sophia::runtime::vectors::testing;

namespace {

exact_index make_index(size_t dim, exact_index_config cfg = {}) {
  auto made = exact_index::make(dim, cfg);
  REQUIRE(std::holds_alternative<exact_index>(made));
  return std::get<exact_index>(std::move(made));
}

/// Ids 1000, 1001, ... for the rows of `rows`.
std::vector<uint64_t> ids_for(size_t n) {
  std::vector<uint64_t> ids(n);
  std::iota(ids.begin(), ids.end(), uint64_t{ 1000 });
  return ids;
}

/// Top-k by scoring every row in double precision and sorting.
hits brute_force(const std::vector<float>& rows,
                 size_t dim,
                 const float* query,
                 size_t k) {
  std::vector<std::pair<double, uint64_t>> all;
  for (size_t r = 0; r * dim < rows.size(); ++r) {
    double s = 0;
    for (size_t i = 0; i < dim; ++i)
      s += double{ rows[r * dim + i] } * query[i];
    all.emplace_back(s, 1000 + r);
  }
  std::sort(
    all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first; });
  hits out;
  for (size_t i = 0; i < std::min(k, all.size()); ++i)
    out.push_back({ all[i].second, static_cast<float>(all[i].first) });
  return out;
}

hits search(const vector_index& index, const float* q, size_t k) {
  auto found = index.search({ q, index.dimension() }, k);
  REQUIRE(std::holds_alternative<hits>(found));
  return std::get<hits>(found);
}

/// Same ids in the same order, scores equal up to float rounding (random
/// Gaussian data has no ties).
void check_same(const hits& got, const hits& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i].id == want[i].id);
    CHECK(got[i].score == doctest::Approx(want[i].score).epsilon(1e-4));
  }
}

} // namespace

TEST_CASE("exact_index: top-k equals a brute force on random data") {
  // Block sizes that do not divide the sizes: partial blocks on both axes.
  for (auto cfg : { exact_index_config{}, exact_index_config{ 100, 7 } }) {
    for (size_t dim : { 37, 64 }) {
      CAPTURE(dim);
      CAPTURE(cfg.block_rows);
      size_t n = 2500;
      auto rows = gaussian_rows(n, dim, 1);
      auto queries = gaussian_rows(20, dim, 2);
      auto index = make_index(dim, cfg);
      REQUIRE_FALSE(index.add_batch(ids_for(n), rows));
      CHECK(index.size() == n);
      for (size_t q = 0; q < 20; ++q) {
        CAPTURE(q);
        check_same(search(index, &queries[q * dim], 10),
                   brute_force(rows, dim, &queries[q * dim], 10));
      }
    }
  }
}

TEST_CASE("exact_index: a batch search equals single searches") {
  size_t dim = 48, n = 3000, nq = 300;
  auto rows = gaussian_rows(n, dim, 3);
  auto queries = gaussian_rows(nq, dim, 4);
  auto index = make_index(dim, { 1000, 64 });
  REQUIRE_FALSE(index.add_batch(ids_for(n), rows));
  auto batch = index.search_batch(queries, 5);
  REQUIRE(std::holds_alternative<std::vector<hits>>(batch));
  auto& all = std::get<std::vector<hits>>(batch);
  REQUIRE(all.size() == nq);
  for (size_t q = 0; q < nq; ++q) {
    CAPTURE(q);
    check_same(all[q], search(index, &queries[q * dim], 5));
  }
}

TEST_CASE("exact_index: k above the size returns every vector, best first") {
  size_t dim = 8;
  auto rows = gaussian_rows(5, dim, 5);
  auto index = make_index(dim);
  REQUIRE_FALSE(index.add_batch(ids_for(5), rows));
  auto query = gaussian_rows(1, dim, 6);
  auto found = search(index, query.data(), 50);
  check_same(found, brute_force(rows, dim, query.data(), 50));
  CHECK(found.size() == 5);
  CHECK(search(index, query.data(), 0).empty());
}

TEST_CASE("exact_index: an empty index finds nothing") {
  auto index = make_index(16);
  CHECK(index.size() == 0);
  std::vector<float> q(16, 1.0f);
  CHECK(search(index, q.data(), 10).empty());
  auto batch = index.search_batch(std::vector<float>(32, 1.0f), 10);
  REQUIRE(std::holds_alternative<std::vector<hits>>(batch));
  CHECK(std::get<std::vector<hits>>(batch) == std::vector<hits>(2));
}

TEST_CASE("exact_index: adding an id again replaces its vector") {
  auto index = make_index(2);
  REQUIRE_FALSE(index.add(7, std::vector<float>{ 1, 0 }));
  REQUIRE_FALSE(index.add(8, std::vector<float>{ 0, 1 }));
  REQUIRE_FALSE(index.add(7, std::vector<float>{ -1, 0 }));
  CHECK(index.size() == 2);
  std::vector<float> q{ 1, 0 };
  auto found = search(index, q.data(), 2);
  REQUIRE(found.size() == 2);
  CHECK(found[0] == hit{ 8, 0.0f });
  CHECK(found[1] == hit{ 7, -1.0f });
}

TEST_CASE("exact_index: wrong sizes are errors, not crashes") {
  CHECK(std::holds_alternative<std::string>(exact_index::make(0)));
  CHECK(std::holds_alternative<std::string>(exact_index::make(4, { 0, 1 })));
  auto index = make_index(4);
  CHECK(index.add(1, std::vector<float>(3)).has_value());
  std::vector<uint64_t> ids{ 1, 2 };
  CHECK(index.add_batch(ids, std::vector<float>(7)).has_value());
  CHECK(index.size() == 0);
  CHECK(std::holds_alternative<std::string>(
    index.search(std::vector<float>(5), 1)));
  CHECK(std::holds_alternative<std::string>(
    index.search_batch(std::vector<float>(6), 1)));
}
