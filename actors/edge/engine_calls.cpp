// Calls to providers: tools/call and the methods a provider answers, with
// deadlines, cancellation and fail-over waits; and what providers send back
// mid-call (notifications, asks).
#include "actors/edge/engine.hpp"

#include <caf/all.hpp>

#include "actors/edge/jsonrpc.hpp"
#include "runtime/call/call.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/mcp/provider.hpp"
#include "runtime/mcp/results.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::actors::edge {

namespace {

using json = nlohmann::json;
namespace rpc = jsonrpc;
using runtime::errc;

std::shared_ptr<spdlog::logger> lg() {
  static auto x = runtime::log::get("edge");
  return x;
}

/// A tool's failure as MCP wants it: a result, not a JSON-RPC error.
std::string tool_error(const std::string& text) {
  return runtime::mcp::error_result(text);
}

std::string describe_failure(const std::string& tool,
                             const caf::error& err,
                             int64_t timeout_ms) {
  switch (runtime::code_of(err)) {
    case errc::node_down:
      return "tool '" + tool +
             "' failed: the node running it went down during the call (" +
             runtime::detail_of(err) +
             "); it is safe to retry once the role has failed over";
    case errc::deadline_exceeded:
      return "tool '" + tool + "' timed out after " +
             std::to_string(timeout_ms) + " ms";
    case errc::not_found:
      return "tool '" + tool + "' is not available right now (" +
             runtime::detail_of(err) + ")";
    default: return "tool '" + tool + "' failed: " + runtime::detail_of(err);
  }
}

const json& member(const json& params, const char* key) {
  static const json none;
  auto i = params.find(key);
  return i == params.end() ? none : *i;
}

} // namespace

void engine::call_tool(session& s,
                       const json& params,
                       const std::string& id_json) {
  auto fail = [&](std::string text, std::string data = {}) {
    finish(s,
           id_json,
           data.empty() ? rpc::error(id_json, rpc::invalid_params, text)
                        : rpc::error(id_json, rpc::invalid_params, text, data));
  };
  auto& name = member(params, "name");
  if (!name.is_string()) return fail("Invalid params: name must be a string");
  const auto& tool_name = name.get_ref<const std::string&>();
  const auto* item = catalog_.tool(tool_name);
  if (item == nullptr) {
    // Its node just went down: wait for the role to come back elsewhere
    // rather than fail calls that were never sent anywhere.
    auto gone = gone_.find(tool_name);
    auto t = now();
    auto wait = std::chrono::milliseconds{ opts_.config.failover_wait_ms };
    if (gone != gone_.end() && t - gone->second < wait) {
      auto deadline =
        std::min(gone->second + wait,
                 t + std::chrono::milliseconds{ opts_.config.call_timeout_ms });
      s.requests[id_json].tool = tool_name;
      parked_.push_back({ s.id, id_json, params, deadline });
      return;
    }
  }
  if (item == nullptr || !catalog::visible(*item, view_of(s), true))
    return fail("Unknown tool: " + tool_name);
  static const json no_args = json::object();
  auto& given = member(params, "arguments");
  if (!given.is_null() && !given.is_object())
    return fail("Invalid params: arguments must be an object");
  const auto& args = given.is_null() ? no_args : given;
  if (item->schema) {
    auto errors = item->schema->validate(args);
    if (!errors.empty()) {
      std::string text = "Invalid arguments for tool " + tool_name + ": ";
      for (size_t i = 0; i < errors.size(); ++i)
        text += (i > 0 ? "; " : "") + errors[i];
      return fail(text, json{ { "errors", errors } }.dump());
    }
  }
  auto& f = s.requests[id_json];
  f.tool = tool_name;
  if (f.started == std::chrono::steady_clock::time_point{})
    f.started = std::chrono::steady_clock::now();
  if (!item->handle) return call_builtin(s, *item, args, id_json);
  if (!registry_)
    return finish(s,
                  id_json,
                  rpc::result(id_json,
                              tool_error("tool '" + tool_name +
                                         "' failed: the cluster "
                                         "registry is not reachable")));
  f.call_id = opts_.node + "-" + std::to_string(++next_call_);
  f.owner = item->handle;
  calls_[f.call_id] = { s.id, id_json };
  json payload{ { "name", item->original }, { "arguments", args } };
  if (auto& meta = member(params, "_meta"); meta.is_object())
    payload["_meta"] = meta;
  runtime::call::request req;
  req.method = "tools/call";
  req.payload = payload.dump();
  req.deadline = std::chrono::milliseconds{ opts_.config.call_timeout_ms };
  req.caller = "mcp:" + (s.key ? s.key->first : std::string{ "anonymous" }) +
               "/" + s.id.substr(0, 8);
  req.trace_id = f.call_id;
  auto timeout = opts_.config.call_timeout_ms;
  runtime::call::async_call(self_, registry_, item->handle, req, self_)
    .then(
      [this, session_id = s.id, key = id_json](runtime::wire::buffer& reply) {
        auto guard = lock();
        session* s = nullptr;
        auto* r = waiting(session_id, key, &s);
        if (r == nullptr) return;
        auto payload = runtime::call::reply_payload(reply);
        if (!payload || payload->empty() || payload->front() != '{') {
          finish(*s,
                 key,
                 rpc::result(key,
                             tool_error("tool '" + r->tool +
                                        "' returned a malformed result")));
          return;
        }
        finish(*s, key, rpc::result(key, *payload));
      },
      [this, session_id = s.id, key = id_json, timeout](caf::error& err) {
        auto guard = lock();
        session* s = nullptr;
        auto* r = waiting(session_id, key, &s);
        if (r == nullptr) return;
        auto text = describe_failure(r->tool, err, timeout);
        r->timed_out = runtime::code_of(err) == errc::deadline_exceeded;
        lg()->warn("session={} {}", s->id, text);
        finish(*s, key, rpc::result(key, tool_error(text)));
      });
}

void engine::retry_parked() {
  if (parked_.empty()) return;
  auto t = now();
  auto calls = std::move(parked_);
  parked_.clear();
  for (auto& p : calls) {
    session* s = nullptr;
    auto* r = waiting(p.session, p.key, &s);
    if (r == nullptr) continue; // cancelled, or its session ended
    auto name = p.params.value("name", std::string{});
    if (catalog_.tool(name) != nullptr) {
      call_tool(*s, p.params, p.key);
    } else if (t >= p.until) {
      auto text = "tool '" + name +
                  "' is not available: its node went down and no other node "
                  "took it over within " +
                  std::to_string(opts_.config.failover_wait_ms) + " ms";
      lg()->warn("session={} {}", s->id, text);
      finish(*s, p.key, rpc::result(p.key, tool_error(text)));
    } else {
      parked_.push_back(std::move(p));
    }
  }
}

void engine::forward(session& s,
                     const std::string& method,
                     const catalog::item& owner,
                     json params,
                     const std::string& id_json) {
  if (!registry_) {
    finish(s,
           id_json,
           rpc::error(id_json,
                      rpc::internal_error,
                      "the cluster registry is not reachable"));
    return;
  }
  auto& f = s.requests[id_json];
  f.call_id = opts_.node + "-" + std::to_string(++next_call_);
  f.owner = owner.handle;
  calls_[f.call_id] = { s.id, id_json };
  runtime::call::request req;
  req.method = method;
  req.payload = params.dump();
  req.deadline = std::chrono::milliseconds{ opts_.config.call_timeout_ms };
  req.caller = "mcp:" + s.id.substr(0, 8);
  req.trace_id = f.call_id;
  runtime::call::async_call(self_, registry_, owner.handle, req, self_)
    .then(
      [this, session_id = s.id, key = id_json](runtime::wire::buffer& reply) {
        auto guard = lock();
        session* s = nullptr;
        if (waiting(session_id, key, &s) == nullptr) return;
        auto payload = runtime::call::reply_payload(reply);
        if (!payload || payload->empty() || payload->front() != '{') {
          finish(*s,
                 key,
                 rpc::error(key,
                            rpc::internal_error,
                            "the provider returned a malformed result"));
          return;
        }
        finish(*s, key, rpc::result(key, *payload));
      },
      [this, session_id = s.id, key = id_json, method](caf::error& err) {
        auto guard = lock();
        session* s = nullptr;
        if (waiting(session_id, key, &s) == nullptr) return;
        auto code = runtime::code_of(err);
        int rc = code == errc::not_found
                   ? (method == "resources/read" ? rpc::resource_not_found
                                                 : rpc::invalid_params)
                 : code == errc::rejected ? rpc::invalid_params
                                          : rpc::internal_error;
        finish(*s, key, rpc::error(key, rc, runtime::detail_of(err)));
      });
}

void engine::on_notify(const std::string& call_id, const std::string& text) {
  if (call_id.empty()) {
    // Not tied to a call: a resource update for its subscribers.
    auto msg = json::parse(text, nullptr, false);
    if (msg.is_discarded() || !msg.is_object()) return;
    if (msg.value("method", "") == "notifications/resources/updated") {
      auto uri = msg.value(json::json_pointer{ "/params/uri" }, std::string{});
      if (!uri.empty()) broadcast(text, uri);
    }
    return;
  }
  auto c = calls_.find(call_id);
  if (c == calls_.end()) return; // the call ended: too late
  session* s = nullptr;
  auto* r = waiting(c->second.first, c->second.second, &s);
  if (r == nullptr) return;
  if (s->log_level > 0 &&
      text.find("notifications/message") != std::string::npos) {
    auto msg = json::parse(text, nullptr, false);
    if (!msg.is_discarded() &&
        msg.value("method", "") == "notifications/message") {
      auto level =
        msg.value(json::json_pointer{ "/params/level" }, std::string{});
      if (log_level_index(level) < s->log_level) return;
    }
  }
  emit(*s, r->stream, text);
}

caf::result<std::string> engine::on_ask(const std::string& call_id,
                                        const std::string& text) {
  auto c = calls_.find(call_id);
  if (c == calls_.end())
    return runtime::make_error(errc::rejected, "the call is over");
  session* s = nullptr;
  auto* r = waiting(c->second.first, c->second.second, &s);
  if (s == nullptr)
    return runtime::make_error(errc::rejected, "the client's session ended");
  if (r == nullptr)
    return runtime::make_error(errc::rejected, "the call was cancelled");
  auto msg = json::parse(text, nullptr, false);
  if (msg.is_discarded() || !msg.is_object() || !msg.contains("method") ||
      !msg["method"].is_string())
    return runtime::make_error(errc::rejected,
                               "an ask needs {\"method\", \"params\"}");
  auto method = msg["method"].get<std::string>();
  if (method == "sampling/createMessage" && !s->can_sample)
    return runtime::make_error(errc::rejected,
                               "the client does not support sampling");
  if (method == "elicitation/create" && !s->can_elicit)
    return runtime::make_error(errc::rejected,
                               "the client does not support elicitation");
  auto id = "sophia-" + std::to_string(++next_ask_);
  json out{ { "jsonrpc", "2.0" }, { "id", id }, { "method", method } };
  if (msg.contains("params")) out["params"] = msg["params"];
  auto rp = self_->make_response_promise<std::string>();
  asks_.emplace(id, pending_ask{ rp, s->id, call_id });
  emit(*s, r->stream, out.dump());
  return rp;
}

} // namespace sophia::actors::edge
