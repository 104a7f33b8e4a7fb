#pragma once

#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "runtime/config/cluster_config.hpp"
#include "runtime/supervision/child_spec.hpp"

namespace sophia::runtime::placement {

/// The name every node registers its placement actor under.
constexpr const char* placement_name = "runtime.placement";

/// Makes the child spec of one role's supervisor (wired in `nodes/`), given
/// the role and this node's registry (where the role's actors register).
using role_factory =
  std::function<supervision::child_spec(const std::string& role,
                                        const caf::actor& registry)>;

/// What a placement actor needs.
struct options {
  config::cluster_config cluster;
  std::string self;
  caf::actor membership;
  caf::actor registry;
  /// The node supervisor: roles run as its children `role.NAME`.
  caf::actor node_supervisor;
  role_factory roles;
};

/// Spawns the placement actor of a node. It keeps the roles of the cluster
/// running where `decide.hpp` says: at start (once the node has seen its
/// peers or `failure_timeout_ms` passed) it starts its configured roles that
/// run nowhere; as the leader of a majority it re-places the fail-over roles
/// of down nodes on their standby nodes; and it stops its own copy of a role
/// that runs twice after a partition heals when the other copy wins.
///
/// It works level-triggered, every `heartbeat_ms`, from the membership view
/// and the registry's `role.NAME` entries, so a lost message only delays a
/// decision. Messages: `(member, event)` from the membership actor; calls
/// (method `place`, payload the role) from the leader; `(reload, path)` from
/// the membership actor after cluster.conf was reloaded (roles, standby
/// lists and nodes are read again).
caf::actor spawn_placement(caf::actor_system& sys, options opts);

} // namespace sophia::runtime::placement
