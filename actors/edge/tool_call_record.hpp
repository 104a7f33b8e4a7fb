#pragma once

#include <chrono>
#include <string>

namespace sophia::actors::edge {

struct session;
struct inflight;

/// The record of a finished tools/call that the edge hands to
/// `edge_options::on_tool_call`: one JSON object `{at, node, key, session,
/// tool, service, duration_ms, outcome, error}`. `at` is when the call
/// started (RFC 3339 UTC, ms); `key` the API key's name (null without
/// keys); `outcome` ok, error (a JSON-RPC error or a tool error) or
/// timeout; `error` the error's text (at most 1000 bytes), else null.
/// `answer` is the JSON-RPC answer the client got; it is parsed only when
/// it is an error.
std::string tool_call_record(const std::string& node,
                             const session& s,
                             const inflight& r,
                             const std::string& service,
                             const std::string& answer,
                             std::chrono::system_clock::time_point wall_now,
                             std::chrono::steady_clock::time_point now);

} // namespace sophia::actors::edge
