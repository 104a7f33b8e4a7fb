#pragma once

#include <string>
#include <string_view>

#include <caf/actor.hpp>
#include <caf/atom.hpp>

/// The contract between the MCP edge and the service actors whose tools,
/// resources and prompts it serves. Any actor on any node becomes an MCP
/// provider by:
///
/// 1. registering itself in its node's registry as `mcp.SERVICE`
///    (`provider_name`), and
/// 2. answering `(describe)` with a JSON descriptor (below), and
/// 3. answering calls made through the call helper (`runtime/call`), whose
///    envelope method is the MCP method (`tools/call`, `resources/read`,
///    `prompts/get`, `completion/complete`, `resources/subscribe`,
///    `resources/unsubscribe`) and whose payload is the request's `params`
///    as JSON text, with tool and prompt names as the provider declared them
///    (unprefixed). The reply payload is the MCP `result` as JSON text. A
///    failed tool returns a result with `"isError": true`; a `caf::error`
///    reply becomes a tool error (tools/call) or a JSON-RPC error (others).
///
/// Mid-call, the edge passes a channel: the callee receives
/// `(call, envelope, channel)` instead of `(call, envelope)` and may
/// - send `(notify, call_id, json)` to it, where `json` is a whole JSON-RPC
///   notification (`notifications/progress` with the request's
///   `_meta.progressToken`, `notifications/message`): the edge sends it out on
///   that request's own stream;
/// - request `(ask, call_id, json)` from it, where `json` is
///   `{"method": ..., "params": ...}` of a server-to-client request
///   (`sampling/createMessage`, `elicitation/create`); the response is the
///   client's `result` as JSON text, or an error;
/// and receives `(cancel, call_id)` (from the edge, to the provider's own
/// handle) when the client cancels: it should stop the work. `call_id` is
/// the envelope's trace id.
///
/// Resource updates: a provider may send `(notify, "", json)` with a
/// `notifications/resources/updated` to any channel it was given by
/// `resources/subscribe`; the edge forwards it to the subscribed sessions.
///
/// Descriptor (`describe`):
/// ```json
/// {"service": "conformance", "domain": "business_intelligence",
///  "prefix": "conformance.",
///  "tools": [ {name, description, inputSchema, outputSchema?, annotations?} ],
///  "resources": [ {uri, name, description?, mimeType?} ],
///  "resourceTemplates": [ {uriTemplate, name, description?, mimeType?} ],
///  "prompts": [ {name, description, arguments?} ]}
/// ```
/// `prefix` namespaces the provider's tool and prompt names in the edge's
/// catalog (`service.tool` by default when absent; the conformance
/// fixtures use "" because the suite hard-codes their names). Resources are
/// routed by URI and templates by their URI template.
namespace sophia::runtime::mcp {

using describe = caf::atom_constant<caf::atom("mcpdesc")>;
using notify = caf::atom_constant<caf::atom("mcpnote")>;
using ask = caf::atom_constant<caf::atom("mcpask")>;
using cancel = caf::atom_constant<caf::atom("mcpcancel")>;

/// Registry names of providers start with this.
constexpr std::string_view name_prefix = "mcp.";

/// Returns `mcp.SERVICE`.
inline std::string provider_name(std::string_view service) {
  return std::string{ name_prefix } + std::string{ service };
}

} // namespace sophia::runtime::mcp
