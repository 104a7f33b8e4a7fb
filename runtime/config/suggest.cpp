#include "runtime/config/suggest.hpp"

#include <algorithm>
#include <numeric>

namespace sophia::runtime::config {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // One row of the classic dynamic program suffices: row[j] holds the
  // distance between the first i characters of `a` and the first j of `b`.
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{ 0 });
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto diagonal = row[0]; // distance(a[0..i), b[0..j)) before overwriting
    row[0] = i + 1;
    for (std::size_t j = 0; j < b.size(); ++j) {
      auto above = row[j + 1];
      row[j + 1] =
        std::min({ above + 1, row[j] + 1, diagonal + (a[i] == b[j] ? 0 : 1) });
      diagonal = above;
    }
  }
  return row.back();
}

std::optional<std::string> closest(
  std::string_view word,
  const std::vector<std::string_view>& candidates) {
  // Short words get a floor of 2 so that one swapped pair of letters
  // ("hraetbeat") still finds a match; long words scale with their size.
  auto limit = std::max<std::size_t>(2, word.size() / 3);
  std::optional<std::string> best;
  auto best_distance = limit + 1;
  for (auto candidate : candidates) {
    auto d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = std::string{ candidate };
    }
  }
  return best;
}

} // namespace sophia::runtime::config
