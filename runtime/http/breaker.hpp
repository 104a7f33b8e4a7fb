#pragma once

#include <chrono>
#include <string>

/// The circuit breaker of one service.
namespace sophia::runtime::http {

/// Counts consecutive failures; opens after `threshold` of them, lets one
/// probe through after `cooldown`, and closes or reopens on its outcome.
class breaker {
public:
  using clock = std::chrono::steady_clock;

  enum class state { closed, open, half_open };

  enum class verdict {
    /// Go ahead.
    pass,
    /// Go ahead as the half-open probe; report its outcome.
    probe,
    /// Refuse: open, or half-open with the probe still out.
    refuse,
  };

  /// `threshold` 0 disables the breaker.
  void configure(int threshold, std::chrono::milliseconds cooldown);

  /// Whether an attempt may start now.
  verdict admit(clock::time_point now);

  /// The outcome of an attempt: `failed` for transport errors and 5xx.
  void record(bool failed, bool was_probe, clock::time_point now);

  /// A probe that never reported (cancelled): let the next one through.
  void probe_abandoned();

  state current() const noexcept { return state_; }

  /// Why a request was refused, e.g. "circuit breaker open after 5
  /// consecutive failures; next probe in 12 s".
  std::string refusal(clock::time_point now) const;

  static const char* to_string(state s);

private:
  int threshold_ = 5;
  std::chrono::milliseconds cooldown_{ 30000 };
  state state_ = state::closed;
  int failures_ = 0;
  /// Consecutive failures that opened the breaker, for the message.
  int opened_after_ = 0;
  bool probe_out_ = false;
  clock::time_point opened_at_{};
};

} // namespace sophia::runtime::http
