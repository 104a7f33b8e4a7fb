#include "synthetic_data.hpp"

#include <cmath>
#include <numbers>
#include <random>

#include <fmt/format.h>

namespace sophia::bench::vectors {

namespace {

/// Standard normal draws by Box-Muller: std::normal_distribution's
/// algorithm is implementation-defined, so the data would differ between
/// standard libraries.
class normal_source {
public:
  explicit normal_source(uint64_t seed)
    : rng_(seed) {}

  double next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    // (0, 1]: log never sees 0.
    auto u1 = (static_cast<double>(rng_() >> 11) + 1.0) * 0x1.0p-53;
    auto u2 = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
    auto r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * std::numbers::pi * u2);
    has_spare_ = true;
    return r * std::cos(2 * std::numbers::pi * u2);
  }

  uint64_t bits() { return rng_(); }

private:
  std::mt19937_64 rng_;
  double spare_ = 0;
  bool has_spare_ = false;
};

/// A unit vector with the power-law spectrum, into `out`.
void draw_direction(normal_source& src,
                    const std::vector<double>& scale,
                    double* out) {
  double sq = 0;
  for (size_t i = 0; i < scale.size(); ++i) {
    out[i] = src.next() * scale[i];
    sq += out[i] * out[i];
  }
  auto inv = 1.0 / std::sqrt(sq);
  for (size_t i = 0; i < scale.size(); ++i)
    out[i] *= inv;
}

/// `count` unit rows of the mixture around `centres`, into `out`.
void draw_points(normal_source& src,
                 const std::vector<double>& scale,
                 const std::vector<double>& centres,
                 size_t clusters,
                 float spread,
                 size_t count,
                 std::vector<float>& out) {
  auto dim = scale.size();
  out.resize(count * dim);
  std::vector<double> offset(dim), point(dim);
  for (size_t r = 0; r < count; ++r) {
    auto c = src.bits() % clusters;
    draw_direction(src, scale, offset.data());
    double sq = 0;
    for (size_t i = 0; i < dim; ++i) {
      point[i] = centres[c * dim + i] + spread * offset[i];
      sq += point[i] * point[i];
    }
    auto inv = 1.0 / std::sqrt(sq);
    for (size_t i = 0; i < dim; ++i)
      out[r * dim + i] = static_cast<float>(point[i] * inv);
  }
}

} // namespace

dataset make_dataset(const data_params& p) {
  dataset out;
  out.params = p;
  std::vector<double> scale(p.dim);
  for (size_t i = 0; i < p.dim; ++i)
    scale[i] = 1.0 / std::sqrt(1.0 + static_cast<double>(i));
  normal_source src{ p.seed };
  std::vector<double> centres(p.clusters * p.dim);
  for (size_t c = 0; c < p.clusters; ++c)
    draw_direction(src, scale, &centres[c * p.dim]);
  draw_points(src, scale, centres, p.clusters, p.spread, p.n, out.base);
  draw_points(
    src, scale, centres, p.clusters, p.spread, p.queries, out.queries);
  out.ids.resize(p.n);
  for (size_t i = 0; i < p.n; ++i)
    out.ids[i] = i;
  return out;
}

std::string describe(const data_params& p) {
  return fmt::format(
    "{} x {} float32 base vectors + {} queries: a mixture of {} Gaussian "
    "clusters (coordinate i with variance 1/(1+i), offsets of norm {:.2f} "
    "from unit centres), rows L2-normalised, seed {}",
    p.n,
    p.dim,
    p.queries,
    p.clusters,
    p.spread,
    p.seed);
}

} // namespace sophia::bench::vectors
