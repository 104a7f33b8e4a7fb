#pragma once

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

#include "runtime/wire/messages.hpp"

namespace sophia::runtime::membership {

/// A change of a peer's state, sent to every subscriber of the membership
/// actor as `(atoms::member, event)`. Stays inside a node.
struct event {
  std::string node;
  wire::member_state state = wire::member_state::down;
  uint64_t incarnation = 0;
  /// The peer's registry actor while it is up; empty otherwise.
  caf::actor registry;
  /// Why the state changed ("heartbeat timeout", "left", "removed", ...).
  std::string reason;
  /// True when the peer was removed from cluster.conf (it will not return).
  bool removed = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event& x) {
  return f(caf::meta::type_name("sophia.member_event"),
           x.node,
           x.state,
           x.incarnation,
           x.registry,
           x.reason,
           x.removed);
}

} // namespace sophia::runtime::membership
