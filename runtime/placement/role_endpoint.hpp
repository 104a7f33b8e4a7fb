#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace sophia::runtime::placement {

/// Spawns the endpoint of role `role` on node `node`: it registers itself as
/// `role.ROLE` in `registry`, so that the cluster sees where the role runs
/// and callers reach it by name wherever fail-over put it. The domain actors
/// of a role register their own services beside it.
///
/// Methods (through the call helper): `info` returns
/// `{"role","node","started_unix_ms"}` as JSON; `echo` returns the payload;
/// `crash` makes the endpoint fail (for supervision drills and tests: its
/// supervisor restarts it).
caf::actor spawn_role_endpoint(caf::actor_system& sys,
                               std::string role,
                               std::string node,
                               caf::actor registry);

} // namespace sophia::runtime::placement
