#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

/// The chat tools' shared contract: one input schema for every provider
/// (`model`, `messages` or `prompt`, `max_tokens`, `temperature`, `top_p`,
/// `stop`), the OpenAI chat-completions request built from it, and the one
/// result every provider's answer is turned into.
namespace sophia::actors::ai {

/// The input schema of `SERVICE.chat` (JSON text); `extra` adds
/// provider-specific properties (e.g. OpenRouter's `provider`).
std::string chat_input_schema(const nlohmann::json& extra = nlohmann::json::object());

/// The output schema of `SERVICE.chat` (JSON text).
std::string chat_output_schema();

/// Builds the OpenAI `/chat/completions` body from validated tool
/// arguments: `prompt` becomes one user message; `extra_keys` are copied
/// as they are (e.g. `provider`, `models`). Fails with a message naming
/// the argument when neither or both of `messages` and `prompt` are given.
std::optional<std::string> build_chat_request(const nlohmann::json& args,
                                              bool stream,
                                              nlohmann::json& body);

/// What one completion produced.
struct chat_result {
  std::string text;
  std::string model;
  std::string provider;
  std::string finish_reason;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
  /// USD, as the provider reported it or from the model's price.
  std::optional<double> cost_usd;
  double latency_ms = 0;
  std::optional<double> first_token_ms;
  /// The response's id (`gen-...`), for logs and traces.
  std::string id;

  /// `structuredContent` of the chat tools.
  nlohmann::json to_json() const;
};

/// Reads a non-streamed `chat.completion`; fails with what is missing.
std::optional<std::string> parse_chat_response(const nlohmann::json& body,
                                               chat_result& out);

/// Adds one streamed `chat.completion.chunk` to `out` (content deltas,
/// finish reason, model, provider, and usage, which arrives in the last
/// chunk); returns the chunk's new text.
std::string add_chat_chunk(const nlohmann::json& chunk, chat_result& out);

} // namespace sophia::actors::ai
