#pragma once

// The benchmark's data: reproducible vectors that look like text embeddings
// (clustered, anisotropic, unit norm), so that approximate indexes face
// realistic neighbourhoods rather than uniform noise.

#include <cstdint>
#include <string>
#include <vector>

namespace sophia::bench::vectors {

/// How the synthetic set is drawn.
struct data_params {
  size_t n = 100000;
  size_t dim = 384;
  size_t queries = 1000;
  size_t clusters = 1000;
  /// The norm of a point's offset from its (unit) cluster centre. At 1.0
  /// and the sizes above, a query's nearest neighbour has a cosine of about
  /// 0.7, its 10th about 0.6, as with sentence embeddings; HNSW recall then
  /// depends on efSearch (about 0.95 at 16, 1.0 at 64).
  float spread = 1.0f;
  uint64_t seed = 42;
};

/// The base vectors and the queries, both row-major.
struct dataset {
  data_params params;
  std::vector<float> base;
  std::vector<float> queries;
  /// Ids 0..n-1 of the base rows.
  std::vector<uint64_t> ids;
};

/// Draws the set: `clusters` centres, each a Gaussian vector whose
/// coordinate i has variance 1/(1+i) (a power-law spectrum, as text
/// embeddings have: a few tens of effective dimensions, not `dim`),
/// normalised; each point a centre plus an offset of norm `spread` drawn
/// the same way, normalised. Queries are fresh draws from the same mixture.
/// The same seed gives the same set on every run (std::mt19937_64 and our
/// own Box-Muller, not the library's unspecified normal distribution).
dataset make_dataset(const data_params& p);

/// One line saying what the data is, for the table and the JSON.
std::string describe(const data_params& p);

} // namespace sophia::bench::vectors
