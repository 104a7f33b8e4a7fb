#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>

#include "actors/edge/auth.hpp"
#include "actors/edge/counters.hpp"
#include "actors/edge/edge_actor.hpp"
#include "runtime/config/cluster_config.hpp"

namespace sophia::actors::edge {

/// What the HTTP transport needs besides the engine.
struct http_options {
  runtime::config::edge_config config;
  /// Hosts and origins accepted (DNS-rebinding protection).
  origin_policy origins;
  /// Bearer keys; empty means the endpoint needs no key.
  std::shared_ptr<const key_ring> keys;
  /// The engine's fast path (see `spawn_edge`), tried before the actor.
  inline_handler fast;
  /// Where the transport counts what it does (made by `start` when null).
  std::shared_ptr<http_counters> counters;
};

/// MCP Streamable HTTP (2025-11-25) on Boost.Beast: `/mcp` serves every
/// tool, `/mcp/DOMAIN` one domain's; POST carries JSON-RPC (answered with
/// JSON or an SSE stream), GET opens the standalone SSE stream (or resumes
/// one with `Last-Event-ID`), DELETE ends a session. Checks what HTTP alone
/// can (method, path, Host/Origin, API key, Accept, Content-Type,
/// MCP-Protocol-Version, body size, JSON syntax) and hands the rest to the
/// engine. Runs on its own threads (`io_threads`), not the actor scheduler.
///
/// Hostile and broken clients: a request's header must arrive within
/// `header_timeout_ms` of its first byte; at `max_connections` (kept below
/// the file limit) a new connection gets 503 at once; a body over
/// `max_body_bytes` gets 413, and the rest of it is read and dropped
/// (lingering close, as nginx does) so that the client reads the answer;
/// a stream whose client does not read is dropped once its unsent bytes
/// pass its share of `replay_budget_bytes`; idle SSE streams get a comment
/// line every `sse_keepalive_ms`.
class http_server {
public:
  ~http_server();

  /// Starts serving on `[edge] address:port`, plus each configured domain
  /// port; fails with a clear error when a port cannot be bound. `port`
  /// overrides the configured MCP port (0 keeps it).
  static caf::expected<std::unique_ptr<http_server>> start(caf::actor engine,
                                                           http_options opts,
                                                           uint16_t port = 0);

  /// The ports actually bound (the MCP port first).
  const std::vector<uint16_t>& ports() const noexcept;

  /// Stops accepting, ends idle connections and SSE streams, lets answers in
  /// progress finish for up to `drain`, then stops the threads.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds{
              2000 });

  struct impl;

private:
  explicit http_server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace sophia::actors::edge
