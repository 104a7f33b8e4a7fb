#pragma once

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "runtime/config/cluster_config.hpp"

namespace sophia::runtime::membership {

/// What a membership actor needs to run.
struct options {
  /// The validated cluster.conf (its `source` is re-read on reload).
  config::cluster_config cluster;
  /// This node's name; must be one of `cluster.nodes`.
  std::string self;
  /// Distinguishes this run of the node from earlier ones (start time, ns).
  uint64_t incarnation = 0;
  /// Answers `(connect_atom, host, port)` with the peer's membership actor
  /// (see `runtime/node/connector.hpp`); tests pass a fake.
  caf::actor connector;
  /// This node's registry actor; handed to peers in the hello handshake.
  caf::actor registry;
  /// The root of this node's supervision tree, for `sophiactl tree`.
  caf::actor tree_root;
};

/// Spawns the membership actor of a node: it connects to every peer of
/// cluster.conf (retrying those that are down), runs the failure detector
/// (heartbeats; a peer is `suspect` after two missed heartbeats and `down`
/// after `failure_timeout_ms` of silence or at once when its connection
/// drops), answers status queries and re-reads cluster.conf on reload.
///
/// Messages:
/// - `(hello, buffer Hello, actor registry)` -> `(buffer Hello, actor
/// registry)`
/// - `(heartbeat, buffer Heartbeat)`, `(leave, buffer Leave)`: from peers
/// - `(status)` -> `buffer MembershipView`
/// - `(reload)` -> `std::string` summary, or an error naming the bad lines
/// - `(subscribe, actor)`: sends `(member, event)` on every change, starting
///   with the peers that are up now, and `(reload, std::string path)` after
///   a reload was applied (at once, too, when one was applied before the
///   subscription: the subscriber was built from the file as first read)
/// - `(get_atom, registry)` -> `actor`: this node's registry
/// - `(get_atom, tree)` -> `buffer TreeSnapshot`: the node's supervision tree
/// - `(leave)`: tells every peer this node leaves, then quits
caf::actor spawn_membership(caf::actor_system& sys, options opts);

} // namespace sophia::runtime::membership
