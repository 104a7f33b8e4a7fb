// int4_rows: 4-bit scores close to the exact inner products, the same
// floats from every kernel, in every shape (padding, row counts that are
// not a multiple of the kernels' 16, zero vectors).

#include <doctest/doctest.h>

#include <cmath>
#include <span>
#include <vector>

#include "random_vectors.hpp"
#include "runtime/vectors/int4_rows.hpp"

using namespace sophia::runtime::vectors;
using namespace sophia::runtime::vectors::testing;

namespace {

/// The scores of `queries` (each `dim` floats) against `rows` with kernels
/// up to `use`.
std::vector<float> scores_with(int4_rows::simd use, const std::vector<float>& rows,
                               const std::vector<float>& queries, size_t dim) {
  int4_rows codes{dim, use};
  for (size_t r = 0; r * dim < rows.size(); ++r)
    codes.push_back(std::span{rows}.subspan(r * dim, dim));
  std::vector<float> out;
  std::vector<float> one(codes.size());
  for (size_t q = 0; q * dim < queries.size(); ++q) {
    codes.scores(std::span{queries}.subspan(q * dim, dim), one.data());
    out.insert(out.end(), one.begin(), one.end());
  }
  return out;
}

} // namespace

TEST_CASE("int4_rows: scores within the code error of the exact inner products") {
  // 384 (three blocks: the embedder's size), 100 (padding inside one
  // block), 512 (four) and 640 (five: past the VNNI kernels' range).
  for (size_t dim : {384, 100, 512, 640}) {
    CAPTURE(dim);
    size_t n = 1003; // not a multiple of 16
    auto rows = clustered_rows(n, dim, 20, 0.5f, 7, 8);
    auto queries = clustered_rows(5, dim, 20, 0.5f, 7, 9);
    auto best = scores_with(int4_rows::simd::best, rows, queries, dim);
    REQUIRE(best.size() == n * 5);
    double sum_err = 0, max_err = 0;
    for (size_t q = 0; q < 5; ++q)
      for (size_t r = 0; r < n; ++r) {
        double exact = 0;
        for (size_t i = 0; i < dim; ++i)
          exact += double{rows[r * dim + i]} * queries[q * dim + i];
        auto err = std::fabs(best[q * n + r] - exact);
        sum_err += err;
        max_err = std::max(max_err, err);
      }
    // Unit vectors with a few dominant coordinates: 4-bit rows and 8-bit
    // queries err by under 0.01 on average (0.13 at worst without the
    // rotation, under 0.06 with it).
    CHECK(sum_err / double(n * 5) < 0.012);
    CHECK(max_err < 0.08);
    // Every kernel: the same integers, the same floats.
    CHECK(scores_with(int4_rows::simd::avx2, rows, queries, dim) == best);
    CHECK(scores_with(int4_rows::simd::portable, rows, queries, dim) == best);
  }
}

TEST_CASE("int4_rows: zero vectors score 0, and so does a zero query") {
  size_t dim = 384;
  auto rows = clustered_rows(40, dim, 3, 0.5f, 1, 2);
  std::fill(rows.begin() + 17 * dim, rows.begin() + 18 * dim, 0.0f);
  int4_rows codes{dim};
  for (size_t r = 0; r < 40; ++r)
    codes.push_back(std::span{rows}.subspan(r * dim, dim));
  CHECK(codes.size() == 40);
  std::vector<float> out(40, -1);
  codes.scores(std::span{rows}.subspan(0, dim), out.data());
  CHECK(out[17] == 0);
  CHECK(out[0] == doctest::Approx(1).epsilon(0.05));
  std::vector<float> zero(dim, 0);
  codes.scores(zero, out.data());
  for (auto x : out)
    CHECK(x == 0);
}
