#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>

#include "actors/edge/catalog.hpp"
#include "actors/edge/edge_actor.hpp"
#include "actors/edge/exchange.hpp"
#include "actors/edge/replay_buffer.hpp"
#include "actors/edge/session.hpp"
#include "actors/edge/session_table.hpp"

namespace sophia::actors::edge {

/// One client request as the method table sees it.
struct rpc_request {
  /// The stream its notifications and answer go to.
  uint64_t stream;
  const std::string& method;
  const nlohmann::json& params;
  /// The serialized JSON-RPC id.
  const std::string& id_json;
};

/// The state of the edge actor: everything MCP, driven by messages from
/// transports and providers. One concept per file:
/// - engine.cpp: transports in, sessions and their streams;
/// - engine_methods.cpp: the method table (what each MCP method does);
/// - builtins.cpp: the edge's own tools and resources;
/// - engine_calls.cpp: calls to providers, their notifications and asks;
/// - engine_catalog.cpp: finding providers in the registry.
class engine {
public:
  engine();
  ~engine();

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

  /// Refreshes the catalog, ends idle sessions, retries or fails parked
  /// calls, and logs what the edge had to shed.
  void tick();

  /// Answers once the catalog has been loaded from the registry (or at
  /// once when it was): the number of providers.
  caf::result<size_t> when_ready();

  /// A monitored provider terminated: drop it until the registry shows it
  /// again.
  void on_down(const caf::actor_addr& who);

  /// The edge's own figures: sessions (live, evicted, refused), replay
  /// memory, calls in flight and parked, and the HTTP transport's.
  nlohmann::json status() const;

private:
  // -- engine.cpp: transports in, sessions, streams ---------------------------
  void handle_post(const inbound_ptr& in);
  void handle_batch(const inbound_ptr& in);
  void handle_get(const inbound_ptr& in);
  void handle_delete(const inbound_ptr& in);
  session* find_session(const inbound_ptr& in);
  void initialize(const inbound_ptr& in, const std::string& id_json);
  void request(session& s, const inbound_ptr& in, const std::string& id_json);
  void notification(session& s, const inbound_ptr& in);
  void response(session& s, const nlohmann::json& msg);
  void end_session(const std::string& id, session_table::end_reason why);
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
  /// The session of a request and whether it is still waited for.
  inflight* waiting(const std::string& session_id,
                    const std::string& key,
                    session** s);
  /// Logs evictions and refusals since the last summary (at most every
  /// 10 s, so that a flood does not flood the log too).
  void log_shedding();

  // -- engine_methods.cpp: the method table ----------------------------------
  using method_fn = void (engine::*)(session&, const rpc_request&);
  static const std::unordered_map<std::string_view, method_fn>& methods();
  void dispatch(session& s, const rpc_request& r);
  /// Answers `r` with -32602 "Invalid params: WHY".
  void invalid_params(session& s, const rpc_request& r, std::string why);
  /// Answers `r` with -32002 "Resource not found: URI".
  void resource_not_found(session& s,
                          const rpc_request& r,
                          const std::string& uri);
  void m_ping(session& s, const rpc_request& r);
  void m_list(session& s, const rpc_request& r);
  void m_read(session& s, const rpc_request& r);
  void m_subscribe(session& s, const rpc_request& r);
  void m_prompt(session& s, const rpc_request& r);
  void m_complete(session& s, const rpc_request& r);
  void m_set_level(session& s, const rpc_request& r);
  void m_call(session& s, const rpc_request& r);

  // -- builtins.cpp: the edge's own tools and resources -----------------------
  /// Their descriptors, for the catalog.
  static std::vector<nlohmann::json> builtin_tools();
  static std::vector<nlohmann::json> builtin_resources();
  void call_builtin(session& s,
                    const catalog::item& tool,
                    const nlohmann::json& args,
                    const std::string& key);
  /// Answers `resources/read` of a built-in resource; false for others.
  bool read_builtin(session& s, const std::string& uri, const std::string& key);
  void cluster_status(
    std::function<void(std::string text, nlohmann::json structured)> done);

  // -- engine_calls.cpp: calls to providers ----------------------------------
  void call_tool(session& s,
                 const nlohmann::json& params,
                 const std::string& id_json);
  void forward(session& s,
               const std::string& method,
               const catalog::item& owner,
               nlohmann::json params,
               const std::string& id_json);
  /// Tries the parked calls again (the catalog changed) or fails those
  /// whose wait is over.
  void retry_parked();

  // -- engine_catalog.cpp: providers from the registry ------------------------
  void refresh();
  void describe(const std::string& key, const std::string& node);
  void rebuild();
  void check_loaded();

  std::string new_id();
  /// The actor system's clock (a test's simulated one on the test
  /// coordinator).
  std::chrono::steady_clock::time_point now() const;

  mutable std::mutex mtx_;
  caf::event_based_actor* self_ = nullptr;
  edge_options opts_;
  std::set<std::string> inline_tools_;
  /// `[edge] responses = "sse"`: answers are events, not JSON bodies.
  bool sse_responses_ = true;
  std::mt19937_64 rng_;
  int ticks_ = 0;

  /// Declared before the sessions, whose replay buffers it bounds: it is
  /// destroyed after them.
  std::unique_ptr<replay_budget> budget_;
  session_table sessions_;
  /// What `log_shedding` reported last.
  session_table::counters logged_;
  std::chrono::steady_clock::time_point logged_at_;

  /// Where each call in flight belongs: call id -> (session, request key).
  std::unordered_map<std::string, std::pair<std::string, std::string>> calls_;
  uint64_t next_call_ = 0;
  /// Server-to-client requests waiting for the client's answer.
  struct pending_ask {
    caf::typed_response_promise<std::string> promise;
    std::string session;
    std::string call_id;
  };
  std::unordered_map<std::string, pending_ask> asks_;
  uint64_t next_ask_ = 0;
  /// Calls to a tool whose node just went down, waiting for it to come
  /// back: (session, request key, params, until).
  struct parked_call {
    std::string session;
    std::string key;
    nlohmann::json params;
    std::chrono::steady_clock::time_point until;
  };
  std::deque<parked_call> parked_;
  /// Tools that left the catalog, and when: a call to one of them within
  /// `failover_wait_ms` is parked, not failed.
  std::map<std::string, std::chrono::steady_clock::time_point> gone_;

  catalog catalog_;
  caf::actor registry_;
  /// Providers by registry key, and the keys being described.
  std::map<std::string, provider> providers_;
  std::set<std::string> describing_;
  bool refreshing_ = false;
  /// Whether a refresh saw the registry and described every provider.
  bool loaded_ = false;
  std::vector<caf::typed_response_promise<size_t>> ready_waiters_;
};

/// The actor's state: the engine it shares with the transports.
struct engine_box {
  engine_box() = default;
  std::shared_ptr<engine> core;
  static inline const char* name = "sophia.edge";
};

} // namespace sophia::actors::edge
