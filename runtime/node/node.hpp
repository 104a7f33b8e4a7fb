#pragma once

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "runtime/config/cluster_config.hpp"

namespace sophia::runtime::node {

/// The runtime actors of one running node.
struct handles {
  std::string name;
  uint64_t incarnation = 0;
  caf::actor membership;
  caf::actor registry;
  caf::actor connector;
  caf::actor echo;
  /// The port the membership actor is published on.
  uint16_t port = 0;
};

/// Starts node `name` of `cluster` inside `sys` (prepared with
/// `system::prepare(cfg, cluster)`): spawns the registry, the connector, the
/// membership actor and the echo service, registers the echo service, and
/// publishes the membership actor on the node's host and port. Fails with a
/// clear error when the node is not in the configuration or the port cannot
/// be bound.
caf::expected<handles> start(caf::actor_system& sys,
                             const config::cluster_config& cluster,
                             const std::string& name);

/// Stops the node's actors. With `leave`, peers are told first so that they
/// mark this node down at once; without, the node just vanishes (as if
/// killed), which tests use.
void stop(caf::actor_system& sys, const handles& h, bool leave);

} // namespace sophia::runtime::node
