#pragma once

#include <cstdint>
#include <string_view>

namespace sophia::runtime {

/// FNV-1a's 64-bit offset basis.
inline constexpr uint64_t fnv1a_basis = 14695981039346656037ull;

/// 64-bit FNV-1a of `bytes` from `basis`: fixed by specification, unlike
/// `std::hash`, so it names the same thing on every machine and run (ids
/// that are stored, embedding buckets).
constexpr uint64_t fnv1a(std::string_view bytes, uint64_t basis = fnv1a_basis) {
  uint64_t h = basis;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

} // namespace sophia::runtime
