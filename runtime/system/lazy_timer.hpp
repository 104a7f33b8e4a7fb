#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

/// A timer that costs a system call only when it must fire earlier.
namespace sophia::runtime::system {

class poller;
class poll_sink;

/// A timerfd in a poller, for an owner whose deadline moves all the time
/// (libcurl's, which changes with every transfer started or ended). The
/// kernel's timer is reprogrammed only when the deadline comes earlier
/// than the one it holds; when it fires early, `fired` reprograms it for
/// the deadline wanted now. So a stream of later deadlines costs nothing.
/// Not thread-safe: its owner alone calls it.
class lazy_timer {
public:
  using clock = std::chrono::steady_clock;

  /// Registers the timer with `io`, reporting to `sink`.
  lazy_timer(std::shared_ptr<poller> io, std::shared_ptr<poll_sink> sink);
  lazy_timer(const lazy_timer&) = delete;
  lazy_timer& operator=(const lazy_timer&) = delete;
  ~lazy_timer();

  /// The descriptor the poller reports; -1 when the kernel had none.
  int fd() const {
    return fd_;
  }

  /// Why there is no descriptor (`strerror` of timerfd_create's errno).
  const std::string& failure() const {
    return failure_;
  }

  /// Wants the owner told at `at`, instead of any earlier wish.
  void expire_at(clock::time_point at);

  /// Wants nothing: a timer already set may still fire, harmlessly.
  void cancel();

  /// Handles the poller's report: true when the deadline wanted has come
  /// (the wish is then used up), false when this was an early firing.
  bool fired();

private:
  void program(clock::time_point at);

  std::shared_ptr<poller> io_;
  int fd_ = -1;
  std::string failure_;
  std::optional<clock::time_point> wanted_;
  /// What the kernel's timer holds.
  std::optional<clock::time_point> armed_;
};

} // namespace sophia::runtime::system
