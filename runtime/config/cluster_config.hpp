#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sophia::runtime::config {

/// Where a value came from in `cluster.conf`, for error messages.
struct source_position {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
};

/// One `[[node]]` block: a process of the cluster.
struct node_config {
  std::string name;
  std::string host;
  uint16_t port = 0;
  std::vector<std::string> roles;
  /// Roles this node takes over when the node running them is down.
  std::vector<std::string> standby;
  int64_t gpus = 0;
  source_position position;

  /// Returns `host:port`.
  std::string endpoint() const;
};

/// One `[roles.NAME]` table.
struct role_config {
  std::string name;
  /// Re-placed on a live standby node when its node is down.
  bool failover = false;
  /// Moves back to its original node when that node rejoins.
  bool move_back = false;
};

/// One `[services.NAME]` table: how to reach an external service.
struct service_config {
  std::string name;
  /// A secret reference (`env:VAR`, `file:PATH`, `esc:ORG/ENV#path`) or a
  /// literal secret (discouraged; redacted when printed).
  std::string api_key;
  std::string base_url;
  int64_t timeout_ms = 30000;
};

/// The whole validated `cluster.conf`.
struct cluster_config {
  /// Path the configuration was read from.
  std::string source;

  // [cluster]
  std::string name = "sophia";
  int64_t heartbeat_ms = 500;
  int64_t failure_timeout_ms = 2000;
  int64_t connect_timeout_ms = 1000;
  int64_t reconnect_ms = 250;
  std::string scheduler_policy = "sharing";
  int64_t scheduler_threads = 1;
  std::string log_level = "info";

  std::vector<node_config> nodes;
  std::map<std::string, role_config> roles;
  std::map<std::string, service_config> services;

  /// Returns the node named `name`, or nullptr.
  const node_config* find_node(std::string_view name) const;
};

/// The roles a node may run; anything else in `roles`/`standby` is an error.
const std::vector<std::string_view>& known_roles();

} // namespace sophia::runtime::config
