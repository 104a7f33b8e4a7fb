#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sophia::runtime::config {

/// Returns the Levenshtein distance between `a` and `b`: the fewest single
/// character insertions, deletions and substitutions turning one into the
/// other.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// Returns the candidate closest to `word` for a "did you mean" hint, or
/// nothing when even the closest one is too far to be a typo: the distance
/// must be at most max(2, size of word / 3). Ties go to the earlier candidate.
std::optional<std::string> closest(
  std::string_view word,
  const std::vector<std::string_view>& candidates);

} // namespace sophia::runtime::config
