#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "runtime/call/call.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/node/node.hpp"
#include "runtime/wire/messages.hpp"

namespace sophia::runtime::testing {

/// How to build a `local_cluster`.
struct cluster_options {
  size_t nodes = 3;
  std::string name = "test-cluster";
  /// Short timers keep tests quick; failure_timeout_ms must exceed
  /// heartbeat_ms.
  int64_t heartbeat_ms = 100;
  int64_t failure_timeout_ms = 1000;
  int64_t connect_timeout_ms = 500;
  int64_t reconnect_ms = 100;
  std::string scheduler_policy = "sharing";
  int64_t scheduler_threads = 1;
  /// Roles per node (index = node) and their `[roles.X]` settings; with a
  /// role factory, each node runs a placement actor and the roles placed on
  /// it (see `runtime/placement/`).
  std::vector<std::vector<std::string>> roles = {};
  std::vector<std::vector<std::string>> standby = {};
  std::map<std::string, config::role_config> role_settings = {};
  placement::role_factory role_factory = {};
};

/// An in-process cluster for tests: N nodes, each its own CAF actor system
/// with its own middleman, connected over loopback on ports chosen at run
/// time. Spawn actors on any node, register and call them, kill and restart
/// nodes. Nodes are named `node-1` ... `node-N` (index 0 is `node-1`).
class local_cluster {
public:
  explicit local_cluster(cluster_options opts = {});
  ~local_cluster();

  local_cluster(const local_cluster&) = delete;
  local_cluster& operator=(const local_cluster&) = delete;

  size_t size() const noexcept { return nodes_.size(); }

  const config::cluster_config& config() const noexcept { return config_; }

  const std::string& name(size_t i) const;

  /// The actor system of node `i` (which must be alive).
  caf::actor_system& system(size_t i);

  /// The current runtime actors of node `i` (which must be alive).
  node::handles handles(size_t i) const;

  bool alive(size_t i) const;

  /// Spawns an actor on node `i`; it is killed with the node.
  template <class... Ts>
  caf::actor spawn(size_t i, Ts&&... xs) {
    auto a = system(i).spawn(std::forward<Ts>(xs)...);
    nodes_[i]->spawned.push_back(a);
    return a;
  }

  /// Registers `a` under `name` in node `i`'s registry.
  caf::error register_actor(size_t i,
                            const std::string& name,
                            const caf::actor& a);

  /// Resolves `name` as node `i` sees it.
  caf::expected<caf::actor> lookup(size_t i, const std::string& name);

  /// Calls `name` from node `i` through the call helper.
  caf::expected<std::string> call(size_t i,
                                  const std::string& name,
                                  const call::request& req);

  /// The membership view of node `i`.
  caf::expected<wire::membership_view> view(size_t i);

  /// The state node `observer` sees for node `peer`, if it answers.
  std::optional<wire::member_state> state(size_t observer, size_t peer);

  /// True when every live node sees every other live node as up.
  bool converged();

  /// Kills node `i` abruptly: its actors die and its sockets close, with no
  /// leave notice to the peers.
  void kill(size_t i);

  /// Starts node `i` again (a new incarnation on the same port).
  void restart(size_t i);

  /// Polls `pred` until it holds or `timeout` passes; returns its last value.
  static bool wait_until(
    const std::function<bool()>& pred,
    std::chrono::milliseconds timeout = std::chrono::seconds{ 15 });

private:
  struct node_slot {
    std::unique_ptr<caf::actor_system_config> cfg;
    std::unique_ptr<caf::actor_system> sys;
    std::shared_ptr<node::context> ctx;
    std::vector<caf::actor> spawned;
  };

  void start(size_t i);

  config::cluster_config config_;
  placement::role_factory role_factory_;
  std::vector<std::unique_ptr<node_slot>> nodes_;
};

} // namespace sophia::runtime::testing
