#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace sophia::runtime::node {

/// Spawns the actor that opens connections to other nodes for the membership
/// actor: `(connect_atom, std::string host, uint16_t port)` -> `actor` (the
/// actor the peer published on that port).
///
/// It goes through CAF's middleman actor, never the blocking
/// `remote_actor()`, so a peer that does not answer the handshake costs a
/// timeout of the requester, not a blocked thread. It rejects a peer whose
/// CAF node id equals ours (host hash + PID collide, e.g. two containers).
caf::actor spawn_connector(caf::actor_system& sys);

} // namespace sophia::runtime::node
