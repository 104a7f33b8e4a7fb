#include "runtime/http/breaker.hpp"

#include <cstdio>

namespace sophia::runtime::http {

void breaker::configure(int threshold, std::chrono::milliseconds cooldown) {
  threshold_ = threshold;
  cooldown_ = cooldown;
  if (threshold_ <= 0) {
    state_ = state::closed;
    failures_ = 0;
    probe_out_ = false;
  }
}

breaker::verdict breaker::admit(clock::time_point now) {
  if (threshold_ <= 0) return verdict::pass;
  switch (state_) {
    case state::closed: return verdict::pass;
    case state::open:
      if (now - opened_at_ < cooldown_) return verdict::refuse;
      state_ = state::half_open;
      probe_out_ = true;
      return verdict::probe;
    case state::half_open:
      if (probe_out_) return verdict::refuse;
      probe_out_ = true;
      return verdict::probe;
  }
  return verdict::pass;
}

void breaker::record(bool failed, bool was_probe, clock::time_point now) {
  if (threshold_ <= 0) return;
  if (was_probe) probe_out_ = false;
  if (!failed) {
    // Any success closes it: the service answered.
    failures_ = 0;
    state_ = state::closed;
    return;
  }
  ++failures_;
  if (state_ == state::half_open && was_probe) {
    state_ = state::open;
    opened_at_ = now;
  } else if (state_ == state::closed && failures_ >= threshold_) {
    state_ = state::open;
    opened_after_ = failures_;
    opened_at_ = now;
  }
}

void breaker::probe_abandoned() {
  probe_out_ = false;
}

std::string breaker::refusal(clock::time_point now) const {
  if (state_ == state::half_open)
    return "circuit breaker half-open after " + std::to_string(opened_after_)
           + " consecutive failures; a probe is in flight";
  auto left = std::chrono::duration<double>(opened_at_ + cooldown_ - now)
                .count();
  if (left < 0) left = 0;
  char buf[32];
  if (left >= 10)
    std::snprintf(buf, sizeof buf, "%.0f", left);
  else
    std::snprintf(buf, sizeof buf, "%.1f", left);
  return "circuit breaker open after " + std::to_string(opened_after_)
         + " consecutive failures; next probe in " + buf + " s";
}

const char* breaker::to_string(state s) {
  switch (s) {
    case state::closed: return "closed";
    case state::open: return "open";
    case state::half_open: return "half_open";
  }
  return "closed";
}

} // namespace sophia::runtime::http
