#pragma once

// Stand-ins for what surrounds the MCP edge engine in a node, for tests on
// CAF's test coordinator (engine_test.cpp and friends) and on real threads
// (http_test.cpp): an exchange that records what the engine sends, a
// membership actor, a registry (name list, lookups, call routing) and a
// provider whose behavior each call picks with its `mode` argument.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/edge/edge_actor.hpp"
#include "actors/edge/exchange.hpp"
#include "runtime/call/call.hpp"
#include "runtime/error.hpp"
#include "runtime/mcp/provider.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::edge_test {

using namespace sophia::runtime;
using nlohmann::json;
namespace edge = sophia::actors::edge;

// -- the transport side: an exchange that records every call ------------------

/// One call the engine made on an exchange.
struct record {
  /// fail, reply, reply_event, accepted, event, end, set_session
  std::string what;
  int status = 0;
  /// Event id (event, reply_event) or session id (set_session).
  std::string id;
  /// Body (fail), JSON (reply, reply_event) or event data.
  std::string data;
};

class recording_exchange : public edge::exchange {
public:
  void fail(int status, std::string body, headers) override {
    add({ "fail", status, {}, std::move(body) });
  }
  void reply(std::string json_text) override {
    add({ "reply", 0, {}, std::move(json_text) });
  }
  void reply_event(std::string_view id, std::string json_text) override {
    add({ "reply_event", 0, std::string{ id }, std::move(json_text) });
  }
  void accepted() override { add({ "accepted", 0, {}, {} }); }
  void event(std::string_view id, std::string data) override {
    add({ "event", 0, std::string{ id }, std::move(data) });
  }
  void end() override { add({ "end", 0, {}, {} }); }
  void set_session(std::string id) override {
    add({ "set_session", 0, std::move(id), {} });
  }
  bool alive() const override { return alive_; }
  bool streams() const override { return true; }

  /// The client went away: the engine must only buffer from now on.
  void drop() { alive_ = false; }

  std::vector<record> records() const {
    std::lock_guard<std::mutex> guard{ mx_ };
    return log_;
  }

  std::vector<record> of(const std::string& what) const {
    std::vector<record> out;
    for (auto& r : records())
      if (r.what == what) out.push_back(r);
    return out;
  }

  size_t count(const std::string& what) const { return of(what).size(); }

  /// The events that carry data (not priming events), in order.
  std::vector<record> data_events() const {
    std::vector<record> out;
    for (auto& r : records())
      if (r.what == "event" && !r.data.empty()) out.push_back(r);
    return out;
  }

  /// The final answer (`reply` or `reply_event`), if one was sent.
  std::optional<json> answer() const {
    std::optional<json> out;
    for (auto& r : records())
      if (r.what == "reply" || r.what == "reply_event")
        out = json::parse(r.data);
    return out;
  }

  /// The parsed body of the single `fail`.
  std::optional<std::pair<int, json>> failure() const {
    auto fs = of("fail");
    if (fs.size() != 1) return std::nullopt;
    return std::pair{ fs[0].status,
                      fs[0].data.empty() ? json{} : json::parse(fs[0].data) };
  }

  /// Index of the first record of `what` (records().size() when none).
  size_t index_of(const std::string& what) const {
    auto rs = records();
    for (size_t i = 0; i < rs.size(); ++i)
      if (rs[i].what == what) return i;
    return rs.size();
  }

private:
  void add(record r) {
    std::lock_guard<std::mutex> guard{ mx_ };
    log_.push_back(std::move(r));
  }

  mutable std::mutex mx_;
  std::vector<record> log_;
  std::atomic<bool> alive_{ true };
};

using exchange_ptr = std::shared_ptr<recording_exchange>;

// -- the cluster side ---------------------------------------------------------

/// What the stand-in registry knows and saw.
struct registry_state {
  /// The answer to `(get_atom, all)`.
  std::vector<std::string> names;
  /// What `mcp.fake@n2` resolves to.
  caf::actor provider;
  /// Trace ids of the calls it routed.
  std::vector<std::string> routed;
};

using registry_state_ptr = std::shared_ptr<registry_state>;

inline constexpr const char* provider_key = "mcp.fake@n2";

inline caf::behavior stand_in_registry(caf::event_based_actor* self,
                                       registry_state_ptr st) {
  return {
    [st](caf::get_atom, atoms::all) { return st->names; },
    [=](caf::get_atom, const std::string& name) -> caf::result<caf::actor> {
      if (name == provider_key && st->provider) return st->provider;
      return make_error(errc::not_found,
                        "no actor registered as '" + name + "'");
    },
    [=](atoms::call,
        const caf::actor& target,
        const wire::buffer& env,
        caf::timespan,
        const caf::actor& channel) {
      if (auto e = wire::decode_call_envelope(env))
        st->routed.push_back(e->trace_id);
      return self->delegate(target, atoms::call::value, env, channel);
    },
  };
}

inline caf::behavior stand_in_membership(caf::event_based_actor*,
                                         caf::actor reg) {
  return {
    [reg](caf::get_atom, atoms::registry) { return reg; },
  };
}

/// What the stand-in provider saw, and the calls it holds.
struct provider_log {
  std::string descriptor;
  struct call_seen {
    std::string trace_id;
    std::string method;
    std::string caller;
    json params;
  };
  std::vector<call_seen> calls;
  std::vector<std::string> cancelled;
  /// The client's results of asks, as the provider received them.
  std::vector<std::string> answers;
  std::vector<std::string> ask_errors;
  std::map<std::string, caf::typed_response_promise<wire::buffer>> held;
};

using provider_log_ptr = std::shared_ptr<provider_log>;

inline std::string text_result(const std::string& text, bool is_error = false) {
  json r{ { "content",
            json::array({ { { "type", "text" }, { "text", text } } }) } };
  if (is_error) r["isError"] = true;
  return r.dump();
}

inline json progress(int n) {
  return { { "jsonrpc", "2.0" },
           { "method", "notifications/progress" },
           { "params", { { "progressToken", "tok" }, { "progress", n } } } };
}

inline json log_message(const std::string& level, const std::string& text) {
  return { { "jsonrpc", "2.0" },
           { "method", "notifications/message" },
           { "params", { { "level", level }, { "data", text } } } };
}

/// Modes (argument `mode`): reply (default), notify (one progress, then the
/// result), stream (`count` info messages of `size` bytes, then the result),
/// notify2hold (two progress, then waits), hold (waits), log (an info and an
/// error message, then the result), ask (asks the client to sample, then
/// answers with what it said), badlog (a notifications/message without params,
/// then the result), badupdate (a resources/updated without params, tied to no
/// call, then the result). A held call finishes with
/// `(ok_atom, call_id, text)`.
inline caf::behavior fake_provider(caf::event_based_actor* self,
                                   provider_log_ptr log) {
  return {
    [log](mcp::describe) { return log->descriptor; },
    [=](atoms::call,
        const wire::buffer& env,
        const caf::actor& channel) -> caf::result<wire::buffer> {
      auto e = wire::decode_call_envelope(env);
      if (!e) return e.error();
      auto params = json::parse(e->payload, nullptr, false);
      log->calls.push_back({ e->trace_id, e->method, e->caller, params });
      auto id = e->trace_id;
      json args = params.is_object() && params.contains("arguments") &&
                      params["arguments"].is_object()
                    ? params["arguments"]
                    : json::object();
      auto mode = args.value("mode", std::string{ "reply" });
      auto text = args.value("text", std::string{});
      auto note = [&](const json& n) {
        self->send(channel, mcp::notify::value, id, n.dump());
      };
      if (mode == "notify" || mode == "notify2hold") note(progress(1));
      if (mode == "stream") {
        auto pad = std::string(args.value("size", size_t{ 1000 }), 'x');
        for (int i = 0; i < args.value("count", 100); ++i)
          note(log_message("info", pad));
      }
      if (mode == "notify2hold") note(progress(2));
      if (mode == "log") {
        note(log_message("info", "an info line"));
        note(log_message("error", "an error line"));
      }
      if (mode == "badlog")
        note(
          json{ { "jsonrpc", "2.0" }, { "method", "notifications/message" } });
      if (mode == "badupdate")
        self->send(channel,
                   mcp::notify::value,
                   std::string{},
                   json{ { "jsonrpc", "2.0" },
                         { "method", "notifications/resources/updated" } }
                     .dump());
      if (mode == "hold" || mode == "notify2hold") {
        auto rp = self->make_response_promise<wire::buffer>();
        log->held.emplace(id, rp);
        return rp;
      }
      if (mode == "ask") {
        auto rp = self->make_response_promise<wire::buffer>();
        json q{ { "method", "sampling/createMessage" },
                { "params",
                  { { "messages",
                      json::array(
                        { { { "role", "user" },
                            { "content",
                              { { "type", "text" }, { "text", text } } } } }) },
                    { "maxTokens", 10 } } } };
        self->request(channel, caf::infinite, mcp::ask::value, id, q.dump())
          .then(
            [=](const std::string& answer) mutable {
              log->answers.push_back(answer);
              rp.deliver(
                call::make_reply(text_result("client said " + answer)));
            },
            [=](caf::error& err) mutable {
              log->ask_errors.push_back(self->system().render(err));
              rp.deliver(call::make_reply(
                text_result("the client did not answer", true)));
            });
        return rp;
      }
      return call::make_reply(text_result("fake: " + text));
    },
    [=](mcp::cancel, const std::string& call_id) {
      log->cancelled.push_back(call_id);
    },
    [=](caf::ok_atom, const std::string& call_id, const std::string& text) {
      auto i = log->held.find(call_id);
      if (i == log->held.end()) return;
      i->second.deliver(call::make_reply(text_result(text)));
      log->held.erase(i);
    },
  };
}

inline const char* fake_descriptor = R"({
  "service": "fake",
  "domain": "infrastructure_intelligence",
  "tools": [
    {"name": "work", "description": "does work as its mode says",
     "inputSchema": {"type": "object",
                     "properties": {"text": {"type": "string"},
                                    "mode": {"type": "string"},
                                    "count": {"type": "integer"},
                                    "size": {"type": "integer"}},
                     "required": ["text"], "additionalProperties": false}},
    {"name": "other", "description": "another tool",
     "inputSchema": {"type": "object", "properties": {}}}
  ]})";

} // namespace sophia::edge_test
