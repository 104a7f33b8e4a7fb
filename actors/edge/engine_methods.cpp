#include "actors/edge/engine.hpp"

#include <caf/all.hpp>

#include "actors/edge/jsonrpc.hpp"
#include "runtime/call/call.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/mcp/provider.hpp"
#include "runtime/membership/view_format.hpp"
#include "runtime/placement/decide.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::actors::edge {

namespace {

using json = nlohmann::json;
namespace rpc = jsonrpc;
using runtime::errc;

/// A tool's failure as MCP wants it: a result, not a JSON-RPC error.
std::string tool_error(const std::string& text) {
  json r{ { "content",
            json::array({ { { "type", "text" }, { "text", text } } }) },
          { "isError", true } };
  return r.dump();
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

void engine::dispatch(session& s,
                      uint64_t sid,
                      const std::string& method,
                      const json& params,
                      const std::string& id_json) {
  auto fail = [&](int code, std::string text, std::string data = {}) {
    finish(s,
           id_json,
           data.empty() ? rpc::error(id_json, code, text)
                        : rpc::error(id_json, code, text, data));
  };
  if (method == "ping") {
    finish(s, id_json, rpc::result(id_json, "{}"));
    return;
  }
  if (method == "tools/call") {
    call_tool(s, sid, params, id_json);
    return;
  }
  if (method == "tools/list" || method == "resources/list" ||
      method == "resources/templates/list" || method == "prompts/list") {
    auto& cursor = member(params, "cursor");
    if (!cursor.is_null() && !cursor.is_string())
      return fail(rpc::invalid_params,
                  "Invalid params: cursor must be a string");
    std::string kind = method == "resources/templates/list"
                         ? "resourceTemplates"
                         : method.substr(0, method.find('/'));
    std::string err;
    auto page = catalog_.page(kind,
                              view_of(s),
                              cursor.is_string() ? cursor.get<std::string>()
                                                 : std::string{},
                              static_cast<size_t>(opts_.config.page_size),
                              err);
    if (!page) return fail(rpc::invalid_params, "Invalid params: " + err);
    finish(s, id_json, rpc::result(id_json, *page));
    return;
  }
  if (method == "resources/read") {
    read_resource(s, sid, params, id_json);
    return;
  }
  if (method == "resources/subscribe" || method == "resources/unsubscribe") {
    auto& uri = member(params, "uri");
    if (!uri.is_string())
      return fail(rpc::invalid_params, "Invalid params: uri must be a string");
    auto u = uri.get<std::string>();
    const auto* item = catalog_.resource(u);
    if (item == nullptr || !catalog::visible(*item, view_of(s), false))
      return fail(rpc::resource_not_found,
                  "Resource not found: " + u,
                  json{ { "uri", u } }.dump());
    if (method == "resources/subscribe")
      s.subscriptions.insert(u);
    else
      s.subscriptions.erase(u);
    if (item->handle) return forward(s, sid, method, *item, params, id_json);
    finish(s, id_json, rpc::result(id_json, "{}"));
    return;
  }
  if (method == "prompts/get") {
    auto& name = member(params, "name");
    if (!name.is_string())
      return fail(rpc::invalid_params, "Invalid params: name must be a string");
    const auto* item = catalog_.prompt(name.get<std::string>());
    if (item == nullptr || !catalog::visible(*item, view_of(s), false))
      return fail(rpc::invalid_params,
                  "Invalid params: unknown prompt '" + name.get<std::string>() +
                    "'");
    auto p = params;
    p["name"] = item->original;
    return forward(s, sid, method, *item, std::move(p), id_json);
  }
  if (method == "completion/complete") {
    auto& ref = member(params, "ref");
    auto& arg = member(params, "argument");
    if (!ref.is_object() || !ref.contains("type") || !ref["type"].is_string())
      return fail(rpc::invalid_params,
                  "Invalid params: ref must be an object with a type");
    if (!arg.is_object() || !arg.contains("name") || !arg["name"].is_string())
      return fail(rpc::invalid_params,
                  "Invalid params: argument must be an object with a name");
    const catalog::item* item = nullptr;
    auto p = params;
    auto type = ref["type"].get<std::string>();
    if (type == "ref/prompt" && ref.contains("name") &&
        ref["name"].is_string()) {
      item = catalog_.prompt(ref["name"].get<std::string>());
      if (item) p["ref"]["name"] = item->original;
    } else if (type == "ref/resource" && ref.contains("uri") &&
               ref["uri"].is_string()) {
      item = catalog_.resource(ref["uri"].get<std::string>());
    } else {
      return fail(rpc::invalid_params,
                  "Invalid params: ref must be a ref/prompt with a name or a "
                  "ref/resource with a uri");
    }
    if (item == nullptr || !catalog::visible(*item, view_of(s), false))
      return fail(rpc::invalid_params,
                  "Invalid params: unknown " + type.substr(4) + " in ref");
    if (!item->handle) {
      finish(s,
             id_json,
             rpc::result(
               id_json,
               R"({"completion":{"values":[],"total":0,"hasMore":false}})"));
      return;
    }
    return forward(s, sid, method, *item, std::move(p), id_json);
  }
  if (method == "logging/setLevel") {
    auto& level = member(params, "level");
    auto idx =
      level.is_string() ? log_level_index(level.get<std::string>()) : -1;
    if (idx < 0)
      return fail(rpc::invalid_params,
                  "Invalid params: level must be one of debug, info, notice, "
                  "warning, error, critical, alert, emergency");
    s.log_level = idx;
    finish(s, id_json, rpc::result(id_json, "{}"));
    return;
  }
  fail(rpc::method_not_found, "Method not found: " + method);
}

void engine::call_tool(session& s,
                       uint64_t /* sid: answers go out through finish() */,
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
        auto i = sessions_.find(session_id);
        if (i == sessions_.end()) return;
        auto& s = *i->second;
        auto r = s.requests.find(key);
        if (r == s.requests.end() || r->second.cancelled) return;
        auto payload = runtime::call::reply_payload(reply);
        if (!payload || payload->empty() || payload->front() != '{') {
          finish(s,
                 key,
                 rpc::result(key,
                             tool_error("tool '" + r->second.tool +
                                        "' returned a malformed "
                                        "result")));
          return;
        }
        finish(s, key, rpc::result(key, *payload));
      },
      [this, session_id = s.id, key = id_json, timeout](caf::error& err) {
        auto guard = lock();
        auto i = sessions_.find(session_id);
        if (i == sessions_.end()) return;
        auto& s = *i->second;
        auto r = s.requests.find(key);
        if (r == s.requests.end() || r->second.cancelled) return;
        auto text = describe_failure(r->second.tool, err, timeout);
        runtime::log::get("edge")->warn("session={} {}", s.id, text);
        finish(s, key, rpc::result(key, tool_error(text)));
      });
}

void engine::call_builtin(session& s,
                          const catalog::item& tool,
                          const json& args,
                          const std::string& key) {
  if (tool.name == "sophia.echo") {
    auto text = args.value("text", std::string{});
    json r{ { "content",
              json::array({ { { "type", "text" }, { "text", text } } }) },
            { "structuredContent", { { "text", text } } } };
    finish(s, key, rpc::result(key, r.dump()));
    return;
  }
  // sophia.cluster_status
  cluster_status([this, session_id = s.id, key](std::string text, json st) {
    auto i = sessions_.find(session_id);
    if (i == sessions_.end()) return;
    if (st.is_null()) {
      finish(*i->second, key, rpc::result(key, tool_error(text)));
      return;
    }
    json r{ { "content",
              json::array({ { { "type", "text" }, { "text", text } } }) },
            { "structuredContent", std::move(st) } };
    finish(*i->second, key, rpc::result(key, r.dump()));
  });
}

void engine::cluster_status(std::function<void(std::string, json)> done) {
  auto membership = opts_.membership ? opts_.membership() : caf::actor{};
  if (!membership) {
    done("the membership actor is not reachable", nullptr);
    return;
  }
  self_
    ->request(
      membership, std::chrono::seconds{ 5 }, runtime::atoms::status::value)
    .then(
      [this, done](const runtime::wire::buffer& buf) {
        auto guard = lock();
        auto view = runtime::wire::decode_membership_view(buf);
        if (!view) {
          done("cannot decode the membership view: " +
                 runtime::detail_of(view.error()),
               nullptr);
          return;
        }
        auto finish_with =
          [done, v = *view](const runtime::membership::running_roles* run) {
            auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
            auto doc = json::parse(runtime::membership::to_json(v, -1, run));
            json st{ { "cluster", doc["cluster"] },
                     { "seen_from", doc["seen_from"] },
                     { "members", doc["nodes"] } };
            done(runtime::membership::to_table(v, now, run), std::move(st));
          };
        if (!registry_) {
          finish_with(nullptr);
          return;
        }
        self_
          ->request(registry_,
                    std::chrono::seconds{ 5 },
                    caf::get_atom::value,
                    runtime::atoms::all::value)
          .then(
            [this, finish_with](const std::vector<std::string>& names) {
              auto guard = lock();
              runtime::membership::running_roles run;
              for (auto& x : names) {
                auto at = x.rfind('@');
                if (at == std::string::npos) continue;
                if (auto role = runtime::placement::role_of(x.substr(0, at)))
                  run[x.substr(at + 1)].push_back(*role);
              }
              finish_with(&run);
            },
            [this, finish_with](caf::error&) {
              auto guard = lock();
              finish_with(nullptr);
            });
      },
      [this, done](caf::error& err) {
        auto guard = lock();
        done("the membership actor did not answer: " + runtime::detail_of(err),
             nullptr);
      });
}

void engine::read_resource(session& s,
                           uint64_t sid,
                           const json& params,
                           const std::string& id_json) {
  auto& uri = member(params, "uri");
  if (!uri.is_string()) {
    finish(s,
           id_json,
           rpc::error(id_json,
                      rpc::invalid_params,
                      "Invalid params: uri must be a string"));
    return;
  }
  auto u = uri.get<std::string>();
  auto contents = [u](std::string text) {
    json r{ { "contents",
              json::array({ { { "uri", u },
                              { "mimeType", "application/json" },
                              { "text", std::move(text) } } }) } };
    return r.dump();
  };
  if (u == "sophia://tools") {
    finish(
      s,
      id_json,
      rpc::result(id_json, contents(catalog_.tool_list(view_of(s)).dump(2))));
    return;
  }
  if (u == "sophia://cluster") {
    cluster_status(
      [this, session_id = s.id, id_json, contents](std::string text, json st) {
        auto i = sessions_.find(session_id);
        if (i == sessions_.end()) return;
        finish(*i->second,
               id_json,
               st.is_null() ? rpc::error(id_json, rpc::internal_error, text)
                            : rpc::result(id_json, contents(st.dump(2))));
      });
    return;
  }
  const auto* item = catalog_.resource(u);
  if (item == nullptr || !item->handle ||
      !catalog::visible(*item, view_of(s), false)) {
    finish(s,
           id_json,
           rpc::error(id_json,
                      rpc::resource_not_found,
                      "Resource not found: " + u,
                      json{ { "uri", u } }.dump()));
    return;
  }
  forward(s, sid, "resources/read", *item, params, id_json);
}

void engine::forward(session& s,
                     uint64_t sid,
                     const std::string& method,
                     const catalog::item& owner,
                     json params,
                     const std::string& id_json) {
  (void)sid;
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
        auto i = sessions_.find(session_id);
        if (i == sessions_.end()) return;
        auto payload = runtime::call::reply_payload(reply);
        if (!payload || payload->empty() || payload->front() != '{') {
          finish(*i->second,
                 key,
                 rpc::error(key,
                            rpc::internal_error,
                            "the provider returned a malformed result"));
          return;
        }
        finish(*i->second, key, rpc::result(key, *payload));
      },
      [this, session_id = s.id, key = id_json, method](caf::error& err) {
        auto guard = lock();
        auto i = sessions_.find(session_id);
        if (i == sessions_.end()) return;
        auto code = runtime::code_of(err);
        int rc = code == errc::not_found
                   ? (method == "resources/read" ? rpc::resource_not_found
                                                 : rpc::invalid_params)
                 : code == errc::rejected ? rpc::invalid_params
                                          : rpc::internal_error;
        finish(*i->second, key, rpc::error(key, rc, runtime::detail_of(err)));
      });
}

void engine::on_notify(const std::string& call_id, const std::string& text) {
  if (call_id.empty()) {
    // Not tied to a call: a resource update for its subscribers.
    auto msg = json::parse(text, nullptr, false);
    if (msg.is_discarded() || !msg.is_object()) return;
    if (msg.value("method", "") == "notifications/resources/updated") {
      auto uri =
        msg.value(nlohmann::json::json_pointer{ "/params/uri" }, std::string{});
      if (!uri.empty()) broadcast(text, uri);
    }
    return;
  }
  auto c = calls_.find(call_id);
  if (c == calls_.end()) return; // the call ended: too late
  auto i = sessions_.find(c->second.first);
  if (i == sessions_.end()) return;
  auto& s = *i->second;
  auto r = s.requests.find(c->second.second);
  if (r == s.requests.end() || r->second.cancelled) return;
  if (s.log_level > 0 &&
      text.find("notifications/message") != std::string::npos) {
    auto msg = json::parse(text, nullptr, false);
    if (!msg.is_discarded() &&
        msg.value("method", "") == "notifications/message") {
      auto level = msg.value(nlohmann::json::json_pointer{ "/params/level" },
                             std::string{});
      if (log_level_index(level) < s.log_level) return;
    }
  }
  emit(s, r->second.stream, text);
}

caf::result<std::string> engine::on_ask(const std::string& call_id,
                                        const std::string& text) {
  auto c = calls_.find(call_id);
  if (c == calls_.end())
    return runtime::make_error(errc::rejected, "the call is over");
  auto i = sessions_.find(c->second.first);
  if (i == sessions_.end())
    return runtime::make_error(errc::rejected, "the client's session ended");
  auto& s = *i->second;
  auto r = s.requests.find(c->second.second);
  if (r == s.requests.end() || r->second.cancelled)
    return runtime::make_error(errc::rejected, "the call was cancelled");
  auto msg = json::parse(text, nullptr, false);
  if (msg.is_discarded() || !msg.is_object() || !msg.contains("method") ||
      !msg["method"].is_string())
    return runtime::make_error(errc::rejected,
                               "an ask needs {\"method\", \"params\"}");
  auto method = msg["method"].get<std::string>();
  if (method == "sampling/createMessage" && !s.can_sample)
    return runtime::make_error(errc::rejected,
                               "the client does not support sampling");
  if (method == "elicitation/create" && !s.can_elicit)
    return runtime::make_error(errc::rejected,
                               "the client does not support elicitation");
  auto id = "sophia-" + std::to_string(++next_ask_);
  json out{ { "jsonrpc", "2.0" }, { "id", id }, { "method", method } };
  if (msg.contains("params")) out["params"] = msg["params"];
  auto rp = self_->make_response_promise<std::string>();
  asks_.emplace(id, pending_ask{ rp, s.id, call_id });
  emit(s, r->second.stream, out.dump());
  return rp;
}

} // namespace sophia::actors::edge
