#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

/// JSON-RPC 2.0 as MCP uses it: classifying what a client sent and building
/// answers. Pure functions, shared by every transport.
namespace sophia::actors::edge::jsonrpc {

/// Error codes of JSON-RPC 2.0 and MCP.
enum code : int {
  parse_error = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal_error = -32603,
  /// MCP: a resource that does not exist.
  resource_not_found = -32002,
  /// SDK convention: request refused by the transport (session, headers).
  server_error = -32000,
  /// Session not found (the SDK's code for it).
  session_not_found = -32001,
};

/// What a message is.
enum class kind { request, notification, response, invalid };

/// A classified message; `error` explains `kind::invalid`.
struct classified {
  kind what = kind::invalid;
  std::string error;
};

/// Classifies one JSON-RPC message (not a batch): checks `jsonrpc`, `id`
/// (string or integer, never null for requests), `method` (string) and
/// `params` (object when present), naming the first offending member.
classified classify(const nlohmann::json& msg);

/// `{"jsonrpc":"2.0","id":ID,"result":RESULT}` where `id_json` and
/// `result_json` are serialized JSON (so callers can splice a callee's reply
/// without parsing it again).
std::string result(std::string_view id_json, std::string_view result_json);

/// `{"jsonrpc":"2.0","id":ID,"error":{"code":C,"message":M}}`; `id_json` is
/// "null" when the id could not be read.
std::string error(std::string_view id_json, int code, std::string_view message);

/// As above, with `data` (serialized JSON) added to the error.
std::string error(std::string_view id_json,
                  int code,
                  std::string_view message,
                  std::string_view data_json);

/// The serialized id of `msg`, or "null".
std::string id_of(const nlohmann::json& msg);

/// A notification `{"jsonrpc":"2.0","method":M,"params":P}`.
std::string notification(std::string_view method, std::string_view params_json);

} // namespace sophia::actors::edge::jsonrpc
