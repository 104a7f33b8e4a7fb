#pragma once

// Where the tests find the shared reference data (real, public, not ours:
// never copied into the repository).

#include <cstdlib>
#include <filesystem>
#include <string>

namespace sophia::testing {

/// The folder `../shared/reference/NAME` next to the repository, or
/// `$SOPHIA_REFERENCE_DIR/NAME`; empty when it is absent (the tests that
/// need it then skip, saying so).
inline std::string reference_dir(const std::string& name) {
  std::string base;
  if (auto* env = std::getenv("SOPHIA_REFERENCE_DIR"); env && *env)
    base = env;
  else
    base = SOPHIA_SOURCE_DIR "/../shared/reference";
  auto dir = base + "/" + name;
  return std::filesystem::is_directory(dir) ? dir : std::string{};
}

} // namespace sophia::testing
