#pragma once

// The fixture of the engine's deterministic tests: the engine on CAF's test
// coordinator among the stand-ins of standins.hpp. Time only moves when a
// test says so (the engine has a 250 ms refresh timer, so the
// coordinator's `run()` is never used).

#include "tests/actors/edge/standins.hpp"
#include "tests/runtime/actor_fixture.hpp"

namespace sophia::edge_test {

using namespace sophia::runtime::test;

inline bool is_hex32(const std::string& x) {
  if (x.size() != 32) return false;
  for (auto c : x)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

inline std::vector<std::string> tool_names(const json& result) {
  std::vector<std::string> out;
  for (auto& t : result["tools"])
    out.push_back(t["name"].get<std::string>());
  return out;
}

inline bool contains(const std::vector<std::string>& xs, const std::string& x) {
  for (auto& y : xs)
    if (y == x) return true;
  return false;
}

struct fixture : actor_fixture {
  registry_state_ptr reg = std::make_shared<registry_state>();
  provider_log_ptr plog = std::make_shared<provider_log>();
  caf::actor provider;
  caf::actor registry;
  caf::actor membership;
  caf::actor engine;
  int next_id = 1;
  /// Who the requests come from (`inbound::client`), for quotas.
  std::string client = "ip:127.0.0.1";

  fixture() {
    plog->descriptor = fake_descriptor;
    provider = sys.spawn(fake_provider, plog);
    reg->names = { provider_key, "edge@n1", "membership@n2" };
    reg->provider = provider;
    registry = sys.spawn(stand_in_registry, reg);
    membership = sys.spawn(stand_in_membership, registry);
    consume_messages();
    start_edge(config::edge_config{});
  }

  ~fixture() override {
    plog->held.clear();
    shutdown({ engine, provider, registry, membership });
  }

  /// (Re)spawns the engine with `cfg` and lets it load the catalog.
  void start_edge(config::edge_config cfg) {
    if (engine) {
      caf::anon_send_exit(engine, caf::exit_reason::kill);
      consume_messages();
    }
    edge::edge_options opts;
    opts.node = "n1";
    opts.config = std::move(cfg);
    auto m = membership;
    opts.membership = [m] { return m; };
    engine = edge::spawn_edge(sys, std::move(opts));
    consume_messages();
  }

  exchange_ptr send_in(edge::inbound::verb what,
                       json body,
                       const std::string& session,
                       const std::string& last_event_id = {}) {
    auto in = std::make_shared<edge::inbound>();
    in->what = what;
    in->session = session;
    in->last_event_id = last_event_id;
    in->client = client;
    in->body = std::move(body);
    auto out = std::make_shared<recording_exchange>();
    in->out = out;
    self->send(engine, edge::atoms::mcp_in::value, edge::inbound_ptr{ in });
    consume_messages();
    return out;
  }

  exchange_ptr post(json body, const std::string& session = {}) {
    return send_in(edge::inbound::verb::post, std::move(body), session);
  }

  exchange_ptr get(const std::string& session,
                   const std::string& last_event_id = {}) {
    return send_in(edge::inbound::verb::get, json{}, session, last_event_id);
  }

  exchange_ptr del(const std::string& session) {
    return send_in(edge::inbound::verb::del, json{}, session);
  }

  json req(const std::string& method,
           json params = json::object(),
           std::optional<int> id = std::nullopt) {
    return { { "jsonrpc", "2.0" },
             { "id", id ? *id : next_id++ },
             { "method", method },
             { "params", std::move(params) } };
  }

  static json note(const std::string& method, json params = json::object()) {
    return { { "jsonrpc", "2.0" },
             { "method", method },
             { "params", std::move(params) } };
  }

  exchange_ptr initialize(const std::string& version,
                          json caps = json::object()) {
    return post(
      req("initialize",
          { { "protocolVersion", version },
            { "capabilities", std::move(caps) },
            { "clientInfo", { { "name", "test" }, { "version", "1" } } } }));
  }

  /// Opens an initialized session; returns its id.
  std::string open_session(const std::string& version = "2025-11-25",
                           json caps = json::object()) {
    auto out = initialize(version, std::move(caps));
    auto sets = out->of("set_session");
    CAF_REQUIRE_EQUAL(sets.size(), 1u);
    auto sid = sets[0].id;
    auto init = post(note("notifications/initialized"), sid);
    CAF_REQUIRE_EQUAL(init->count("accepted"), 1u);
    return sid;
  }

  json call_tool(const std::string& session,
                 const std::string& name,
                 json args,
                 exchange_ptr* out = nullptr) {
    auto ex = post(
      req("tools/call", { { "name", name }, { "arguments", std::move(args) } }),
      session);
    if (out != nullptr) *out = ex;
    auto a = ex->answer();
    CAF_REQUIRE(a.has_value());
    return *a;
  }

  /// The result of a request that must be answered at once.
  json result_of(const std::string& session,
                 const std::string& method,
                 json params = json::object()) {
    auto ex = post(req(method, std::move(params)), session);
    auto a = ex->answer();
    CAF_REQUIRE(a.has_value());
    if (!a->contains("result")) CAF_FAIL("no result: " << a->dump());
    return (*a)["result"];
  }

  std::string last_call_id() const {
    CAF_REQUIRE(!plog->calls.empty());
    return plog->calls.back().trace_id;
  }
};

} // namespace sophia::edge_test
