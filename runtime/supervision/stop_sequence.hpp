#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include "runtime/supervision/child_spec.hpp"

namespace sophia::runtime::supervision {

/// One child to stop, and how (see `shutdown_spec`).
struct stop_target {
  std::string id;
  caf::actor handle;
  shutdown_spec shutdown;
};

/// Stops children the way OTP's `supervisor:shutdown/2` does, without
/// blocking the supervisor: it sends the exit signal, arms a timer for the
/// `timeout` mode, and waits for the child's `down_msg`, which the
/// supervisor passes in through `on_down`. A child still alive when its
/// timer fires (`on_timer`) is killed; one that dies before its turn comes
/// is simply crossed off.
///
/// Children stop one after another in the given order, or all at once when
/// `parallel` (a simple_one_for_one supervisor at shutdown). The supervisor
/// runs one sequence at a time and defers whatever must not interleave with
/// it (see `supervisor.cpp`).
class stop_sequence {
public:
  /// Tags the timer message the sequence sends to its supervisor:
  /// `(timer_atom, uint64_t token)`.
  using timer_atom = caf::atom_constant<caf::atom("stoptimer")>;

  using done_fn = std::function<void()>;

  /// Whether a sequence is running.
  bool active() const { return static_cast<bool>(done_); }

  /// Starts stopping `targets` on behalf of `self`, named `owner` in logs;
  /// calls `done` once all are down (at once when `targets` is empty).
  /// Must not be called while `active()`.
  void begin(caf::event_based_actor* self,
             std::string owner,
             std::vector<stop_target> targets,
             bool parallel,
             done_fn done);

  /// Tells the sequence that `who` went down. Returns whether `who` was one
  /// of its targets; may complete the sequence (and call `done`).
  bool on_down(caf::event_based_actor* self, const caf::actor_addr& who);

  /// The timer `token` fired: kills its child if the child is still alive.
  void on_timer(caf::event_based_actor* self, uint64_t token);

private:
  struct waiting {
    stop_target target;
    /// Identifies the timer; 0 when none was armed.
    uint64_t token;
  };

  void signal(caf::event_based_actor* self, stop_target target);

  /// Signals the next target (sequential mode) or completes the sequence.
  void advance(caf::event_based_actor* self);

  std::string owner_;
  bool parallel_ = false;
  /// Targets not signalled yet.
  std::deque<stop_target> todo_;
  /// Targets signalled and not down yet.
  std::vector<waiting> waiting_;
  done_fn done_;
  /// Never reused, so that a stale timer of an earlier sequence is ignored.
  uint64_t next_token_ = 0;
};

} // namespace sophia::runtime::supervision
