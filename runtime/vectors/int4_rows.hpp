#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace sophia::runtime::vectors {

/// Vectors kept as 4-bit codes with one scale each, for scans that score
/// every vector and are bound by memory bandwidth: an eighth of the bytes
/// of floats (192 bytes for 384 dimensions). Rows and queries are first
/// rotated (random signs, then a Walsh-Hadamard transform per block of 128
/// dimensions: orthogonal, so inner products are kept) to spread a few
/// large coordinates over all, then coded x ≈ scale · code with code in
/// [-7, 7] and scale = max |x_i| / 7; the query keeps 8 bits. A score's
/// error is about 0.01 for unit vectors of 384 dimensions, with or
/// without dominant coordinates: enough to pick candidates, which the
/// caller scores again exactly where order matters.
class int4_rows {
public:
  /// Which kernels a scan may use: the widest this CPU has, or at most
  /// AVX2, or portable code (the narrower ones are there for CPUs without
  /// AVX-512 VNNI; tests pin them to check that all agree).
  enum class simd { best, avx2, portable };

  /// Rows of `dimension` values.
  explicit int4_rows(size_t dimension, simd use = simd::best);

  /// Appends `v` (`dimension` floats), quantised.
  void push_back(std::span<const float> v);

  /// Rows held.
  size_t size() const noexcept { return scales_.size(); }

  /// The approximate inner product of every row with `q` (`dimension`
  /// floats) into `out` (`size()` floats), with the widest SIMD this CPU
  /// has (AVX-512 VNNI, AVX2 or portable code) within `use`, chosen at
  /// construction. Every kernel gives the same floats.
  void scores(std::span<const float> q, float* out) const;

  /// A query as the kernels take it.
  struct query {
    /// 8-bit codes, `padded` of them.
    const int8_t* codes;
    /// 8 × the sum of `codes`: what the rows' code bias (+ 8) adds.
    int32_t bias;
    /// The query's scale.
    float scale;
    /// The rows' scales.
    const float* row_scales;

    /// Row r's score from its integer inner product `dot`.
    float value(int32_t dot, size_t r) const noexcept {
      return static_cast<float>(dot - bias) * scale * row_scales[r];
    }
  };

  /// A kernel: the query scored against `n` rows of `padded` dimensions
  /// (`padded / 2` bytes each) into `out`.
  using scan_fn = void (*)(const uint8_t* rows, size_t n, size_t padded,
                           const query& q, float* out) noexcept;

private:
  /// `v` rotated into `out` (`padded_` floats).
  void rotate(std::span<const float> v, std::vector<float>& out) const;

  size_t dim_;
  /// Dimensions per row rounded up to 128 (zeros after `dim_`), so that
  /// the kernels need no tail; a row takes `padded_ / 2` bytes.
  size_t padded_;
  /// Per block of 128 dimensions, 64 bytes: byte j holds dimension j's
  /// code + 8 in its low nibble and dimension 64 + j's in its high one
  /// (one mask or one shift unpacks 64 codes in order).
  std::vector<uint8_t> nibbles_;
  std::vector<float> scales_;
  /// The widest kernel this CPU runs for rows of `padded_` dimensions.
  scan_fn scan_;
};

} // namespace sophia::runtime::vectors
