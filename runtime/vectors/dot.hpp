#pragma once

#include <cstddef>

namespace sophia::runtime::vectors {

/// The inner product of `a` and `b`, `n` floats each, with the widest SIMD
/// this CPU has (AVX-512, AVX2 with FMA, or portable code), chosen once at
/// run time: the library is built for the baseline x86-64 and still uses
/// the machine's vector units.
float dot(const float* a, const float* b, size_t n) noexcept;

/// hnswlib's distance signature: `1 - <a, b>` over `*(const size_t*) dim`
/// floats.
using ip_distance_fn = float (*)(const void* a, const void* b, const void* dim);

/// The `1 - <a, b>` of `dot`'s kernel, without a second indirection per
/// call (a search computes millions of them).
ip_distance_fn ip_distance() noexcept;

} // namespace sophia::runtime::vectors
