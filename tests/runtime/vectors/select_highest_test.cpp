// select_highest: the k highest first, as std::nth_element would leave
// them, for every size and k, with ties, and without hanging on NaN.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <span>
#include <vector>

#include "runtime/vectors/select_highest.hpp"

using namespace sophia::runtime::vectors;

namespace {

auto identity = [](float x) { return x; };

/// The `k` highest of `v`, sorted.
std::vector<float> highest(std::vector<float> v, size_t k) {
  std::sort(v.begin(), v.end(), std::greater<>{});
  v.resize(std::min(k, v.size()));
  return v;
}

} // namespace

TEST_CASE("select_highest: the k highest lead, for every size and k") {
  std::mt19937 rng{5};
  for (size_t n : {0, 1, 2, 5, 16, 17, 100, 1000, 5000}) {
    // Distinct values, then many ties (five values only).
    for (int distinct : {1, 0}) {
      std::uniform_real_distribution<float> any{-1, 1};
      std::uniform_int_distribution<int> few{0, 4};
      std::vector<float> v(n);
      for (auto& x : v)
        x = distinct ? any(rng) : static_cast<float>(few(rng));
      for (size_t k : {size_t{0}, size_t{1}, n / 2, n > 0 ? n - 1 : 0, n, n + 3}) {
        CAPTURE(n);
        CAPTURE(distinct);
        CAPTURE(k);
        auto w = v;
        select_highest(std::span{w}, k, identity);
        auto lead = std::vector<float>(w.begin(), w.begin() + static_cast<ptrdiff_t>(std::min(k, n)));
        std::sort(lead.begin(), lead.end(), std::greater<>{});
        CHECK(lead == highest(v, k));
        // A permutation: nothing lost, nothing duplicated.
        auto a = v, b = w;
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        CHECK(a == b);
      }
    }
  }
}

TEST_CASE("select_highest: pairs by their score, and NaN does not hang it") {
  std::vector<std::pair<float, int>> v;
  for (int i = 0; i < 300; ++i)
    v.emplace_back(static_cast<float>((i * 37) % 300), i);
  select_highest(std::span{v}, 10, [](auto& p) { return p.first; });
  for (size_t i = 0; i < 10; ++i)
    CHECK(v[i].first >= 290);
  auto nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> w(200, nan);
  w[3] = 1;
  select_highest(std::span{w}, 50, identity);
  CHECK(w.size() == 200);
}
