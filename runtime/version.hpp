#pragma once

namespace sophia::runtime {

/// Sophia's version (from the top-level CMake project).
constexpr const char* version() {
  return SOPHIA_VERSION;
}

} // namespace sophia::runtime
