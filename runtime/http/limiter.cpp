#include "runtime/http/limiter.hpp"

#include <algorithm>

namespace sophia::runtime::http {

void limiter::configure(int max_concurrency, double rate_per_second, int burst,
                        clock::time_point now) {
  max_ = max_concurrency;
  bool was_limited = rate_ > 0;
  rate_ = rate_per_second > 0 ? rate_per_second : 0;
  burst_ = std::max(1, burst);
  // A new limit starts with a full bucket; a reload keeps what is left.
  if (!was_limited)
    tokens_ = burst_;
  else
    tokens_ = std::min(tokens_, burst_);
  last_ = now;
}

void limiter::refill(clock::time_point now) {
  if (now <= last_) return;
  auto secs = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + secs * rate_);
  last_ = now;
}

limiter::clock::duration limiter::take_token(clock::time_point now) {
  if (rate_ <= 0) return clock::duration::zero();
  refill(now);
  if (tokens_ >= 1) {
    tokens_ -= 1;
    return clock::duration::zero();
  }
  auto secs = (1 - tokens_) / rate_;
  auto wait = std::chrono::duration_cast<clock::duration>(
    std::chrono::duration<double>(secs));
  // Never zero: zero means "taken".
  return std::max(wait, clock::duration{ std::chrono::microseconds{ 100 } });
}

} // namespace sophia::runtime::http
