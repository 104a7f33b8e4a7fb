#include "actors/edge/engine.hpp"

#include "actors/edge/jsonrpc.hpp"

namespace sophia::actors::edge {

namespace {

using json = nlohmann::json;
namespace rpc = jsonrpc;

const json& member(const json& params, const char* key) {
  static const json none;
  auto i = params.find(key);
  return i == params.end() ? none : *i;
}

} // namespace

const std::unordered_map<std::string_view, engine::method_fn>&
engine::methods() {
  static const std::unordered_map<std::string_view, method_fn> table{
    { "ping", &engine::m_ping },
    { "tools/list", &engine::m_list },
    { "tools/call", &engine::m_call },
    { "resources/list", &engine::m_list },
    { "resources/templates/list", &engine::m_list },
    { "resources/read", &engine::m_read },
    { "resources/subscribe", &engine::m_subscribe },
    { "resources/unsubscribe", &engine::m_subscribe },
    { "prompts/list", &engine::m_list },
    { "prompts/get", &engine::m_prompt },
    { "completion/complete", &engine::m_complete },
    { "logging/setLevel", &engine::m_set_level },
  };
  return table;
}

void engine::dispatch(session& s, const rpc_request& r) {
  auto& table = methods();
  auto i = table.find(r.method);
  if (i == table.end()) {
    finish(s,
           r.id_json,
           rpc::error(r.id_json,
                      rpc::method_not_found,
                      "Method not found: " + r.method));
    return;
  }
  (this->*(i->second))(s, r);
}

void engine::invalid_params(session& s,
                            const rpc_request& r,
                            std::string why) {
  finish(s,
         r.id_json,
         rpc::error(r.id_json,
                    rpc::invalid_params,
                    "Invalid params: " + std::move(why)));
}

void engine::resource_not_found(session& s,
                                const rpc_request& r,
                                const std::string& uri) {
  finish(s,
         r.id_json,
         rpc::error(r.id_json,
                    rpc::resource_not_found,
                    "Resource not found: " + uri,
                    json{ { "uri", uri } }.dump()));
}

void engine::m_ping(session& s, const rpc_request& r) {
  finish(s, r.id_json, rpc::result(r.id_json, "{}"));
}

void engine::m_list(session& s, const rpc_request& r) {
  auto& cursor = member(r.params, "cursor");
  if (!cursor.is_null() && !cursor.is_string()) {
    return invalid_params(s, r, "cursor must be a string");
  }
  std::string kind = r.method == "resources/templates/list"
                       ? "resourceTemplates"
                       : r.method.substr(0, r.method.find('/'));
  std::string err;
  auto page = catalog_.page(kind,
                            view_of(s),
                            cursor.is_string() ? cursor.get<std::string>()
                                               : std::string{},
                            static_cast<size_t>(opts_.config.page_size),
                            err);
  if (!page) return invalid_params(s, r, std::move(err));
  finish(s, r.id_json, rpc::result(r.id_json, *page));
}

void engine::m_read(session& s, const rpc_request& r) {
  auto& uri = member(r.params, "uri");
  if (!uri.is_string()) return invalid_params(s, r, "uri must be a string");
  auto u = uri.get<std::string>();
  if (read_builtin(s, u, r.id_json)) return;
  const auto* item = catalog_.resource(u);
  if (item == nullptr || !item->handle ||
      !catalog::visible(*item, view_of(s), false))
    return resource_not_found(s, r, u);
  forward(s, "resources/read", *item, r.params, r.id_json);
}

void engine::m_subscribe(session& s, const rpc_request& r) {
  auto& uri = member(r.params, "uri");
  if (!uri.is_string()) return invalid_params(s, r, "uri must be a string");
  auto u = uri.get<std::string>();
  const auto* item = catalog_.resource(u);
  if (item == nullptr || !catalog::visible(*item, view_of(s), false))
    return resource_not_found(s, r, u);
  if (r.method == "resources/subscribe")
    s.subscriptions.insert(u);
  else
    s.subscriptions.erase(u);
  if (item->handle) {
    forward(s, r.method, *item, r.params, r.id_json);
    return;
  }
  finish(s, r.id_json, rpc::result(r.id_json, "{}"));
}

void engine::m_prompt(session& s, const rpc_request& r) {
  auto& name = member(r.params, "name");
  const auto* item =
    name.is_string() ? catalog_.prompt(name.get<std::string>()) : nullptr;
  if (item == nullptr || !catalog::visible(*item, view_of(s), false)) {
    return invalid_params(s,
                          r,
                          name.is_string() ? "unknown prompt '" +
                                               name.get<std::string>() + "'"
                                           : "name must be a string");
  }
  auto p = r.params;
  p["name"] = item->original;
  forward(s, r.method, *item, std::move(p), r.id_json);
}

void engine::m_complete(session& s, const rpc_request& r) {
  auto fail = [&](std::string text) { invalid_params(s, r, std::move(text)); };
  auto& ref = member(r.params, "ref");
  auto& arg = member(r.params, "argument");
  if (!ref.is_object() || !ref.contains("type") || !ref["type"].is_string())
    return fail("ref must be an object with a type");
  if (!arg.is_object() || !arg.contains("name") || !arg["name"].is_string())
    return fail("argument must be an object with a name");
  const catalog::item* item = nullptr;
  auto p = r.params;
  auto type = ref["type"].get<std::string>();
  if (type == "ref/prompt" && ref.contains("name") && ref["name"].is_string()) {
    item = catalog_.prompt(ref["name"].get<std::string>());
    if (item) p["ref"]["name"] = item->original;
  } else if (type == "ref/resource" && ref.contains("uri") &&
             ref["uri"].is_string()) {
    item = catalog_.resource(ref["uri"].get<std::string>());
  } else {
    return fail("ref must be a ref/prompt with a name or a "
                "ref/resource with a uri");
  }
  if (item == nullptr || !catalog::visible(*item, view_of(s), false))
    return fail("unknown " + type.substr(4) + " in ref");
  if (!item->handle) {
    finish(
      s,
      r.id_json,
      rpc::result(r.id_json,
                  R"({"completion":{"values":[],"total":0,"hasMore":false}})"));
    return;
  }
  forward(s, r.method, *item, std::move(p), r.id_json);
}

void engine::m_set_level(session& s, const rpc_request& r) {
  auto& level = member(r.params, "level");
  auto idx = level.is_string() ? log_level_index(level.get<std::string>()) : -1;
  if (idx < 0)
    return invalid_params(s,
                          r,
                          "level must be one of debug, info, notice, warning, "
                          "error, critical, alert, emergency");
  s.log_level = idx;
  finish(s, r.id_json, rpc::result(r.id_json, "{}"));
}

void engine::m_call(session& s, const rpc_request& r) {
  call_tool(s, r.params, r.id_json);
}

} // namespace sophia::actors::edge
