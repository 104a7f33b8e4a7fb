#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/ai/chat.hpp"
#include "actors/ai/provider.hpp"
#include "actors/ai/sse.hpp"
#include "actors/ai/tracer.hpp"
#include "runtime/http/client.hpp"
#include "runtime/mcp/service.hpp"

namespace sophia::actors::ai {

/// USD per token of one model.
struct price {
  double prompt = 0;
  double completion = 0;
};

/// A streamed completion on its way.
struct stream_job {
  runtime::mcp::call_ptr call;
  sse_parser parser;
  chat_result result;
  std::chrono::steady_clock::time_point start;
  /// The body as received, kept (up to a limit) for error messages.
  std::string raw;
  /// The first event that was not JSON, if any.
  std::optional<std::string> malformed;
  /// An error event sent mid-stream (OpenRouter does so).
  std::optional<std::string> stream_error;
  /// The span being recorded, when tracing is on.
  std::shared_ptr<llm_call> trace;
};

/// What a provider's tool handlers share; lives as long as its actor.
struct provider_state {
  profile p;
  caf::actor http;
  /// The Arize exporter (`tracer.hpp`), or null when tracing is off.
  caf::actor tracer;
  /// Streamed completions by HTTP request tag.
  std::map<std::string, stream_job> streams;
  /// Model prices from the provider's model list, when it has prices.
  std::map<std::string, price> prices;
  std::chrono::steady_clock::time_point prices_at{};
  bool prices_fetching = false;
  /// Completions that finished without a reported cost while the prices
  /// were being fetched: they reply once the fetch ends, so that even the
  /// first calls after a start carry a cost.
  std::vector<std::function<void()>> waiting_for_prices;
  uint64_t next_tag = 0;

  /// A new request to `path` (appended to the API root) with the
  /// provider's headers.
  runtime::http::request make_request(std::string method,
                                      const std::string& path) const;
};

using state_ptr = std::shared_ptr<provider_state>;

using http_result = caf::expected<runtime::http::response_ptr>;

/// Sends `req` for `call`: tags it so that cancelling the call aborts it,
/// and calls `then` with the response or the transport error.
void send(const state_ptr& st,
          const runtime::mcp::call_ptr& call,
          runtime::http::request req,
          std::function<void(http_result)> then);

/// Parses a JSON body; on failure answers `call` with a tool error that
/// names the service and the problem, and returns nothing.
std::optional<nlohmann::json> json_body(const state_ptr& st,
                                        const runtime::mcp::call_ptr& call,
                                        const http_result& r,
                                        std::string* failure = nullptr);

/// Reads a model list (OpenRouter's `{"data":[...]}` with per-token price
/// strings, Together's array with per-million prices, or the plain OpenAI
/// list) into `{id, name, context_length, prompt_usd_per_mtok,
/// completion_usd_per_mtok}` rows, remembering the prices.
nlohmann::json read_models(provider_state& st, const nlohmann::json& body);

runtime::mcp::tool chat_tool(const state_ptr& st);
runtime::mcp::tool embed_tool(const state_ptr& st);
runtime::mcp::tool models_tool(const state_ptr& st);

/// Fetches the model list in the background to learn prices (for the cost
/// of providers that do not report it), when the provider has one and the
/// prices are older than `max_age`.
/// Ends a fetch of the prices (whatever its outcome): runs the completions
/// waiting for them.
void prices_known(provider_state& st);

void refresh_prices(caf::event_based_actor* self,
                    const state_ptr& st,
                    std::chrono::minutes max_age = std::chrono::minutes{ 15 });

/// The handler of streamed chunks (`(http::chunk, tag, bytes)`).
caf::message_handler stream_handlers(const state_ptr& st);

} // namespace sophia::actors::ai
