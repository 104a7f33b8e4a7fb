#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

/// What a successful tool call's answer adds to the data: the spool reads
/// the answer's `structuredContent` (off the edge's thread) for
///
/// - the usage of an AI tool, into the call's `sophia.tool_calls` record:
///   `model`, `tokens_in` (`usage.prompt_tokens` or `usage.input_tokens`),
///   `tokens_out` (`usage.completion_tokens` or `usage.output_tokens`) and
///   `cost_usd`, which the analytics sum per model;
/// - the record the tool returned: the structuredContent itself, shipped
///   as a RECORD of the stream `sophia_results.TOOL` (the tool's name with
///   `.` as `_`, e.g. `sophia_results.openrouter_chat`), append_dedup on
///   `_call_id` (the call's id; a re-shipped record replaces itself), with
///   `_called_at` and `_tool`, and no declared schema: the pipeline infers
///   the columns from the records and widens them as they change. The
///   pipeline's own tools (service `pipeline`: status, query, search,
///   analytics) are not re-ingested: what they return is the pipeline's
///   data already. A structuredContent larger than `max_bytes` as JSON
///   keeps its top-level numbers, strings and booleans, with
///   `_truncated: true` and `_bytes`.
namespace sophia::actors::pipeline::spool {

/// The namespace of the tools' result streams.
inline constexpr const char* results_namespace = "sophia_results";

struct result_options {
  /// Keep results at all (`[pipeline] tool_results`).
  bool keep = true;
  size_t max_bytes = 262144;
};

/// Adds what `answer` (a JSON-RPC answer) carries to `rec`, the edge's
/// record of the call (an object): the usage fields, and the result as
/// `rec["result"]` (see above). A malformed answer adds nothing.
void add_answer(nlohmann::json& rec, const std::string& answer,
                const result_options& o);

/// The stream a tool's results go to: `openrouter.chat` ->
/// `openrouter_chat`.
std::string results_stream(const std::string& tool);

/// Appends the Airbyte messages of one spooled record `data` (an object
/// with `id`) to `out`: its `sophia.tool_calls` RECORD and, when it
/// carries a `result`, the RECORD of its tool's stream; a stream new to
/// `streams` is added to `catalog` (a ConfiguredAirbyteCatalog).
void record_messages(nlohmann::json data, int64_t emitted_at_ms,
                     std::vector<std::string>& out, nlohmann::json& catalog,
                     std::set<std::string>& streams);

} // namespace sophia::actors::pipeline::spool
