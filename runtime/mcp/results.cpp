#include "runtime/mcp/results.hpp"

#include <utility>

namespace sophia::runtime::mcp {

namespace {

/// Keys stay in the order written (`{"type":"text","text":...}`, as MCP's
/// own examples and servers write them): `nlohmann::json` would sort them.
using ordered_json = nlohmann::ordered_json;

std::string dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

ordered_json text_content(std::string text) {
  return ordered_json::array(
    { { { "type", "text" }, { "text", std::move(text) } } });
}

} // namespace

std::string text_result(std::string text, const nlohmann::json& structured) {
  ordered_json result = { { "content", text_content(std::move(text)) } };
  auto out = dump(result);
  if (structured.is_null()) return out;
  // Spliced in as written rather than copied into `result`: the copy
  // rebuilt every object of a large result, key by key, for nothing (its
  // keys come out sorted either way).
  out.pop_back();
  out += ",\"structuredContent\":";
  out += dump_json(structured);
  out += '}';
  return out;
}

std::string error_result(std::string text) {
  ordered_json result = { { "content", text_content(std::move(text)) },
                          { "isError", true } };
  return dump(result);
}

std::string result_text(const nlohmann::json& result) {
  std::string out;
  if (!result.is_object())
    return out;
  auto content = result.find("content");
  if (content == result.end() || !content->is_array())
    return out;
  for (auto& c : *content)
    if (c.is_object() && c.value("type", "") == "text" && c.contains("text")
        && c["text"].is_string())
      out += c["text"].get<std::string>();
  return out;
}

std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace sophia::runtime::mcp
