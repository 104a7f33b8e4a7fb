#include "runtime/mcp/call_tool.hpp"

#include "runtime/error.hpp"
#include "runtime/mcp/results.hpp"

namespace sophia::runtime::mcp {

call::request make_tool_request(const tool_request& tr) {
  call::request req;
  req.method = "tools/call";
  nlohmann::json payload{{"name", tr.tool}, {"arguments", tr.arguments}};
  if (!tr.meta.is_null())
    payload["_meta"] = tr.meta;
  req.payload = dump_json(payload);
  req.deadline = tr.deadline;
  req.caller = tr.caller;
  req.trace_id = tr.trace_id;
  return req;
}

caf::expected<nlohmann::json> read_tool_reply(const wire::buffer& reply) {
  auto payload = call::reply_payload(reply);
  if (!payload)
    return std::move(payload.error());
  auto doc = nlohmann::json::parse(*payload, nullptr, false);
  if (!doc.is_object())
    return make_error(errc::call_failed, "the tool's reply is not a JSON object");
  if (doc.value("isError", false)) {
    auto text = result_text(doc);
    return make_error(errc::call_failed,
                      text.empty() ? "the tool failed without a message" : text);
  }
  return doc;
}

} // namespace sophia::runtime::mcp
