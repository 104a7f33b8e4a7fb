#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>

#include "actors/edge/catalog.hpp"
#include "actors/edge/edge_actor.hpp"
#include "actors/edge/exchange.hpp"
#include "actors/edge/session.hpp"

namespace sophia::actors::edge {

/// The state of the edge actor: everything MCP, driven by messages from
/// transports and providers. Split over `engine*.cpp` by concern.
class engine {
public:
  engine() = default;

  /// Starts the refresh timer.
  void init(caf::event_based_actor* self, edge_options opts);

  /// The lock every entry point holds: the actor's handlers and response
  /// continuations, and transports calling `try_inline` on their threads.
  std::unique_lock<std::mutex> lock() { return std::unique_lock{ mtx_ }; }

  /// Handles `in` on the caller's thread when it needs nothing but the
  /// engine's state (ping, the lists, setLevel, the edge's own tools):
  /// no hop to the actor and back. Returns false for anything else.
  bool try_inline(const inbound_ptr& in);

  /// The actor is gone: `try_inline` declines from now on.
  void detach() { self_ = nullptr; }

  /// Handles one message from a transport.
  void handle(const inbound_ptr& in);

  /// A provider's notification tied to `call_id` (or to a resource).
  void on_notify(const std::string& call_id, const std::string& json);

  /// A provider asks the client something in the call `call_id`.
  caf::result<std::string> on_ask(const std::string& call_id,
                                  const std::string& json);

  /// Refreshes the catalog and ends idle sessions.
  void tick();

  /// Answers once the catalog has been loaded from the registry (or at
  /// once when it was): the number of providers.
  caf::result<size_t> when_ready();

private:
  // -- engine.cpp: sessions, streams, dispatch --------------------------------
  void handle_post(const inbound_ptr& in);
  void handle_get(const inbound_ptr& in);
  void handle_delete(const inbound_ptr& in);
  session* find_session(const inbound_ptr& in);
  void initialize(const inbound_ptr& in, const std::string& id_json);
  void request(session& s, const inbound_ptr& in, const std::string& id_json);
  void notification(session& s, const inbound_ptr& in);
  void response(session& s, const nlohmann::json& msg);
  void end_session(const std::string& id, const char* why);
  /// Sends `json` on stream `sid` of `s` (buffered for replay).
  void emit(session& s, uint64_t sid, std::string json);
  /// Sends the final answer of the request `key` and forgets it.
  void finish(session& s, const std::string& key, std::string json);
  /// Fails the client requests a call is waiting for (it ended).
  void drop_asks(const std::string& call_id, const char* why);
  /// Sends `json` to every initialized session (list_changed, updates).
  void broadcast(const std::string& json,
                 const std::string& uri_filter = std::string{});
  /// The catalog view of a session.
  catalog::view view_of(const session& s) const;

  // -- engine_methods.cpp: MCP methods ----------------------------------------
  void dispatch(session& s,
                uint64_t sid,
                const std::string& method,
                const nlohmann::json& params,
                const std::string& id_json);
  void call_tool(session& s,
                 uint64_t sid,
                 const nlohmann::json& params,
                 const std::string& id_json);
  void call_builtin(session& s,
                    const catalog::item& tool,
                    const nlohmann::json& args,
                    const std::string& key);
  void forward(session& s,
               uint64_t sid,
               const std::string& method,
               const catalog::item& owner,
               nlohmann::json params,
               const std::string& id_json);
  void read_resource(session& s,
                     uint64_t sid,
                     const nlohmann::json& params,
                     const std::string& id_json);
  void cluster_status(
    std::function<void(std::string text, nlohmann::json structured)> done);

  // -- engine_catalog.cpp: providers from the registry ------------------------
  void refresh();
  void describe(const std::string& key, const std::string& node);
  void rebuild();

public:
  /// A monitored provider terminated: drop it until the registry shows it
  /// again.
  void on_down(const caf::actor_addr& who);

private:
  std::string new_id();

  std::mutex mtx_;
  caf::event_based_actor* self_ = nullptr;
  std::set<std::string> inline_tools_;
  edge_options opts_;
  std::unordered_map<std::string, std::unique_ptr<session>> sessions_;
  /// Where each call in flight belongs: call id -> (session, request key).
  std::unordered_map<std::string, std::pair<std::string, std::string>> calls_;
  /// Server-to-client requests waiting for the client's answer.
  struct pending_ask {
    caf::typed_response_promise<std::string> promise;
    std::string session;
    std::string call_id;
  };
  std::unordered_map<std::string, pending_ask> asks_;
  uint64_t next_ask_ = 0;
  uint64_t next_call_ = 0;
  std::mt19937_64 rng_;

  catalog catalog_;
  caf::actor registry_;
  /// Providers by registry key, and the keys being described.
  std::map<std::string, provider> providers_;
  std::set<std::string> describing_;
  bool refreshing_ = false;
  /// Whether a refresh saw the registry and described every provider.
  bool loaded_ = false;
  std::vector<caf::typed_response_promise<size_t>> ready_waiters_;
  void check_loaded();
  /// `[edge] responses = "sse"`: answers are events, not JSON bodies.
  bool sse_responses_ = true;
  int ticks_ = 0;
};

/// The actor's state: the engine it shares with the transports.
struct engine_box {
  engine_box() = default;
  std::shared_ptr<engine> core;
  static inline const char* name = "sophia.edge";
};

} // namespace sophia::actors::edge
