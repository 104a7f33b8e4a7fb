#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <nlohmann/json.hpp>

namespace sophia::actors::edge {

/// Where the engine's answers to one client request go: an HTTP request
/// (one JSON body, or an SSE stream) or the stdio writer. The engine calls
/// these from its actor; implementations hand the I/O to their own threads,
/// so every method is thread-safe and returns at once.
class exchange {
public:
  using headers = std::vector<std::pair<std::string, std::string>>;

  virtual ~exchange() = default;

  /// Ends the exchange with an HTTP status and a body (a JSON-RPC error, or
  /// empty). Ignored once anything was sent.
  virtual void fail(int status, std::string body, headers extra = {}) = 0;

  /// Sends one JSON-RPC message: as the JSON body (then the exchange ends)
  /// unless a stream is open, when it becomes the stream's last event.
  virtual void reply(std::string json) = 0;

  /// Sends the final answer as SSE event `id` (opening the stream first
  /// when needed) and ends the stream.
  virtual void reply_event(std::string_view id, std::string json) = 0;

  /// Ends the exchange with 202 Accepted (notifications, responses).
  virtual void accepted() = 0;

  /// Sends an SSE event, opening the stream first when needed.
  virtual void event(std::string_view id, std::string data) = 0;

  /// Ends an open stream; answers with an empty stream when nothing was sent.
  virtual void end() = 0;

  /// Sets `Mcp-Session-Id` on the response (before anything is sent).
  virtual void set_session(std::string id) = 0;

  /// Whether the peer is still there to receive.
  virtual bool alive() const = 0;

  /// Whether `event` sends events (HTTP) or plain messages (stdio).
  virtual bool streams() const = 0;
};

using exchange_ptr = std::shared_ptr<exchange>;

/// What a transport hands to the engine: one client message, already parsed,
/// with what the transport learned from its headers.
struct inbound {
  enum class verb { post, get, del };
  verb what = verb::post;
  /// `Mcp-Session-Id`, empty when absent.
  std::string session;
  /// `MCP-Protocol-Version`, empty when absent.
  std::string protocol_version;
  /// `Last-Event-ID` of a GET, empty when absent.
  std::string last_event_id;
  /// The virtual server: empty for every tool, else one domain.
  std::string domain;
  /// Who sent it, for per-client quotas: `key:NAME` when the edge needs API
  /// keys, else `ip:ADDRESS` of the peer (empty for stdio).
  std::string client;
  /// The API key the request carried (its name and tool patterns), or null
  /// when the edge needs no key.
  std::shared_ptr<const std::pair<std::string, std::vector<std::string>>> key;
  /// From stdio: one implicit session, no ids, no streams.
  bool stdio = false;
  nlohmann::json body;
  exchange_ptr out;
};

using inbound_ptr = std::shared_ptr<inbound>;

} // namespace sophia::actors::edge

// Only ever sent between actors of one process (transports -> engine).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sophia::actors::edge::inbound_ptr)
