#pragma once

#include <chrono>
#include <string>

#include <caf/actor.hpp>
#include <caf/duration.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/node_id.hpp>
#include <caf/timespan.hpp>

#include "runtime/system/atoms.hpp"
#include "runtime/wire/buffer.hpp"

namespace sophia::runtime::call {

/// One request made through the call helper.
struct request {
  std::string method;
  std::string payload;
  /// Relative deadline; the call fails with `errc::deadline_exceeded` when
  /// it passes, and with `errc::node_down` as soon as the callee's node dies.
  std::chrono::milliseconds deadline{ 5000 };
  /// Who calls (node, actor or client identity), for the callee's logs.
  std::string caller;
  /// Correlates logs across nodes; generated when empty.
  std::string trace_id;
};

/// Extra time the router gets beyond the deadline to report the deadline
/// error itself (so callers see `deadline_exceeded`, not a local timeout).
constexpr std::chrono::milliseconds router_grace{ 250 };

/// The timeout of the request to the router: none for a registry on the
/// caller's node, which always answers by the deadline (a CAF request timer
/// costs time and memory until it fires); `deadline + router_grace` for a
/// remote one (e.g. sophiactl's), whose node may die.
caf::duration router_timeout(const caf::node_id& caller,
                             const caf::actor& registry,
                             const request& req);

/// Builds the Cap'n Proto call envelope of `req` (absolute deadline).
wire::buffer make_envelope(const request& req);

/// Builds the Cap'n Proto reply of a callee.
wire::buffer make_reply(std::string payload);

/// Extracts the payload of a reply buffer.
caf::expected<std::string> reply_payload(const wire::buffer& reply);

/// Calls the actor registered as `name` (`name@node` for one node's) through
/// this node's `registry`, blocking the calling thread. For code outside
/// actors: tools, tests, `main`.
caf::expected<std::string> call(caf::scoped_actor& self,
                                const caf::actor& registry,
                                const std::string& name,
                                const request& req);

/// As above, with an actor handle instead of a name.
caf::expected<std::string> call(caf::scoped_actor& self,
                                const caf::actor& registry,
                                const caf::actor& target,
                                const request& req);

/// The event-based form: returns CAF's response handle, whose `.then`
/// receives a reply `wire::buffer` (see `reply_payload`) or an error.
/// `target` is a name or an actor handle.
template <class Self, class Target>
auto async_call(Self* self,
                const caf::actor& registry,
                const Target& target,
                const request& req) {
  return self->request(registry,
                       router_timeout(self->node(), registry, req),
                       atoms::call::value,
                       target,
                       make_envelope(req),
                       caf::timespan{ req.deadline });
}

/// As above, for a callee that may talk back mid-call: it receives
/// `(call, envelope, channel)` (see `runtime/mcp/provider.hpp`). `target`
/// is a name or an actor handle.
template <class Self, class Target>
auto async_call(Self* self,
                const caf::actor& registry,
                const Target& target,
                const request& req,
                const caf::actor& channel) {
  return self->request(registry,
                       router_timeout(self->node(), registry, req),
                       atoms::call::value,
                       target,
                       make_envelope(req),
                       caf::timespan{ req.deadline },
                       channel);
}

} // namespace sophia::runtime::call
