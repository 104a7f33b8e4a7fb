#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace sophia::test {

/// Embeddings of the optimizer's tests: 8 dimensions.
inline constexpr size_t prompt_dim = 8;

/// A unit vector near axis `axis` (a cluster of similar prompts), jittered
/// by `seed`.
inline std::vector<float> near_axis(size_t axis, uint32_t seed) {
  std::mt19937 gen{seed};
  std::normal_distribution<float> d{0.0f, 0.05f};
  std::vector<float> v(prompt_dim);
  for (auto& x : v)
    x = d(gen);
  v[axis] += 1.0f;
  double n = 0;
  for (auto x : v)
    n += double{x} * x;
  for (auto& x : v)
    x = static_cast<float>(x / std::sqrt(n));
  return v;
}

} // namespace sophia::test
