#pragma once

#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "runtime/http/client.hpp"

namespace sophia::runtime::config {
struct service_config;
} // namespace sophia::runtime::config

/// The AI providers' clients (role `ai_intelligence`). Every provider here
/// speaks the OpenAI chat-completions format; what differs is a profile:
/// the API root, how to authenticate, where embeddings and the model list
/// live and what they look like, and whether the provider reports cost.
namespace sophia::actors::ai {

/// The providers Sophia has a client for.
enum class provider_kind {
  openrouter,
  portkey,
  huggingface,
  together_ai,
  openai_compatible,
};

/// What a client needs to know about its provider.
struct profile {
  /// `[services.NAME]`: names the tools (`NAME.chat`) and the metrics.
  std::string service;
  provider_kind kind = provider_kind::openai_compatible;
  /// For tool descriptions: "OpenRouter".
  std::string display;
  /// The API root, without a trailing slash.
  std::string base_url;
  /// Sent with every request: authentication and the provider's own.
  std::vector<runtime::http::header> headers;
  /// The api_key reference as written in cluster.conf, for 401 messages.
  std::string secret_ref;
  /// Secret values, redacted from anything the tools return.
  std::vector<std::string> secrets;
};

/// The real API root of `kind` (used when base_url is empty).
std::string default_base_url(provider_kind kind);

/// The provider of `[services.NAME]`: by `kind = "openai_compatible"`, else
/// by NAME; fails for a NAME that is no AI provider.
caf::expected<provider_kind> kind_of(const runtime::config::service_config& svc);

/// Builds the profile of a configured service, with `api_key` (and
/// Portkey's `virtual_key`) already resolved.
profile make_profile(const runtime::config::service_config& svc,
                     provider_kind kind,
                     const std::string& api_key,
                     const std::string& virtual_key);

/// The tools a provider serves (unprefixed), e.g. {"chat", "models"}.
std::vector<std::string> tools_of(provider_kind kind);

/// Spawns the provider's MCP service (`mcp.SERVICE`), sending its HTTP
/// through `http` (whose policy for the service the caller configures) and
/// its LLM spans to `tracer` (`tracer.hpp`; none when null).
caf::expected<caf::actor> spawn_provider(caf::actor_system& sys,
                                         caf::actor registry,
                                         caf::actor http,
                                         profile p,
                                         std::string domain,
                                         caf::actor tracer = {});

} // namespace sophia::actors::ai
