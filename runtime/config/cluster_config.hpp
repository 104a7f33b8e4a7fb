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

/// `[edge]`: the MCP endpoint of nodes that run the `edge` role.
struct edge_config {
  /// Address to bind; 0.0.0.0 must be asked for explicitly.
  std::string address = "127.0.0.1";
  /// Streamable HTTP port (`/mcp` and `/mcp/<domain>`); a node's `edge_port`
  /// overrides it.
  uint16_t port = 8080;
  /// Extra Host/Origin names beyond localhost, 127.0.0.1, [::1] and the
  /// address.
  std::vector<std::string> allowed_hosts;
  /// Larger request bodies get 413.
  int64_t max_body_bytes = 4194304;
  /// Deadline of one request (tools/call etc.).
  int64_t call_timeout_ms = 60000;
  /// An idle keep-alive connection is closed after this.
  int64_t idle_timeout_ms = 300000;
  /// A request's header must arrive this soon after its first byte.
  int64_t header_timeout_ms = 10000;
  /// Open connections at most; more get 503 at once.
  int64_t max_connections = 4096;
  /// Idle SSE streams get a comment line this often.
  int64_t sse_keepalive_ms = 15000;
  /// A session unused this long is ended.
  int64_t session_idle_ms = 1800000;
  /// Live sessions at most: at capacity, `initialize` evicts the least
  /// recently active session without an open stream.
  int64_t max_sessions = 10000;
  /// Live sessions of one client (API key, else peer address) at most.
  int64_t max_sessions_per_client = 1000;
  /// SSE events kept per session for Last-Event-ID replay ...
  int64_t replay_events = 256;
  /// ... and at most this many bytes of them ...
  int64_t replay_bytes = 1048576;
  /// ... and this many bytes for all sessions together.
  int64_t replay_budget_bytes = 67108864;
  /// A call to a tool whose node just went down waits this long for it to
  /// come back (fail-over) before it fails.
  int64_t failover_wait_ms = 5000;
  /// Items per page of tools/list, resources/list and prompts/list.
  int64_t page_size = 100;
  /// How a POST is answered: "sse" (an event stream, resumable) or "json"
  /// (one JSON body unless the request streams notifications).
  std::string responses = "sse";
  /// Threads running the HTTP server.
  int64_t io_threads = 1;
  /// Optional extra ports serving only that domain's tools (0 = none).
  uint16_t ai_intelligence_port = 0;
  uint16_t data_intelligence_port = 0;
  uint16_t infrastructure_intelligence_port = 0;
  uint16_t business_intelligence_port = 0;

  /// `DOMAIN_port` of one of `mcp_domains()`; 0 when unset or unknown.
  uint16_t domain_port(std::string_view domain) const;
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
  /// Overrides `[edge] port` for this node, so that several edge nodes can
  /// share a host; 0 means unset.
  uint16_t edge_port = 0;
  /// Serves /metrics, /healthz and /readyz; 0 means none.
  uint16_t admin_port = 0;
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
  /// Re-placed on a live standby node when its node is down.
  bool failover = false;
  /// Moves back to its original node when that node rejoins.
  bool move_back = false;
};

/// One `[services.NAME]` table: how to reach an external service. Its
/// client, retries, breaker and limits are those of `runtime/http`.
struct service_config {
  std::string name;
  /// Which client serves it: "auto" (the one named NAME) or
  /// "openai_compatible" (any OpenAI-compatible endpoint: vLLM, TGI, ...).
  std::string kind = "auto";
  /// A secret reference (`env:VAR`, `file:PATH`,
  /// `esc:ORG/PROJECT/ENV#path`) or a literal secret (discouraged; redacted
  /// when printed). Empty: the service is not configured.
  std::string api_key;
  /// The API root as the service documents it; paths are appended. Empty:
  /// the real host.
  std::string base_url;
  /// One attempt, from the first byte sent to the last read.
  int64_t timeout_ms = 30000;
  int64_t connect_timeout_ms = 5000;
  /// Attempts after the first, where retrying is safe.
  int64_t max_retries = 2;
  /// Base of the exponential backoff (with jitter) between attempts.
  int64_t backoff_ms = 250;
  /// Consecutive failures that open the circuit breaker (0: none) ...
  int64_t breaker_failures = 5;
  /// ... and how long it stays open before one probe goes through.
  int64_t breaker_cooldown_ms = 30000;
  /// Requests running at once (0: no limit).
  int64_t max_concurrency = 64;
  /// Requests a minute, a token bucket (0: no limit).
  int64_t rate_per_minute = 0;
  /// Larger responses fail.
  int64_t max_response_bytes = 33554432;
  /// Service-specific: Portkey's provider (`x-portkey-provider`), ...
  std::string provider;
  /// Portkey's virtual key (a secret reference, like api_key).
  std::string virtual_key;
  /// Portkey's config id (`x-portkey-config`).
  std::string config;
  /// Arize: the space id (a secret reference, like api_key).
  std::string space_id;
  /// Arize: the project traces go to (`openinference.project.name`).
  std::string project = "sophia";
};

/// `[api_keys.NAME]`: one bearer key of the MCP edge. With none, the edge
/// needs no key.
struct api_key_config {
  std::string name;
  /// A secret reference: `env:VAR`, `file:PATH` or `sha256:<64 hex digits>`
  /// (the SHA-256 of the key). A literal key is an error.
  std::string key;
  /// Glob patterns of the tools the key may list and call.
  std::vector<std::string> tools;
  source_position position;
};

/// `[conformance]`: the MCP conformance-suite fixtures (off by default).
struct conformance_config {
  bool enabled = false;
  /// The role whose node runs the fixture actor.
  std::string role = "business_intelligence";
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
  edge_config edge;
  std::map<std::string, api_key_config> api_keys;
  conformance_config conformance;

  /// Returns the node named `name`, or nullptr.
  const node_config* find_node(std::string_view name) const;
};

/// The roles a node may run; anything else in `roles`/`standby` is an error.
const std::vector<std::string_view>& known_roles();

/// The MCP domains: the roles whose tools a virtual server `/mcp/DOMAIN`
/// (and the optional `[edge] DOMAIN_port`) serves on their own.
const std::vector<std::string_view>& mcp_domains();

} // namespace sophia::runtime::config
