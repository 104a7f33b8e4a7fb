#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <caf/actor.hpp>

#include "runtime/config/cluster_config.hpp"
#include "runtime/node/node.hpp"

namespace sophia::nodes {

/// Holds a node's context once `node::start` returned, for code started
/// earlier (role supervisors) that needs the node's runtime actors.
class context_slot {
public:
  void set(std::shared_ptr<runtime::node::context> ctx) {
    std::lock_guard<std::mutex> guard{ mtx_ };
    ctx_ = std::move(ctx);
  }

  /// The node's membership actor now, or null before the node runs.
  caf::actor membership() const {
    std::lock_guard<std::mutex> guard{ mtx_ };
    return ctx_ ? ctx_->get().membership : caf::actor{};
  }

private:
  mutable std::mutex mtx_;
  std::shared_ptr<runtime::node::context> ctx_;
};

/// `sophia-node --stdio`: an ephemeral MCP edge on stdin/stdout that reaches
/// the cluster through node `prefer` (or the first reachable node, edge
/// nodes first) and moves to another node when that one goes down. Returns
/// the exit code once stdin ends.
int run_stdio_edge(const runtime::config::cluster_config& cluster,
                   const std::string& prefer);

} // namespace sophia::nodes
