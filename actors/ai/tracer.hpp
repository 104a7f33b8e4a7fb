#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

/// LLM tracing to Arize: every LLM call made through Sophia becomes an
/// OpenInference LLM span, exported in batches as OTLP/HTTP protobuf
/// (`POST /v1/traces`, Arize's `space_id` and `api_key` headers) from a
/// bounded queue that never blocks a caller; what does not fit, or fails
/// to export after the HTTP client's retries, is dropped and counted
/// (`sophia_trace_spans_dropped_total`).
namespace sophia::actors::ai {

/// `(record, llm_call_ptr)`: one finished call, sent to the tracer.
using record_span = caf::atom_constant<caf::atom("trrecord")>;
/// `(flush)` -> `uint64_t` spans still queued: export now (tests, stop).
using flush_spans = caf::atom_constant<caf::atom("trflush")>;

/// One LLM (or embedding) call as traced.
struct llm_call {
  /// "LLM", "EMBEDDING", or "CHAIN" (a call that routed to an LLM: no
  /// llm.* attributes, so that its tokens and cost count once, on the
  /// LLM span below it).
  std::string span_kind = "LLM";
  /// Where the span sits (raw bytes, 16, 8 and 8): empty trace or span
  /// id, new ones; empty parent, a root span.
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;
  /// OpenInference `metadata`: a JSON object's text; empty: none.
  std::string metadata;
  /// The `[services.NAME]` that served it, e.g. "openrouter".
  std::string provider;
  std::string model;
  /// The request's messages as {role, content} pairs.
  std::vector<std::pair<std::string, std::string>> input_messages;
  /// The request body as sent (JSON), for `input.value`.
  std::string input_json;
  /// `max_tokens`, `temperature`, ... as JSON.
  std::string invocation_parameters;
  std::string output_text;
  std::string finish_reason;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
  std::optional<double> cost_usd;
  std::chrono::system_clock::time_point start;
  std::chrono::system_clock::time_point end;
  /// Empty when it succeeded.
  std::string error;
};

using llm_call_ptr = std::shared_ptr<const llm_call>;

struct tracer_options {
  /// The OTLP/HTTP traces URL, e.g. "https://otlp.arize.com/v1/traces".
  std::string endpoint;
  std::string space_id;
  std::string api_key;
  /// `openinference.project.name`.
  std::string project = "sophia";
  /// The service name the HTTP client knows the exporter by.
  std::string service = "arize";
  size_t max_queue = 4096;
  size_t batch = 256;
  std::chrono::milliseconds flush_interval{ 1000 };
  caf::actor http;
};

/// Spawns the exporter.
caf::actor spawn_tracer(caf::actor_system& sys, tracer_options opts);

} // namespace sophia::actors::ai

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sophia::actors::ai::llm_call_ptr)
