#pragma once

#include <chrono>
#include <cstddef>
#include <deque>

namespace sophia::runtime::supervision {

/// OTP's restart intensity as plain logic: remembers when restarts happened
/// and tells whether more than `intensity` of them fall within the last
/// `period`. The window slides: a restart leaves it once it is older than
/// `period`, so restarts spread out further than that never add up.
///
/// As in OTP, the bound is inclusive: a restart exactly `period` before the
/// latest one still counts. Times come from the caller (the actor clock),
/// which makes the logic testable without actors and deterministic under
/// CAF's test coordinator.
class restart_window {
public:
  using clock_type = std::chrono::steady_clock;
  using time_point = clock_type::time_point;

  /// A negative `intensity` counts as 0 (`spawn_supervisor` rejects it
  /// anyway, as OTP does).
  restart_window(int intensity, std::chrono::milliseconds period);

  /// Records a restart at `now`, forgetting those that left the window.
  /// `now` must not be earlier than the previous call's.
  void record(time_point now);

  /// Whether more than `intensity` restarts fell within `period` at the time
  /// of the last `record`.
  bool exceeded() const {
    return times_.size() > static_cast<size_t>(intensity_);
  }

  /// How many restarts the window holds.
  size_t size() const { return times_.size(); }

private:
  int intensity_;
  std::chrono::milliseconds period_;
  /// Oldest first. A supervisor stops as soon as `exceeded()`, so in use
  /// this holds at most `intensity + 1` entries.
  std::deque<time_point> times_;
};

} // namespace sophia::runtime::supervision
