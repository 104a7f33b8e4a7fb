#pragma once

#include <chrono>

/// The concurrency limit and token bucket of one service.
namespace sophia::runtime::http {

class limiter {
public:
  using clock = std::chrono::steady_clock;

  /// `max_concurrency` 0: no limit; `rate_per_second` 0: no rate limit
  /// (a burst below 1 counts as 1).
  void configure(int max_concurrency, double rate_per_second, int burst,
                 clock::time_point now);

  /// Whether a slot is free (the concurrency limit).
  bool slot_free() const noexcept {
    return max_ <= 0 || running_ < max_;
  }

  /// Takes a token if one is there; else returns how long until one is.
  /// Returns zero on success.
  clock::duration take_token(clock::time_point now);

  void acquire_slot() noexcept { ++running_; }
  void release_slot() noexcept {
    if (running_ > 0) --running_;
  }

  int running() const noexcept { return running_; }

private:
  void refill(clock::time_point now);

  int max_ = 0;
  int running_ = 0;
  double rate_ = 0;
  double burst_ = 1;
  double tokens_ = 1;
  clock::time_point last_{};
};

} // namespace sophia::runtime::http
