#include "runtime/vectors/dot.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SOPHIA_VECTORS_X86 1
#include <immintrin.h>
#endif

namespace sophia::runtime::vectors {

namespace {

/// Portable: 8 independent lanes, which compilers vectorise without
/// reassociating a single float sum (not allowed without -ffast-math).
float dot_portable(const float* a, const float* b, size_t n) noexcept {
  float acc[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (size_t j = 0; j < 8; ++j)
      acc[j] += a[i + j] * b[i + j];
  float s = 0;
  for (; i < n; ++i)
    s += a[i] * b[i];
  for (float x : acc)
    s += x;
  return s;
}

#ifdef SOPHIA_VECTORS_X86

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a,
                                                   const float* b,
                                                   size_t n) noexcept {
  // Four accumulators hide the FMA latency.
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(
      _mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(
      _mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(
      _mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= n; i += 8)
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float r = _mm_cvtss_f32(h);
  for (; i < n; ++i)
    r += a[i] * b[i];
  return r;
}

__attribute__((target("avx512f"))) float dot_avx512(const float* a,
                                                    const float* b,
                                                    size_t n) noexcept {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(
      _mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    s2 = _mm512_fmadd_ps(
      _mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
    s3 = _mm512_fmadd_ps(
      _mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
  }
  for (; i + 16 <= n; i += 16)
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
  if (i < n) {
    // The tail under a mask: no scalar loop, no read past the end.
    auto mask = static_cast<__mmask16>((1u << (n - i)) - 1);
    s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i),
                         _mm512_maskz_loadu_ps(mask, b + i),
                         s1);
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3));
  // Summed through memory: GCC 12's shuffles and _mm512_reduce_add_ps trip
  // -Wuninitialized inside its own header.
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  float r = 0;
  for (float x : lanes)
    r += x;
  return r;
}

#endif // SOPHIA_VECTORS_X86

using dot_fn = float (*)(const float*, const float*, size_t) noexcept;

dot_fn pick_dot() noexcept {
#ifdef SOPHIA_VECTORS_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return dot_avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return dot_avx2;
#endif
  return dot_portable;
}

// One distance function per kernel, so that hnswlib's pointer leads to a
// direct call of the kernel rather than to a second indirect one.
template <dot_fn Kernel>
float ip_distance_with(const void* a, const void* b, const void* dim) {
  return 1.0f - Kernel(static_cast<const float*>(a),
                       static_cast<const float*>(b),
                       *static_cast<const size_t*>(dim));
}

/// Chosen once; a function-local static is initialised thread-safely.
dot_fn kernel() noexcept {
  static const dot_fn chosen = pick_dot();
  return chosen;
}

} // namespace

float dot(const float* a, const float* b, size_t n) noexcept {
  return kernel()(a, b, n);
}

ip_distance_fn ip_distance() noexcept {
#ifdef SOPHIA_VECTORS_X86
  auto k = kernel();
  if (k == dot_avx512) return ip_distance_with<dot_avx512>;
  if (k == dot_avx2) return ip_distance_with<dot_avx2>;
#endif
  return ip_distance_with<dot_portable>;
}

} // namespace sophia::runtime::vectors
