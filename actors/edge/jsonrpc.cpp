#include "actors/edge/jsonrpc.hpp"

#include <nlohmann/json.hpp>

namespace sophia::actors::edge::jsonrpc {

namespace {

std::string quoted(std::string_view x) {
  return nlohmann::json(std::string{ x })
    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

classified classify(const nlohmann::json& msg) {
  if (!msg.is_object())
    return { kind::invalid,
             std::string{ "expected a JSON-RPC message object, got " } +
               msg.type_name() };
  auto v = msg.find("jsonrpc");
  if (v == msg.end())
    return { kind::invalid, "missing member 'jsonrpc' (must be \"2.0\")" };
  if (!v->is_string() || v->get_ref<const std::string&>() != "2.0")
    return { kind::invalid, "member 'jsonrpc' must be \"2.0\"" };
  auto id = msg.find("id");
  bool has_id = id != msg.end();
  if (has_id && !id->is_string() && !id->is_number_integer())
    return { kind::invalid,
             has_id && id->is_null()
               ? "member 'id' must be a string or an integer, not null"
               : "member 'id' must be a string or an integer" };
  auto method = msg.find("method");
  if (method == msg.end()) {
    if (!has_id) return { kind::invalid, "missing member 'method'" };
    bool has_result = msg.contains("result");
    bool has_error = msg.contains("error");
    if (has_result == has_error)
      return { kind::invalid,
               "a response must have exactly one of 'result' and 'error'" };
    return { kind::response, {} };
  }
  if (!method->is_string())
    return { kind::invalid, "member 'method' must be a string" };
  auto params = msg.find("params");
  if (params != msg.end() && !params->is_object())
    return { kind::invalid, "member 'params' must be an object" };
  return { has_id ? kind::request : kind::notification, {} };
}

std::string result(std::string_view id_json, std::string_view result_json) {
  std::string out;
  out.reserve(32 + id_json.size() + result_json.size());
  out += R"({"jsonrpc":"2.0","id":)";
  out += id_json;
  out += R"(,"result":)";
  out += result_json;
  out += '}';
  return out;
}

std::string error(std::string_view id_json,
                  int code,
                  std::string_view message) {
  std::string out = R"({"jsonrpc":"2.0","id":)";
  out += id_json;
  out += R"(,"error":{"code":)";
  out += std::to_string(code);
  out += R"(,"message":)";
  out += quoted(message);
  out += "}}";
  return out;
}

std::string error(std::string_view id_json,
                  int code,
                  std::string_view message,
                  std::string_view data_json) {
  auto out = error(id_json, code, message);
  out.resize(out.size() - 2);
  out += R"(,"data":)";
  out += data_json;
  out += "}}";
  return out;
}

std::string id_of(const nlohmann::json& msg) {
  if (!msg.is_object()) return "null";
  auto id = msg.find("id");
  if (id == msg.end() || !(id->is_string() || id->is_number_integer()))
    return "null";
  return id->dump();
}

std::string notification(std::string_view method,
                         std::string_view params_json) {
  std::string out = R"({"jsonrpc":"2.0","method":)";
  out += quoted(method);
  out += R"(,"params":)";
  out += params_json;
  out += '}';
  return out;
}

} // namespace sophia::actors::edge::jsonrpc
