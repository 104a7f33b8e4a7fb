#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/utc.hpp"

/// The Airbyte stream the edges' tool-call records travel in:
/// `sophia.tool_calls`, append_dedup keyed by the record's `id` (a record
/// the spool sends again replaces itself), one record per MCP tool call:
/// `{id, at, node, key, session, tool, service, duration_ms, outcome,
/// error, model, tokens_in, tokens_out, cost_usd}` (`at`: when the call
/// started, RFC 3339 UTC; `outcome`: ok, error or timeout; model, tokens
/// and cost: from the structuredContent of an AI tool's answer, see
/// `spool/results.hpp`, else null).
namespace sophia::actors::pipeline::analytics {

inline constexpr const char* stream_name = "tool_calls";
inline constexpr const char* stream_namespace = "sophia";

/// The ConfiguredAirbyteCatalog of the stream.
const nlohmann::json& tool_calls_catalog();

/// One RECORD message (JSON text) of `data`, emitted at `emitted_at_ms`.
std::string record_message(const nlohmann::json& data, int64_t emitted_at_ms);

/// The STATE message (JSON text) that checkpoints `spool` (a node's
/// spool) at `segment`/`offset`.
std::string state_message(const std::string& spool, uint64_t segment,
                          uint64_t offset);

/// The records' times (`runtime/utc.hpp`).
using runtime::format_utc_ms;
using runtime::parse_utc_ms;

} // namespace sophia::actors::pipeline::analytics
