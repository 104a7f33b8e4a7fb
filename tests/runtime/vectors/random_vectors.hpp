#pragma once

// Reproducible test data for the index tests: plain Gaussian vectors, and
// normalised clustered ones that resemble embeddings.

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace sophia::runtime::vectors::testing {

/// `n` rows of `dim` standard normal floats.
inline std::vector<float> gaussian_rows(size_t n, size_t dim, uint64_t seed) {
  std::mt19937_64 rng{ seed };
  std::normal_distribution<float> normal;
  std::vector<float> out(n * dim);
  for (auto& x : out)
    x = normal(rng);
  return out;
}

/// Scales each row of `rows` to unit norm.
inline void normalise_rows(std::vector<float>& rows, size_t dim) {
  for (size_t r = 0; r < rows.size(); r += dim) {
    double sq = 0;
    for (size_t i = 0; i < dim; ++i)
      sq += double{ rows[r + i] } * rows[r + i];
    auto inv = static_cast<float>(1.0 / std::sqrt(sq));
    for (size_t i = 0; i < dim; ++i)
      rows[r + i] *= inv;
  }
}

/// `n` unit rows around `clusters` random centres (drawn from
/// `centre_seed`: the same seed, the same clusters), each the centre plus
/// Gaussian noise of `spread` per coordinate relative to the centre's, then
/// coordinate i scaled by 1/sqrt(1+i): a power-law spectrum, as text
/// embeddings have (a few tens of effective dimensions), then normalised.
inline std::vector<float> clustered_rows(size_t n,
                                         size_t dim,
                                         size_t clusters,
                                         float spread,
                                         uint64_t centre_seed,
                                         uint64_t point_seed) {
  auto centres = gaussian_rows(clusters, dim, centre_seed);
  std::mt19937_64 rng{ point_seed };
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<size_t> pick{ 0, clusters - 1 };
  std::vector<float> out(n * dim);
  for (size_t r = 0; r < n; ++r) {
    auto c = pick(rng);
    for (size_t i = 0; i < dim; ++i)
      out[r * dim + i] = (centres[c * dim + i] + spread * normal(rng)) /
                         std::sqrt(1.0f + static_cast<float>(i));
  }
  normalise_rows(out, dim);
  return out;
}

} // namespace sophia::runtime::vectors::testing
