#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/config/keys.hpp"

namespace sophia::runtime::config {

/// Declares one member per key of a `SOPHIA_CONFIG_KEYS_*` list, with its
/// default; the keys, their defaults and docs are in `keys.hpp`.
#define SOPHIA_CONFIG_MEMBER(TYPE, NAME, DEFAULT, ...) TYPE NAME = DEFAULT;

/// Where a value came from in `cluster.conf`, for error messages.
struct source_position {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
};

/// `[edge]`: the MCP endpoint of nodes that run the `edge` role.
struct edge_config {
  SOPHIA_CONFIG_KEYS_EDGE(SOPHIA_CONFIG_MEMBER)

  /// `DOMAIN_port` of one of `mcp_domains()`; 0 when unset or unknown.
  uint16_t domain_port(std::string_view domain) const;
};

/// One `[[node]]` block: a process of the cluster.
struct node_config {
  SOPHIA_CONFIG_KEYS_NODE(SOPHIA_CONFIG_MEMBER)
  source_position position;

  /// Returns `host:port`.
  std::string endpoint() const;

  /// Returns the port of this node's MCP endpoint: `edge_port` if set, else
  /// the port of `edge`.
  uint16_t mcp_port(const edge_config& edge) const;
};

/// One `[roles.NAME]` table.
struct role_config {
  std::string name;
  SOPHIA_CONFIG_KEYS_ROLE(SOPHIA_CONFIG_MEMBER)
};

/// One `[services.NAME]` table: how to reach an external service. Its
/// client, retries, breaker and limits are those of `runtime/http`.
struct service_config {
  std::string name;
  SOPHIA_CONFIG_KEYS_SERVICE(SOPHIA_CONFIG_MEMBER)
};

/// `[models."ID"]`: one model of the AI router's catalog as the
/// configuration has it (prices, context, capabilities, prior qualities
/// per task type), over what its providers list.
struct model_config {
  std::string name;
  SOPHIA_CONFIG_KEYS_MODEL(SOPHIA_CONFIG_MEMBER)
};

/// `[api_keys.NAME]`: one bearer key of the MCP edge. With none, the edge
/// needs no key.
struct api_key_config {
  std::string name;
  SOPHIA_CONFIG_KEYS_API_KEY(SOPHIA_CONFIG_MEMBER)
  source_position position;
};

/// `[conformance]`: the MCP conformance-suite fixtures (off by default).
struct conformance_config {
  SOPHIA_CONFIG_KEYS_CONFORMANCE(SOPHIA_CONFIG_MEMBER)
};

/// `[pipeline.sources.NAME]`: one Airbyte source run as a command.
struct pipeline_source_config {
  std::string name;
  SOPHIA_CONFIG_KEYS_PIPELINE_SOURCE(SOPHIA_CONFIG_MEMBER)
  /// The `config` table as JSON text (`{}` when absent); string values
  /// that are secret references (env:, file:, esc:) are resolved when the
  /// command runs, never here.
  std::string config_json = "{}";
  source_position position;
};

/// `[pipeline]`: the data pipeline (PostgreSQL, batching, queries).
struct pipeline_config {
  SOPHIA_CONFIG_KEYS_PIPELINE(SOPHIA_CONFIG_MEMBER)
  /// `[pipeline.sources.NAME]`, by name.
  std::map<std::string, pipeline_source_config> sources;
};

/// The whole validated `cluster.conf`.
struct cluster_config {
  /// Path the configuration was read from.
  std::string source;

  SOPHIA_CONFIG_KEYS_CLUSTER(SOPHIA_CONFIG_MEMBER)

  std::vector<node_config> nodes;
  std::map<std::string, role_config> roles;
  std::map<std::string, service_config> services;
  /// By model id.
  std::map<std::string, model_config> models;
  edge_config edge;
  std::map<std::string, api_key_config> api_keys;
  conformance_config conformance;
  pipeline_config pipeline;

  /// Returns the node named `name`, or nullptr.
  const node_config* find_node(std::string_view name) const;
};

/// The roles a node may run; anything else in `roles`/`standby` is an error.
const std::vector<std::string_view>& known_roles();

/// The MCP domains: the roles whose tools a virtual server `/mcp/DOMAIN`
/// (and the optional `[edge] DOMAIN_port`) serves on their own.
const std::vector<std::string_view>& mcp_domains();

#undef SOPHIA_CONFIG_MEMBER

} // namespace sophia::runtime::config
