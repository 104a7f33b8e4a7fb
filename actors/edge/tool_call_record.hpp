#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace sophia::actors::edge {

struct session;
struct inflight;

/// Told of every finished tools/call, on the engine's thread: `record` is
/// `tool_call_record`'s object; `answer` the JSON-RPC answer the client got
/// when the call succeeded (its result's structuredContent carries the
/// model, tokens and cost of an AI tool, and the records a service tool
/// returned), else empty. It must return at once: the pipeline's spool
/// copies what it keeps and parses it on its own thread.
using tool_call_hook =
  std::function<void(std::string record, const std::string& answer)>;

/// The record of a finished tools/call that the edge hands to
/// `edge_options::on_tool_call`: one JSON object `{at, node, key, session,
/// tool, service, duration_ms, outcome, error}`. `at` is when the call
/// started (RFC 3339 UTC, ms); `key` the API key's name (null without
/// keys); `outcome` ok, error (a JSON-RPC error or a tool error) or
/// timeout; `error` the error's text (at most 1000 bytes), else null.
/// `answer` is the JSON-RPC answer the client got; it is parsed only when
/// it is an error.
/// Whether `answer` (a JSON-RPC answer) is a tool result that is not an
/// error.
bool tool_call_succeeded(const std::string& answer);

std::string tool_call_record(const std::string& node,
                             const session& s,
                             const inflight& r,
                             const std::string& service,
                             const std::string& answer,
                             std::chrono::system_clock::time_point wall_now,
                             std::chrono::steady_clock::time_point now);

} // namespace sophia::actors::edge
