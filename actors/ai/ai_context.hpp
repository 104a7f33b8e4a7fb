#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor.hpp>

#include "runtime/config/cluster_config.hpp"

namespace sophia::actors::ai {

/// The configuration the AI role's children are built from: the file as the
/// node started, then as last reloaded. The role's actors run on different
/// threads, hence the lock; they copy what they need.
class config_holder {
public:
  explicit config_holder(runtime::config::cluster_config x)
    : cfg_(std::move(x)) {
    // Nothing.
  }

  runtime::config::cluster_config get() const {
    std::lock_guard<std::mutex> guard{ mtx_ };
    return cfg_;
  }

  void set(runtime::config::cluster_config x) {
    std::lock_guard<std::mutex> guard{ mtx_ };
    cfg_ = std::move(x);
  }

private:
  mutable std::mutex mtx_;
  runtime::config::cluster_config cfg_;
};

/// What the children of one incarnation of the AI supervisor share. Each
/// handle is set by the child start that creates it; the others read it
/// when they start (the supervisor starts them in order) or, for
/// `supervisor`, on a reload, long after it was set.
struct ai_context {
  caf::actor registry;
  std::string role;
  std::shared_ptr<config_holder> config;
  /// The node's membership actor (it changes when that actor restarts).
  std::function<caf::actor()> membership;
  std::shared_ptr<caf::actor> http = std::make_shared<caf::actor>();
  std::shared_ptr<caf::actor> tracer = std::make_shared<caf::actor>();
  std::shared_ptr<caf::actor> supervisor = std::make_shared<caf::actor>();
  /// The node it runs on (names this node's router at the limiter).
  std::string node;
};

} // namespace sophia::actors::ai
