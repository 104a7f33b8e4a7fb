#include "runtime/config/schema.hpp"

#include <algorithm>
#include <array>

namespace sophia::runtime::config {

std::string_view to_string(value_type x) {
  switch (x) {
    case value_type::string: return "string";
    case value_type::integer: return "integer";
    case value_type::boolean: return "boolean";
    case value_type::string_array: return "string array";
  }
  return "?";
}

const std::vector<key_spec>& schema() {
  using vt = value_type;
  // The one place a key of cluster.conf is declared. Keep the docs in sync
  // with the comments of the shipped cluster.conf (a test checks that every
  // key is mentioned there).
  static const std::vector<key_spec> specs{
    // [cluster]
    { .table = "cluster",
      .key = "name",
      .type = vt::string,
      .default_value = required,
      .doc =
        "name of the cluster; nodes of different clusters refuse to talk" },
    { .table = "cluster",
      .key = "heartbeat_ms",
      .type = vt::integer,
      .default_value = "500",
      .doc = "interval of BASP heartbeats between nodes, set on every node",
      .min = 10,
      .max = 60000 },
    { .table = "cluster",
      .key = "failure_timeout_ms",
      .type = vt::integer,
      .default_value = "2000",
      .doc = "a peer silent for this long is declared down; must be greater "
             "than heartbeat_ms",
      .min = 100,
      .max = 600000 },
    { .table = "cluster",
      .key = "connect_timeout_ms",
      .type = vt::integer,
      .default_value = "1000",
      .doc = "how long connecting to a peer may take before it is retried",
      .min = 50,
      .max = 60000 },
    { .table = "cluster",
      .key = "reconnect_ms",
      .type = vt::integer,
      .default_value = "250",
      .doc = "pause between attempts to reach an unreachable peer",
      .min = 10,
      .max = 60000 },
    { .table = "cluster",
      .key = "scheduler_policy",
      .type = vt::string,
      .default_value = R"("sharing")",
      .doc = "actor scheduler: \"sharing\" (lowest remote latency) or "
             "\"stealing\" (highest local throughput)",
      .choices = { "sharing", "stealing" } },
    { .table = "cluster",
      .key = "scheduler_threads",
      .type = vt::integer,
      .default_value = "1",
      .doc = "worker threads of the actor scheduler on each node (1 measured "
             "best on 2 cores: see the README's performance section)",
      .min = 1,
      .max = 64 },
    { .table = "cluster",
      .key = "log_level",
      .type = vt::string,
      .default_value = R"("info")",
      .doc = "least severe log level written: trace, debug, info, warn, "
             "error or off",
      .choices = { "trace", "debug", "info", "warn", "error", "off" } },
    // [[node]]
    { .table = "node",
      .key = "name",
      .type = vt::string,
      .default_value = required,
      .doc = "unique name of the node, matching [a-z0-9][a-z0-9_-]*" },
    { .table = "node",
      .key = "host",
      .type = vt::string,
      .default_value = required,
      .doc = "host name or address other nodes reach this node at" },
    { .table = "node",
      .key = "port",
      .type = vt::integer,
      .default_value = required,
      .doc = "TCP port of the node; host:port must be unique",
      .min = 1,
      .max = 65535 },
    { .table = "node",
      .key = "roles",
      .type = vt::string_array,
      .default_value = "[]",
      .doc = "roles this node runs" },
    { .table = "node",
      .key = "standby",
      .type = vt::string_array,
      .default_value = "[]",
      .doc = "roles this node takes over when the node running them is down" },
    { .table = "node",
      .key = "gpus",
      .type = vt::integer,
      .default_value = "0",
      .doc = "GPUs the node may use for gpu_worker actors",
      .min = 0,
      .max = 64 },
    // [roles.NAME]
    { .table = "roles.*",
      .key = "failover",
      .type = vt::boolean,
      .default_value = "false",
      .doc = "re-place the role on a live node listing it in standby when its "
             "node is down" },
    { .table = "roles.*",
      .key = "move_back",
      .type = vt::boolean,
      .default_value = "false",
      .doc = "move the role back to its original node when that node rejoins" },
    // [services.NAME]
    { .table = "services.*",
      .key = "api_key",
      .type = vt::string,
      .default_value = R"("")",
      .doc = "secret reference (env:VAR, file:PATH, esc:ORG/ENV#path); a "
             "literal key works but is discouraged",
      .secret = true },
    { .table = "services.*",
      .key = "base_url",
      .type = vt::string,
      .default_value = R"("")",
      .doc = "endpoint of the service; empty means the client's default" },
    { .table = "services.*",
      .key = "timeout_ms",
      .type = vt::integer,
      .default_value = "30000",
      .doc = "deadline of one request to the service",
      .min = 1,
      .max = 600000 },
  };
  return specs;
}

const std::vector<table_spec>& tables() {
  static const std::vector<table_spec> specs{
    { .name = "cluster",
      .keys = "cluster",
      .kind = table_kind::table,
      .header = "[cluster]",
      .doc = "settings shared by every node" },
    { .name = "node",
      .keys = "node",
      .kind = table_kind::array_of_tables,
      .header = "[[node]]",
      .doc = "one block per process of the cluster" },
    { .name = "roles",
      .keys = "roles.*",
      .kind = table_kind::named_tables,
      .header = "[roles.NAME]",
      .doc = "placement and fail-over of a role" },
    { .name = "services",
      .keys = "services.*",
      .kind = table_kind::named_tables,
      .header = "[services.NAME]",
      .doc = "how to reach an external service" },
  };
  return specs;
}

std::vector<const key_spec*> keys_of(std::string_view table) {
  std::vector<const key_spec*> result;
  for (const auto& spec : schema())
    if (spec.table == table) result.push_back(&spec);
  return result;
}

const key_spec* find_key(std::string_view table, std::string_view key) {
  for (const auto& spec : schema())
    if (spec.table == table && spec.key == key) return &spec;
  return nullptr;
}

const table_spec* find_table(std::string_view name) {
  for (const auto& spec : tables())
    if (spec.name == name) return &spec;
  return nullptr;
}

namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

} // namespace

bool is_node_name(std::string_view x) {
  if (x.empty() || !is_lower_alnum(x.front())) return false;
  return std::all_of(x.begin() + 1, x.end(), [](char c) {
    return is_lower_alnum(c) || c == '_' || c == '-';
  });
}

bool is_service_name(std::string_view x) {
  return !x.empty() && std::all_of(x.begin(), x.end(), [](char c) {
    return is_lower_alnum(c) || c == '_';
  });
}

bool is_secret_reference(std::string_view x) {
  static constexpr std::array<std::string_view, 3> prefixes{
    "env:", "file:", "esc:"
  };
  return std::any_of(prefixes.begin(), prefixes.end(), [x](std::string_view p) {
    return x.starts_with(p);
  });
}

} // namespace sophia::runtime::config
