#include "runtime/config/schema.hpp"

#include <algorithm>
#include <array>

#include "runtime/config/cluster_config.hpp"

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
    { .table = "node",
      .key = "edge_port",
      .type = vt::integer,
      .default_value = "0",
      .doc = "MCP port of this node, overriding [edge] port so that several "
             "edge nodes can share a host; 0 means [edge] port",
      .min = 0,
      .max = 65535 },
    { .table = "node",
      .key = "admin_port",
      .type = vt::integer,
      .default_value = "0",
      .doc = "port serving /metrics (Prometheus), /healthz and /readyz on "
             "the node's host, for every node (edge nodes also serve them "
             "on their MCP port); 0 means none",
      .min = 0,
      .max = 65535 },
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
      .key = "kind",
      .type = vt::string,
      .default_value = R"("auto")",
      .doc = "which client serves it: auto (the one named NAME) or "
             "openai_compatible (any OpenAI-compatible endpoint: vLLM, TGI)",
      .choices = { "auto", "openai_compatible" } },
    { .table = "services.*",
      .key = "api_key",
      .type = vt::string,
      .default_value = R"("")",
      .doc = "secret reference (env:VAR, file:PATH, "
             "esc:ORG/PROJECT/ENV#path.to.value); a literal key works but is "
             "discouraged; empty leaves the service unconfigured",
      .secret = true },
    { .table = "services.*",
      .key = "base_url",
      .type = vt::string,
      .default_value = R"("")",
      .doc = "API root as the service documents it (paths are appended); "
             "empty means the real host" },
    { .table = "services.*",
      .key = "timeout_ms",
      .type = vt::integer,
      .default_value = "30000",
      .doc = "limit of one attempt, from the first byte sent to the last read",
      .min = 1,
      .max = 600000 },
    { .table = "services.*",
      .key = "connect_timeout_ms",
      .type = vt::integer,
      .default_value = "5000",
      .doc = "limit of connecting (TCP and TLS)",
      .min = 1,
      .max = 600000 },
    { .table = "services.*",
      .key = "max_retries",
      .type = vt::integer,
      .default_value = "2",
      .doc = "attempts after the first, only where retrying is safe "
             "(idempotent requests, 429 and 5xx the service documents as "
             "not processed), never past the call's deadline",
      .min = 0,
      .max = 10 },
    { .table = "services.*",
      .key = "backoff_ms",
      .type = vt::integer,
      .default_value = "250",
      .doc = "base of the exponential backoff with jitter between attempts; "
             "Retry-After and retry-after-ms take precedence",
      .min = 1,
      .max = 600000 },
    { .table = "services.*",
      .key = "breaker_failures",
      .type = vt::integer,
      .default_value = "5",
      .doc = "consecutive failures (transport errors, 5xx) that open the "
             "circuit breaker; 0 disables it",
      .min = 0,
      .max = 1000 },
    { .table = "services.*",
      .key = "breaker_cooldown_ms",
      .type = vt::integer,
      .default_value = "30000",
      .doc = "how long an open breaker fails requests at once before one "
             "probe goes through",
      .min = 1,
      .max = 3600000 },
    { .table = "services.*",
      .key = "max_concurrency",
      .type = vt::integer,
      .default_value = "64",
      .doc = "requests to the service running at once; more wait in order "
             "(0: no limit)",
      .min = 0,
      .max = 100000 },
    { .table = "services.*",
      .key = "rate_per_minute",
      .type = vt::integer,
      .default_value = "0",
      .doc = "requests a minute (a token bucket; 0: no limit)",
      .min = 0,
      .max = 6000000 },
    { .table = "services.*",
      .key = "max_response_bytes",
      .type = vt::integer,
      .default_value = "33554432",
      .doc = "larger responses fail with an error naming this key",
      .min = 1024,
      .max = 1073741824 },
    { .table = "services.*",
      .key = "provider",
      .type = vt::string,
      .default_value = R"("")",
      .doc = "Portkey: the provider behind the gateway (x-portkey-provider)" },
    { .table = "services.*",
      .key = "virtual_key",
      .type = vt::string,
      .default_value = R"("")",
      .doc = "Portkey: a virtual key (secret reference, like api_key)",
      .secret = true },
    { .table = "services.*",
      .key = "config",
      .type = vt::string,
      .default_value = R"("")",
      .doc = "Portkey: a saved config id (x-portkey-config)" },
    { .table = "services.*",
      .key = "space_id",
      .type = vt::string,
      .default_value = R"("")",
      .doc = "Arize: the space id (secret reference, like api_key)",
      .secret = true },
    { .table = "services.*",
      .key = "project",
      .type = vt::string,
      .default_value = R"("sophia")",
      .doc = "Arize: the project LLM traces go to" },
    // [edge]
    { .table = "edge",
      .key = "address",
      .type = vt::string,
      .default_value = R"("127.0.0.1")",
      .doc = "address the MCP endpoint binds: an IPv4 or IPv6 address or "
             "\"localhost\"; every interface (0.0.0.0) must be asked for" },
    { .table = "edge",
      .key = "port",
      .type = vt::integer,
      .default_value = "8080",
      .doc = "Streamable HTTP port of the MCP endpoint (/mcp and "
             "/mcp/<domain>); a node's edge_port overrides it; 0 binds any "
             "free port and logs which (for tests)",
      .min = 0,
      .max = 65535 },
    { .table = "edge",
      .key = "allowed_hosts",
      .type = vt::string_array,
      .default_value = "[]",
      .doc = "names accepted in the Host and Origin headers besides "
             "localhost, 127.0.0.1, [::1] and address" },
    { .table = "edge",
      .key = "max_body_bytes",
      .type = vt::integer,
      .default_value = "4194304",
      .doc = "larger request bodies are refused with 413",
      .min = 1024,
      .max = 1073741824 },
    { .table = "edge",
      .key = "call_timeout_ms",
      .type = vt::integer,
      .default_value = "60000",
      .doc = "deadline of one request (tools/call etc.)",
      .min = 10,
      .max = 3600000 },
    { .table = "edge",
      .key = "idle_timeout_ms",
      .type = vt::integer,
      .default_value = "300000",
      .doc = "an idle keep-alive connection is closed after this",
      .min = 100,
      .max = unbounded },
    { .table = "edge",
      .key = "header_timeout_ms",
      .type = vt::integer,
      .default_value = "10000",
      .doc = "a request's header must arrive within this of its first byte, "
             "or the connection is closed (slow clients cannot hold it)",
      .min = 100,
      .max = 600000 },
    { .table = "edge",
      .key = "max_connections",
      .type = vt::integer,
      .default_value = "4096",
      .doc = "open HTTP connections at most; more are answered 503 at once "
             "(also kept below the process's file limit)",
      .min = 1,
      .max = 1000000 },
    { .table = "edge",
      .key = "sse_keepalive_ms",
      .type = vt::integer,
      .default_value = "15000",
      .doc = "an SSE stream idle this long gets a comment line, so that "
             "proxies and load balancers do not cut long calls; 0 sends none",
      .min = 0,
      .max = 3600000 },
    { .table = "edge",
      .key = "session_idle_ms",
      .type = vt::integer,
      .default_value = "1800000",
      .doc = "an MCP session unused this long is ended",
      .min = 1000,
      .max = unbounded },
    { .table = "edge",
      .key = "max_sessions",
      .type = vt::integer,
      .default_value = "10000",
      .doc = "live sessions at most; at capacity, initialize evicts the least "
             "recently active session without an open stream (its next "
             "request gets 404) and gets 503 only when every one has one",
      .min = 1,
      .max = unbounded },
    { .table = "edge",
      .key = "max_sessions_per_client",
      .type = vt::integer,
      .default_value = "1000",
      .doc = "live sessions of one client (its API key, else its address) "
             "at most; beyond, its own least recently active session is "
             "evicted, or 429 when each of them has an open stream",
      .min = 1,
      .max = unbounded },
    { .table = "edge",
      .key = "replay_events",
      .type = vt::integer,
      .default_value = "256",
      .doc = "SSE events kept per session for Last-Event-ID replay",
      .min = 0,
      .max = 100000 },
    { .table = "edge",
      .key = "replay_bytes",
      .type = vt::integer,
      .default_value = "1048576",
      .doc = "bytes of SSE events kept per session for replay, at most",
      .min = 0,
      .max = unbounded },
    { .table = "edge",
      .key = "replay_budget_bytes",
      .type = vt::integer,
      .default_value = "67108864",
      .doc = "bytes of SSE events kept for replay by all sessions together; "
             "the oldest events go first. What clients have not read yet is "
             "bounded by as much again: over it, a stream holding more than "
             "its share (the budget divided among the open streams) is "
             "dropped, and its client may resume it with Last-Event-ID",
      .min = 0,
      .max = unbounded },
    { .table = "edge",
      .key = "failover_wait_ms",
      .type = vt::integer,
      .default_value = "5000",
      .doc = "a call to a tool whose node just went down waits this long for "
             "the tool to come back (its role failing over) before it fails; "
             "0 fails at once",
      .min = 0,
      .max = 600000 },
    { .table = "edge",
      .key = "page_size",
      .type = vt::integer,
      .default_value = "100",
      .doc = "items per page of tools/list, resources/list and prompts/list",
      .min = 1,
      .max = 10000 },
    { .table = "edge",
      .key = "responses",
      .type = vt::string,
      .default_value = R"("sse")",
      .doc = "how a POST is answered: \"sse\" (an event stream, resumable "
             "with Last-Event-ID, as the official SDK does) or \"json\" (one "
             "JSON body unless the request streams notifications)",
      .choices = { "sse", "json" } },
    { .table = "edge",
      .key = "io_threads",
      .type = vt::integer,
      .default_value = "1",
      .doc = "threads running the HTTP server",
      .min = 1,
      .max = 64 },
    { .table = "edge",
      .key = "ai_intelligence_port",
      .type = vt::integer,
      .default_value = "0",
      .doc = "extra port serving only the ai_intelligence tools; 0 means none",
      .min = 0,
      .max = 65535 },
    { .table = "edge",
      .key = "data_intelligence_port",
      .type = vt::integer,
      .default_value = "0",
      .doc = "extra port serving only the data_intelligence tools",
      .min = 0,
      .max = 65535 },
    { .table = "edge",
      .key = "infrastructure_intelligence_port",
      .type = vt::integer,
      .default_value = "0",
      .doc = "extra port serving only the infrastructure_intelligence tools",
      .min = 0,
      .max = 65535 },
    { .table = "edge",
      .key = "business_intelligence_port",
      .type = vt::integer,
      .default_value = "0",
      .doc = "extra port serving only the business_intelligence tools",
      .min = 0,
      .max = 65535 },
    // [api_keys.NAME]
    { .table = "api_keys.*",
      .key = "key",
      .type = vt::string,
      .default_value = required,
      .doc = "secret reference: env:VAR, file:PATH or sha256:<64 hex digits> "
             "(the key's SHA-256); a literal key is an error",
      .secret = true },
    { .table = "api_keys.*",
      .key = "tools",
      .type = vt::string_array,
      .default_value = R"(["*"])",
      .doc = "glob patterns of the tools the key may list and call" },
    // [conformance]
    { .table = "conformance",
      .key = "enabled",
      .type = vt::boolean,
      .default_value = "false",
      .doc = "run the fixture actor of the MCP conformance suite" },
    { .table = "conformance",
      .key = "role",
      .type = vt::string,
      .default_value = R"("business_intelligence")",
      .doc = "the role whose node runs the fixture actor; some node must run "
             "it" },
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
    { .name = "edge",
      .keys = "edge",
      .kind = table_kind::table,
      .header = "[edge]",
      .doc = "the MCP endpoint of nodes that run the edge role" },
    { .name = "api_keys",
      .keys = "api_keys.*",
      .kind = table_kind::named_tables,
      .header = "[api_keys.NAME]",
      .doc = "one bearer key of the MCP edge; with none, the edge needs no "
             "key" },
    { .name = "conformance",
      .keys = "conformance",
      .kind = table_kind::table,
      .header = "[conformance]",
      .doc = "the MCP conformance-suite fixtures" },
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

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
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

bool is_api_key_reference(std::string_view x) {
  constexpr std::string_view hash = "sha256:";
  if (x.starts_with(hash)) {
    x.remove_prefix(hash.size());
    return x.size() == 64 && std::all_of(x.begin(), x.end(), is_hex_digit);
  }
  return (x.starts_with("env:") && x.size() > 4) ||
         (x.starts_with("file:") && x.size() > 5);
}

const std::vector<std::string_view>& domain_port_keys() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> xs;
    for (auto d : mcp_domains())
      xs.push_back(std::string{ d } + "_port");
    return xs;
  }();
  static const std::vector<std::string_view> keys{ names.begin(), names.end() };
  return keys;
}

} // namespace sophia::runtime::config
