#include "runtime/vectors/int4_rows.hpp"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SOPHIA_VECTORS_X86 1
#include <immintrin.h>
#endif

namespace sophia::runtime::vectors {

namespace {

/// Codes per 64-byte block (two per byte).
constexpr size_t block = 128;

using scan_fn = int4_rows::scan_fn;
using query = int4_rows::query;

void scan_portable(const uint8_t* rows, size_t n, size_t padded,
                   const query& q, float* out) noexcept {
  auto bytes = padded / 2;
  for (size_t r = 0; r < n; ++r) {
    const uint8_t* row = rows + r * bytes;
    int32_t s = 0;
    for (size_t b = 0; b < padded; b += block, row += block / 2)
      for (size_t j = 0; j < block / 2; ++j)
        s += (row[j] & 15) * q.codes[b + j] + (row[j] >> 4) * q.codes[b + block / 2 + j];
    out[r] = q.value(s, r);
  }
}

#ifdef SOPHIA_VECTORS_X86

// GCC 12 warns that the AVX-512 intrinsics' own undefined-source
// temporaries may be used uninitialised: a false positive of its headers
// (GCC bug 105593), silenced for the kernels only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

__attribute__((target("avx2"))) inline __m256i load256(const void* p) noexcept {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

/// VPMADDUBSW multiplies the unsigned codes by the signed query bytes and
/// sums pairs into int16 (at most 2 · 15 · 127, so four of them add up
/// without overflow); VPMADDWD against ones widens to int32.
__attribute__((target("avx2"))) void scan_avx2(const uint8_t* rows, size_t n,
                                               size_t padded, const query& qr,
                                               float* out) noexcept {
  const int8_t* q = qr.codes;
  auto bytes = padded / 2;
  auto low = _mm256_set1_epi8(15);
  auto ones = _mm256_set1_epi16(1);
  for (size_t r = 0; r < n; ++r) {
    const uint8_t* row = rows + r * bytes;
    auto acc = _mm256_setzero_si256();
    for (size_t b = 0; b < padded; b += block, row += block / 2) {
      auto v0 = load256(row), v1 = load256(row + 32);
      auto s = _mm256_add_epi16(
        _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(v0, low), load256(q + b)),
                         _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v0, 4), low),
                                              load256(q + b + 64))),
        _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(v1, low), load256(q + b + 32)),
                         _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v1, 4), low),
                                              load256(q + b + 96))));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(s, ones));
    }
    auto h = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
    out[r] = qr.value(_mm_cvtsi128_si32(h), r);
  }
}

/// Rows' sums of 16 int32 lanes each, for 4 rows: one vector whose
/// 128-bit lane L holds the 4 rows' partial sums of L (row order).
__attribute__((target("avx512f"))) inline __m512i
fold4(__m512i a, __m512i b, __m512i c, __m512i d) noexcept {
  auto ab = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
  auto cd = _mm512_add_epi32(_mm512_unpacklo_epi32(c, d), _mm512_unpackhi_epi32(c, d));
  return _mm512_add_epi32(_mm512_unpacklo_epi64(ab, cd), _mm512_unpackhi_epi64(ab, cd));
}

/// 16 rows' sums from their 4-row folds: the 128-bit lanes transposed and
/// added, so that lane i of the result is row i's total.
__attribute__((target("avx512f"))) inline __m512i
fold16(__m512i w, __m512i x, __m512i y, __m512i z) noexcept {
  auto wx = _mm512_add_epi32(_mm512_shuffle_i32x4(w, x, 0x44), _mm512_shuffle_i32x4(w, x, 0xee));
  auto yz = _mm512_add_epi32(_mm512_shuffle_i32x4(y, z, 0x44), _mm512_shuffle_i32x4(y, z, 0xee));
  return _mm512_add_epi32(_mm512_shuffle_i32x4(wx, yz, 0x88), _mm512_shuffle_i32x4(wx, yz, 0xdd));
}

/// One VPDPBUSD per 64 codes (unsigned codes times signed query bytes,
/// each four summed into an int32 lane), for rows of `B` blocks with the
/// query held in registers (reloading it per row made the scan bound by
/// loads). Rows go 16 at a time and their lanes are summed together (a
/// transposition): summing each row's 16 lanes on its own cost more than
/// its arithmetic.
template <size_t B>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void
scan_vnni(const uint8_t* rows, size_t n, size_t, const query& qr,
          float* out) noexcept {
  const int8_t* q = qr.codes;
  auto bias = _mm512_set1_epi32(qr.bias);
  auto scale = _mm512_set1_ps(qr.scale);
  constexpr size_t bytes = B * block / 2;
  auto low = _mm512_set1_epi8(15);
  __m512i ql[B], qh[B];
#pragma GCC unroll 4
  for (size_t b = 0; b < B; ++b) {
    ql[b] = _mm512_loadu_si512(q + b * block);
    qh[b] = _mm512_loadu_si512(q + b * block + 64);
  }
  auto row_sum = [&](const uint8_t* row) __attribute__((always_inline,
                                                        target("avx512f,avx512bw,avx512vnni"))) {
    auto s = _mm512_setzero_si512();
#pragma GCC unroll 4
    for (size_t b = 0; b < B; ++b) {
      auto v = _mm512_loadu_si512(row + b * 64);
      s = _mm512_dpbusd_epi32(s, _mm512_and_si512(v, low), ql[b]);
      s = _mm512_dpbusd_epi32(s, _mm512_and_si512(_mm512_srli_epi16(v, 4), low), qh[b]);
    }
    return s;
  };
  size_t r = 0;
  for (; r + 16 <= n; r += 16) {
    const uint8_t* at = rows + r * bytes;
    __m512i f[4];
#pragma GCC unroll 4
    for (size_t k = 0; k < 4; ++k, at += 4 * bytes)
      f[k] = fold4(row_sum(at), row_sum(at + bytes), row_sum(at + 2 * bytes),
                   row_sum(at + 3 * bytes));
    auto ints = _mm512_sub_epi32(fold16(f[0], f[1], f[2], f[3]), bias);
    _mm512_storeu_ps(out + r, _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(ints), scale),
                                            _mm512_loadu_ps(qr.row_scales + r)));
  }
  for (; r < n; ++r)
    out[r] = qr.value(_mm512_reduce_add_epi32(row_sum(rows + r * bytes)), r);
}

#pragma GCC diagnostic pop

#endif // SOPHIA_VECTORS_X86

/// The kernel for rows of `padded` dimensions on this CPU, within `use`.
scan_fn pick_scan(size_t padded, int4_rows::simd use) noexcept {
  if (use == int4_rows::simd::portable)
    return scan_portable;
#ifdef SOPHIA_VECTORS_X86
  static const bool vnni = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
           && __builtin_cpu_supports("avx512vnni");
  }();
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (vnni && use == int4_rows::simd::best) {
    // Rows of up to 512 dimensions (the embedders' sizes) keep the query
    // in registers; wider ones take the AVX2 loop.
    switch (padded / block) {
      case 1: return scan_vnni<1>;
      case 2: return scan_vnni<2>;
      case 3: return scan_vnni<3>;
      case 4: return scan_vnni<4>;
      default: break;
    }
  }
  if (avx2)
    return scan_avx2;
#else
  (void) padded;
#endif
  return scan_portable;
}

/// The scale that maps `v`'s largest magnitude to `top` (0 for a zero
/// vector).
float scale_of(std::span<const float> v, float top) {
  float m = 0;
  for (float x : v)
    m = std::max(m, std::fabs(x));
  return m / top;
}

/// `x / scale` rounded to the nearest integer in [-top, top].
int code(float x, float scale, int top) {
  return std::clamp(static_cast<int>(std::nearbyint(x / scale)), -top, top);
}

/// The sign that dimension i is multiplied by before the transform: fixed
/// (a hash of i), so that rows and queries agree.
float sign_of(size_t i) {
  auto h = static_cast<uint32_t>(i) * 0x9e3779b1u;
  return (h >> 15) & 1 ? -1.0f : 1.0f;
}

} // namespace

void int4_rows::rotate(std::span<const float> v, std::vector<float>& out) const {
  out.assign(padded_, 0);
  for (size_t i = 0; i < dim_ && i < v.size(); ++i)
    out[i] = v[i] * sign_of(i);
  // A Walsh-Hadamard transform per block of 128, scaled to be orthogonal.
  for (size_t b = 0; b < padded_; b += block) {
    float* x = out.data() + b;
    for (size_t h = 1; h < block; h *= 2)
      for (size_t i = 0; i < block; i += 2 * h)
        for (size_t j = i; j < i + h; ++j) {
          auto a = x[j], c = x[j + h];
          x[j] = a + c;
          x[j + h] = a - c;
        }
    for (size_t i = 0; i < block; ++i)
      x[i] *= 0.08838834764831845f; // 1 / sqrt(128)
  }
}

int4_rows::int4_rows(size_t dimension, simd use)
  : dim_(dimension),
    padded_((dimension + block - 1) / block * block),
    scan_(pick_scan(padded_, use)) {}

void int4_rows::push_back(std::span<const float> v) {
  thread_local std::vector<float> r;
  rotate(v, r);
  auto scale = scale_of(r, 7);
  auto at = nibbles_.size();
  // Code 0 (nibble 8) everywhere first: a zero vector scores nothing.
  nibbles_.resize(at + padded_ / 2, 0x88);
  if (scale > 0)
    for (size_t i = 0; i < padded_; ++i) {
      auto c = static_cast<uint8_t>(code(r[i], scale, 7) + 8);
      auto& byte = nibbles_[at + i / block * (block / 2) + i % (block / 2)];
      byte = i % block < block / 2 ? static_cast<uint8_t>((byte & 0xf0) | c)
                                   : static_cast<uint8_t>((byte & 0x0f) | (c << 4));
    }
  scales_.push_back(scale);
}

void int4_rows::scores(std::span<const float> q, float* out) const {
  // Scratch kept per thread: a scan allocates nothing once warm.
  thread_local std::vector<float> r;
  thread_local std::vector<int8_t> codes;
  rotate(q, r);
  auto scale = scale_of(r, 127);
  codes.assign(padded_, 0);
  int32_t sum = 0;
  if (scale > 0)
    for (size_t i = 0; i < padded_; ++i) {
      codes[i] = static_cast<int8_t>(code(r[i], scale, 127));
      sum += codes[i];
    }
  // The rows' codes went in as code + 8.
  scan_(nibbles_.data(), size(), padded_,
        {codes.data(), 8 * sum, scale, scales_.data()}, out);
}

} // namespace sophia::runtime::vectors
