#pragma once

#include <memory>
#include <string>
#include <variant>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "actors/edge/auth.hpp"
#include "actors/edge/exchange.hpp"

namespace sophia::actors::edge {

/// What the HTTP checks need to know of the server.
struct http_check_context {
  /// Hosts and origins accepted (DNS-rebinding protection).
  const origin_policy* origins = nullptr;
  /// Bearer keys; null or empty: the endpoint needs no key.
  const key_ring* keys = nullptr;
  /// The domain of the port the request came in on (empty: `/mcp` serves
  /// every domain and `/mcp/DOMAIN` one).
  std::string_view port_domain;
  /// The peer's address, for per-client quotas.
  std::string_view peer;
};

/// An HTTP answer that ends a request before the engine sees it.
struct http_rejection {
  int status = 400;
  /// A JSON-RPC error object (serialized).
  std::string body;
  exchange::headers headers;
};

/// What `check_request` decides: the request for the engine (without its
/// exchange), or the answer.
using http_verdict = std::variant<inbound_ptr, http_rejection>;

/// Everything HTTP alone can decide about an MCP request, as a pure
/// function (fuzzed on its own): the path (`/mcp`, `/mcp/DOMAIN`), Host and
/// Origin, the API key, `MCP-Protocol-Version`, the method, `Accept`,
/// `Content-Type` and the JSON syntax of a POST body. The rest is the
/// engine's (sessions, JSON-RPC, batches).
http_verdict check_request(
  const boost::beast::http::request<boost::beast::http::string_body>& req,
  const http_check_context& ctx);

/// Whether an Accept header admits `type` (`text/event-stream`), directly or
/// through `text/*` or `*/*`.
bool accepts(std::string_view accept, std::string_view type);

} // namespace sophia::actors::edge
