#pragma once

#include <string>

#include <caf/error.hpp>

#include "runtime/http/client.hpp"

/// How a failed exchange with a provider reads in a tool error: the service,
/// what happened in its own words, and what to do.
namespace sophia::actors::ai {

/// The service's own message in an error body, from the formats the AI
/// providers use: `{"error":{"message":...}}` (OpenAI, OpenRouter,
/// Together), `{"error":"..."}` (Hugging Face), `{"message":...}` and
/// `{"status":"failure","message":...}` (Portkey); else the body's start.
std::string message_of(const std::string& body);

/// For a non-2xx response of `service`, e.g. "openrouter: HTTP 402:
/// Insufficient credits..."; a 401 or 403 names the secret to check
/// (`secret_ref`, as written in cluster.conf), a 429 says the rate limit
/// was hit after the retries.
std::string describe_status(const std::string& service,
                            const std::string& secret_ref,
                            const runtime::http::response& r);

/// For a transport error of the HTTP client (its context already names the
/// service and the cause), with what to do where that is clear.
std::string describe_error(const std::string& service, const caf::error& err);

} // namespace sophia::actors::ai
