#pragma once

#include <cstddef>
#include <span>
#include <utility>

namespace sophia::runtime::vectors {

/// Reorders `v` so that its first `k` elements are the `k` with the
/// highest `key` (in no order; ties broken arbitrarily). What
/// std::nth_element does, with a partition that has no data-dependent
/// branch: on scores in random order std::nth_element mispredicts about
/// every other comparison, and this takes a third of its time on the
/// router's selections (800 of a few thousand, 48 of 800).
template <class T, class Key>
void select_highest(std::span<T> v, size_t k, Key key) {
  T* first = v.data();
  size_t n = v.size();
  while (k > 0 && n > k) {
    if (n <= 16) { // Selection sort of the few left.
      for (size_t i = 0; i < k; ++i) {
        size_t best = i;
        for (size_t j = i + 1; j < n; ++j)
          if (key(first[j]) > key(first[best]))
            best = j;
        std::swap(first[i], first[best]);
      }
      return;
    }
    // The median of three as the pivot.
    auto a = key(first[0]), b = key(first[n / 2]), c = key(first[n - 1]);
    auto pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
    // Lomuto without branches: [0, lo) > pivot, [lo, i) <= pivot.
    size_t lo = 0;
    for (size_t i = 0; i < n; ++i) {
      T x = std::move(first[i]);
      bool above = key(x) > pivot;
      first[i] = std::move(first[lo]);
      first[lo] = std::move(x);
      lo += above ? 1 : 0;
    }
    if (lo == 0) {
      // The pivot is the maximum: the elements equal to it lead instead
      // (at least one), so that every round makes progress.
      for (size_t i = 0; i < n; ++i) {
        T x = std::move(first[i]);
        bool top = !(key(x) < pivot);
        first[i] = std::move(first[lo]);
        first[lo] = std::move(x);
        lo += top ? 1 : 0;
      }
      if (lo == n) // All equal (or unordered, NaN): any k will do.
        return;
    }
    if (lo >= k) {
      n = lo; // The k are among the leaders.
    } else {
      first += lo; // The leaders are in; the rest come from what follows.
      n -= lo;
      k -= lo;
    }
  }
}

} // namespace sophia::runtime::vectors
