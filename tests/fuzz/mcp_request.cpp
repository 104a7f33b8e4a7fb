// The MCP request path: whole request bodies through JSON-RPC framing and the
// engine's method handling, on a real actor system among the stand-ins of
// tests/actors/edge/standins.hpp (a registry and a provider whose tool
// answers at once). The first byte picks the session (none, a 2025-11-25
// one, a 2025-03-26 one that may batch, an unknown one) and the verb; the
// rest is the body (POST) or the Last-Event-ID (GET). Every request must get
// an answer or, for a GET, an open stream; and the engine must keep
// answering pings in its sessions.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

#include "runtime/log.hpp"
#include "runtime/system/setup.hpp"
#include "tests/actors/edge/standins.hpp"
#include "tests/fuzz/fuzz_target.hpp"

using namespace sophia::edge_test;

namespace {

/// An exchange that tells whether the engine did anything with it.
class witness : public edge::exchange {
public:
  void fail(int, std::string, headers) override { mark(); }
  void reply(std::string) override { mark(); }
  void reply_event(std::string_view, std::string) override { mark(); }
  void accepted() override { mark(); }
  void event(std::string_view, std::string) override { mark(); }
  void end() override { mark(); }
  void set_session(std::string id) override {
    std::lock_guard<std::mutex> guard{ mtx_ };
    session_ = std::move(id);
  }
  bool alive() const override { return true; }
  bool streams() const override { return true; }

  /// Whether the engine did anything with it within `max` (a call to the
  /// provider is answered a moment after the engine handled the request).
  bool touched(std::chrono::milliseconds max = std::chrono::seconds{ 3 }) {
    std::unique_lock<std::mutex> guard{ mtx_ };
    return cv_.wait_for(guard, max, [this] { return touched_; });
  }
  std::string session() {
    std::lock_guard<std::mutex> guard{ mtx_ };
    return session_;
  }

private:
  void mark() {
    std::lock_guard<std::mutex> guard{ mtx_ };
    touched_ = true;
    cv_.notify_all();
  }
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  bool touched_ = false;
  std::string session_;
};

constexpr const char* fuzz_descriptor = R"({
  "service": "fake", "domain": "data_intelligence",
  "tools": [{"name": "work", "description": "answers at once",
             "inputSchema": {"type": "object",
                             "properties": {"text": {"type": "string"}},
                             "additionalProperties": false}}],
  "resources": [{"uri": "test://r", "name": "r"}],
  "prompts": [{"name": "p", "description": "a prompt"}]})";

struct world {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> self;
  registry_state_ptr reg = std::make_shared<registry_state>();
  provider_log_ptr plog = std::make_shared<provider_log>();
  caf::actor engine, provider, registry, membership;
  std::string current;  // 2025-11-25
  std::string batching; // 2025-03-26

  world() {
    log::init("fuzz", "off");
    sophia::runtime::system::announce(cfg);
    cfg.set("scheduler.max-threads", 1);
    sys = std::make_unique<caf::actor_system>(cfg);
    self = std::make_unique<caf::scoped_actor>(*sys);
    plog->descriptor = fuzz_descriptor;
    provider = sys->spawn(fake_provider, plog);
    reg->names = { provider_key };
    reg->provider = provider;
    registry = sys->spawn(stand_in_registry, reg);
    membership = sys->spawn(stand_in_membership, registry);
    config::edge_config ec;
    ec.call_timeout_ms = 2000;
    ec.max_sessions = 1000000;
    ec.max_sessions_per_client = 100;
    ec.replay_budget_bytes = 1 << 20;
    auto m = membership;
    engine = edge::spawn_edge(
      *sys, edge::edge_options{ "n1", ec, [m] { return m; }, nullptr, {} });
    settle();
    current = open("2025-11-25");
    batching = open("2025-03-26");
    // The world lives as long as the process: its actors keep running while
    // static objects they use (loggers) are destroyed at exit, so the
    // process ends right there (libFuzzer ends with exit(0); a crash ends
    // it earlier with _Exit).
    std::atexit([] {
      std::fflush(nullptr);
      std::_Exit(0);
    });
  }

  /// Waits until the engine handled everything sent to it so far.
  void settle() {
    (*self)
      ->request(
        engine, caf::infinite, caf::get_atom::value, atoms::status::value)
      .receive([](size_t) {}, [](caf::error&) {});
  }

  std::shared_ptr<witness> send(edge::inbound::verb what,
                                std::string session,
                                std::string client,
                                nlohmann::json body,
                                std::string last_event_id = {}) {
    auto in = std::make_shared<edge::inbound>();
    in->what = what;
    in->session = std::move(session);
    in->client = std::move(client);
    in->body = std::move(body);
    in->last_event_id = std::move(last_event_id);
    auto out = std::make_shared<witness>();
    in->out = out;
    (*self)->send(engine, edge::atoms::mcp_in::value, edge::inbound_ptr{ in });
    settle();
    return out;
  }

  std::string open(const std::string& version) {
    auto out = send(edge::inbound::verb::post,
                    {},
                    "ip:fixed",
                    { { "jsonrpc", "2.0" },
                      { "id", 1 },
                      { "method", "initialize" },
                      { "params", { { "protocolVersion", version } } } });
    auto sid = out->session();
    SOPHIA_FUZZ_CHECK(!sid.empty());
    send(edge::inbound::verb::post,
         sid,
         "ip:fixed",
         { { "jsonrpc", "2.0" }, { "method", "notifications/initialized" } });
    return sid;
  }

  /// Whether a ping in `sid` is answered.
  bool pings(const std::string& sid) {
    auto out =
      send(edge::inbound::verb::post,
           sid,
           "ip:fixed",
           { { "jsonrpc", "2.0" }, { "id", "ping" }, { "method", "ping" } });
    return out->touched();
  }
};

} // namespace

SOPHIA_FUZZ_TARGET(mcp_request) {
  static world& w = *new world;
  if (size == 0) return 0;
  auto mode = data[0];
  std::string rest{ reinterpret_cast<const char*>(data + 1), size - 1 };
  std::string session;
  switch (mode & 3) {
    case 0: break;
    case 1: session = w.current; break;
    case 2: session = w.batching; break;
    default: session = "0123456789abcdef0123456789abcdef"; break;
  }
  auto verb = (mode >> 2) & 3;
  std::shared_ptr<witness> out;
  if (verb == 2) {
    out = w.send(edge::inbound::verb::get, session, "ip:fuzz", {}, rest);
  } else if (verb == 3 && (mode & 3) != 1 && (mode & 3) != 2) {
    out = w.send(edge::inbound::verb::del, session, "ip:fuzz", {});
  } else {
    // What the HTTP layer hands over: bodies that are JSON.
    auto body = nlohmann::json::parse(rest, nullptr, false);
    if (body.is_discarded()) return 0;
    out =
      w.send(edge::inbound::verb::post, session, "ip:fuzz", std::move(body));
  }
  SOPHIA_FUZZ_CHECK(out->touched());
  // The edge serves on.
  SOPHIA_FUZZ_CHECK(w.pings(w.current));
  return 0;
}
