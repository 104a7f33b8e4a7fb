#include "runtime/metrics/families.hpp"

#include "runtime/metrics/registry.hpp"

namespace sophia::runtime::metrics {

void declare_families(registry& r) {
  r.declare(tool_calls, kind::counter,
            "MCP tool calls answered by this edge node, by tool and outcome "
            "(ok, tool_error, rejected).");
  r.declare(tool_call_seconds, kind::histogram,
            "Seconds from a tools/call's arrival at the edge to its answer.");
  r.declare(service_requests, kind::counter,
            "HTTP exchanges with external services, by service and status "
            "(HTTP status or transport error).");
  r.declare(service_request_seconds, kind::histogram,
            "Seconds per exchange with an external service, retries included.");
  r.declare(breaker_state, kind::gauge,
            "Circuit breaker of each external service: 0 closed, 1 half-open, "
            "2 open.");
  r.declare(llm_tokens, kind::counter,
            "LLM tokens used through Sophia, by provider, model and kind "
            "(prompt, completion).");
  r.declare(llm_cost, kind::counter,
            "LLM cost in USD through Sophia, by provider and model (where the "
            "provider or the model's price tells it).");
  r.declare(actor_restarts, kind::counter,
            "Restarts of supervised actors, by supervisor and child.");
  r.declare(members, kind::gauge,
            "Cluster members by state, as this node sees them.");
  r.declare(build_info, kind::gauge, "Sophia's version and this node's name.");
}

} // namespace sophia::runtime::metrics
