#pragma once

#include <functional>
#include <string>

#include <caf/actor.hpp>

#include "runtime/config/cluster_config.hpp"
#include "runtime/supervision/child_spec.hpp"

namespace sophia::nodes {

/// The child spec of role `role`'s supervisor on this node: what runs when
/// the placement actor places the role here. This is the composition root's
/// list of each role's actors: the role's endpoint, the MCP edge for `edge`,
/// and the conformance fixtures for the role `[conformance]` names.
/// `membership` returns this node's membership actor (null before it runs).
runtime::supervision::child_spec role_supervisor(
  const std::string& role,
  const std::string& node,
  caf::actor registry,
  const runtime::config::cluster_config& cluster,
  std::function<caf::actor()> membership);

} // namespace sophia::nodes
