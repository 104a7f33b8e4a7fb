#pragma once

#include <cstdint>
#include <unordered_set>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>
#include <caf/fwd.hpp>
#include <caf/message_id.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_response_promise.hpp>

#include "runtime/call/pending_calls.hpp"
#include "runtime/wire/buffer.hpp"

namespace sophia::runtime::call {

/// The routing half of the registry actor: forwards call envelopes to their
/// callees and guarantees that every call ends, with the reply,
/// `errc::deadline_exceeded` at its deadline, or `errc::node_down` the moment
/// the callee (or its node) goes down.
///
/// Requests to callees carry no CAF timeout: CAF 0.17 keeps every request
/// timer until it fires, even after the reply came (~400 bytes per call for
/// the whole deadline), and timed requests cost several times more than
/// plain ones. Deadlines are enforced here instead, by one sweep timer.
class router {
public:
  /// Forwards `env` to `target`; the result completes when the call ends.
  /// A valid `channel` travels with the envelope, as `(call, env, channel)`:
  /// the callee reports progress to it or asks it questions mid-call (the
  /// MCP edge passes itself; see `runtime/mcp/provider.hpp`).
  caf::result<wire::buffer> route(caf::event_based_actor* self,
                                  const caf::actor& target,
                                  wire::buffer& env,
                                  caf::timespan timeout,
                                  const caf::actor& channel = {});

  /// Fails every call pending on the actor that went down; returns whether
  /// it was a callee.
  bool on_down(caf::event_based_actor* self, const caf::down_msg& dm);

  /// Fails the calls whose deadline passed and schedules the next sweep.
  /// The owning actor calls it on `(atoms::sweep)`.
  void sweep(caf::event_based_actor* self);

  /// Number of calls in flight.
  size_t pending() const noexcept { return pending_.size(); }

private:
  struct slot {
    caf::typed_response_promise<wire::buffer> promise;
    /// The id the callee's response will carry (CAF's response handle holds
    /// the response id already), to release CAF's response handler when the
    /// call ends without a reply.
    caf::message_id response;
    /// The call's relative deadline, for the error message.
    caf::timespan timeout;
  };

  /// Delivers `err` to a call that ended without reply.
  void fail(caf::event_based_actor* self, slot& s, const caf::error& err);

  void schedule_sweep(caf::event_based_actor* self);

  pending_calls<caf::actor_addr, slot, caf::actor_clock::time_point> pending_;
  /// Callees we monitor; a monitor stays until the callee goes down.
  std::unordered_set<caf::actor_addr> watched_;
  /// When the next sweep is due, if one is scheduled.
  std::optional<caf::actor_clock::time_point> sweep_at_;
  uint64_t next_id_ = 0;
};

} // namespace sophia::runtime::call
