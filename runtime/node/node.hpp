#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "runtime/config/cluster_config.hpp"
#include "runtime/placement/placement_actor.hpp"

namespace sophia::runtime::node {

/// The current runtime actors of a running node. The supervision tree may
/// restart any of them, so they are read through `context::get()` rather
/// than kept.
struct handles {
  std::string name;
  uint64_t incarnation = 0;
  caf::actor node_supervisor;
  caf::actor membership;
  caf::actor registry;
  caf::actor connector;
  caf::actor echo;
  caf::actor placement;
  /// The port the membership actor is published on.
  uint16_t port = 0;
};

/// Shared between a node's start functions (which update it when they start
/// an actor again) and the code that talks to the node (`main`, tests).
class context {
public:
  handles get() const {
    std::lock_guard<std::mutex> guard{ mtx_ };
    return h_;
  }

  template <class F>
  void update(F f) {
    std::lock_guard<std::mutex> guard{ mtx_ };
    f(h_);
  }

private:
  mutable std::mutex mtx_;
  handles h_;
};

/// Starts node `name` of `cluster` inside `sys` (prepared with
/// `system::prepare(cfg, cluster)`) as a supervision tree:
///
/// ```
/// node.NAME (one_for_one)
/// ├── runtime (rest_for_one): registry, connector, membership (published
/// │   on the node's port), runtime.echo, placement
/// └── role.ROLE (one per role placed on this node, started by placement
///     with `roles(ROLE)`)
/// ```
///
/// rest_for_one because each runtime actor depends on those before it: a
/// new registry needs a new membership subscription, and so on. A node that
/// leaves (SIGTERM, or removed from cluster.conf) stops its whole tree.
/// Fails with a clear error when the node is not in the configuration or the
/// port cannot be bound. `roles` may be empty: then no role runs here.
caf::expected<std::shared_ptr<context>> start(
  caf::actor_system& sys,
  const config::cluster_config& cluster,
  const std::string& name,
  placement::role_factory roles = {});

/// Stops the node's tree. With `leave`, peers are told first so that they
/// mark this node down at once; without, the node just vanishes (as if
/// killed), which tests use.
void stop(caf::actor_system& sys, const context& ctx, bool leave);

} // namespace sophia::runtime::node
