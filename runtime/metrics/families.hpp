#pragma once

/// The metric families every node exports (declared once, here), so that
/// `/metrics` documents each one even before its first sample.
namespace sophia::runtime::metrics {

/// counter {tool, outcome}: MCP tool calls answered by this edge node;
/// outcome is ok, tool_error (isError) or rejected (a JSON-RPC error).
constexpr const char* tool_calls = "sophia_tool_calls_total";
/// histogram {tool}: seconds from a tools/call's arrival to its answer.
constexpr const char* tool_call_seconds = "sophia_tool_call_duration_seconds";
/// counter {service, status}: HTTP exchanges with external services (status
/// is the HTTP status, or the transport error's code).
constexpr const char* service_requests = "sophia_service_requests_total";
/// histogram {service}: seconds per exchange, retries included.
constexpr const char* service_request_seconds =
  "sophia_service_request_duration_seconds";
/// gauge {service}: 0 closed, 1 half-open, 2 open.
constexpr const char* breaker_state = "sophia_service_breaker_state";
/// counter {provider, model, kind}: LLM tokens (kind prompt or completion).
constexpr const char* llm_tokens = "sophia_llm_tokens_total";
/// counter {provider, model}: LLM cost in USD, where known.
constexpr const char* llm_cost = "sophia_llm_cost_usd_total";
/// counter {supervisor, child}: restarts of supervised actors.
constexpr const char* actor_restarts = "sophia_actor_restarts_total";
/// gauge {state}: cluster members by state as this node sees them.
constexpr const char* members = "sophia_cluster_members";
/// gauge {version, node}: 1.
constexpr const char* build_info = "sophia_build_info";

/// Declares every family above in `r` (idempotent).
class registry;
void declare_families(registry& r);

} // namespace sophia::runtime::metrics
