#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sophia::runtime::vectors {

/// Keeps the `k` highest scores of a stream of (score, position): a min-heap
/// of size k whose top is the score to beat, so that the common case (a
/// score below it) costs one comparison. Ties keep the earlier position.
class top_k {
public:
  /// Keeps at most `k` entries.
  explicit top_k(size_t k)
    : k_(k) {
    heap_.reserve(k);
  }

  /// The score a new entry must exceed to enter; -inf while not full.
  float threshold() const noexcept { return threshold_; }

  /// Offers `score` at `pos`; call only when `score > threshold()`.
  void push(float score, uint64_t pos) {
    if (k_ == 0) return;
    if (heap_.size() < k_) {
      heap_.emplace_back(score, pos);
      std::push_heap(heap_.begin(), heap_.end(), worse_first);
      if (heap_.size() == k_) threshold_ = heap_.front().first;
      return;
    }
    std::pop_heap(heap_.begin(), heap_.end(), worse_first);
    heap_.back() = { score, pos };
    std::push_heap(heap_.begin(), heap_.end(), worse_first);
    threshold_ = heap_.front().first;
  }

  /// Offers `n` consecutive scores, the first at position `first_pos`.
  void push_range(const float* scores, size_t n, uint64_t first_pos) {
    size_t i = 0;
#if defined(__SSE2__)
    // 16 at a time with SSE (the x86-64 baseline): once the heap is full, a
    // block rarely holds a score above the threshold, and compilers do not
    // vectorise the branchy loop below; scalar, this scan cost ~7% of the
    // sgemm time of a batch search, ~2% so.
    for (; i + 16 <= n; i += 16) {
      auto t = _mm_set1_ps(threshold_);
      auto above =
        _mm_or_ps(_mm_or_ps(_mm_cmpgt_ps(_mm_loadu_ps(scores + i), t),
                            _mm_cmpgt_ps(_mm_loadu_ps(scores + i + 4), t)),
                  _mm_or_ps(_mm_cmpgt_ps(_mm_loadu_ps(scores + i + 8), t),
                            _mm_cmpgt_ps(_mm_loadu_ps(scores + i + 12), t)));
      if (_mm_movemask_ps(above) == 0) continue;
      for (size_t j = i; j < i + 16; ++j)
        if (scores[j] > threshold_) push(scores[j], first_pos + j);
    }
#endif
    for (; i < n; ++i)
      if (scores[i] > threshold_) push(scores[i], first_pos + i);
  }

  /// The entries, best first (equal scores: lower position first); leaves
  /// this empty.
  std::vector<std::pair<float, uint64_t>> take_sorted() {
    std::sort(heap_.begin(), heap_.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    threshold_ = -std::numeric_limits<float>::infinity();
    return std::move(heap_);
  }

private:
  /// Heap order putting the entry to evict first on top: the lowest score,
  /// among equal ones the latest position.
  static bool worse_first(const std::pair<float, uint64_t>& a,
                          const std::pair<float, uint64_t>& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  }

  size_t k_;
  float threshold_ = -std::numeric_limits<float>::infinity();
  std::vector<std::pair<float, uint64_t>> heap_;
};

} // namespace sophia::runtime::vectors
