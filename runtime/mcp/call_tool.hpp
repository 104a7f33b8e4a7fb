#pragma once

#include <chrono>
#include <string>
#include <utility>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "runtime/call/call.hpp"

/// One service's tool called from inside an actor: the request a tools/call
/// needs and the reading of its `CallToolResult`, which every actor that
/// calls another service's tool (the router, the spool, ...) would otherwise
/// write again.
namespace sophia::runtime::mcp {

/// A tools/call of `tool` with `arguments`.
struct tool_request {
  std::string tool;
  nlohmann::json arguments = nlohmann::json::object();
  std::chrono::milliseconds deadline{5000};
  /// Who calls, for the callee's logs and its records (`tool_call::caller`).
  std::string caller;
  /// The request's `_meta` (e.g. a client's progress token passed on);
  /// none when null.
  nlohmann::json meta;
  /// Correlates logs across nodes; generated when empty.
  std::string trace_id;
};

/// The call envelope's request for `tr`.
call::request make_tool_request(const tool_request& tr);

/// The `CallToolResult` in `reply`: the JSON object, or `errc::call_failed`
/// with the tool's own text when it answered `isError` (or when the reply
/// is not a JSON object).
caf::expected<nlohmann::json> read_tool_reply(const wire::buffer& reply);

/// Calls `tr.tool` of the service registered as `target` (e.g.
/// "mcp.pipeline") through `registry`; `on_result(nlohmann::json&)` gets
/// the result object of a success, `on_error(caf::error&)` the call's own
/// error (`node_down`, `deadline_exceeded`, `not_found`, ...) or the tool's
/// failure as `read_tool_reply` makes it. With a `channel`, the callee's
/// progress notifications go there.
template <class Self, class OnResult, class OnError>
void call_tool(Self* self, const caf::actor& registry, const std::string& target,
               const tool_request& tr, OnResult on_result, OnError on_error,
               const caf::actor& channel = {}) {
  auto on_reply = [on_result, on_error](wire::buffer& reply) mutable {
    auto doc = read_tool_reply(reply);
    if (doc)
      on_result(*doc);
    else
      on_error(doc.error());
  };
  auto req = make_tool_request(tr);
  if (channel)
    call::async_call(self, registry, target, req, channel)
      .then(std::move(on_reply), on_error);
  else
    call::async_call(self, registry, target, req).then(std::move(on_reply), on_error);
}

} // namespace sophia::runtime::mcp
