#include "actors/ai/provider.hpp"

#include <caf/all.hpp>

#include "actors/ai/provider_state.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/error.hpp"

namespace sophia::actors::ai {

namespace mcp = runtime::mcp;
using runtime::errc;

std::string default_base_url(provider_kind kind) {
  switch (kind) {
    case provider_kind::openrouter: return "https://openrouter.ai/api/v1";
    case provider_kind::portkey: return "https://api.portkey.ai/v1";
    case provider_kind::huggingface: return "https://router.huggingface.co";
    case provider_kind::together_ai: return "https://api.together.ai/v1";
    case provider_kind::openai_compatible: return {};
  }
  return {};
}

caf::expected<provider_kind> kind_of(
  const runtime::config::service_config& svc) {
  if (svc.kind == "openai_compatible") return provider_kind::openai_compatible;
  if (svc.name == "openrouter") return provider_kind::openrouter;
  if (svc.name == "portkey") return provider_kind::portkey;
  if (svc.name == "huggingface") return provider_kind::huggingface;
  if (svc.name == "together_ai") return provider_kind::together_ai;
  return runtime::make_error(errc::not_found,
                             "[services." + svc.name +
                               "] is not an AI provider (openrouter, "
                               "portkey, huggingface, together_ai, or "
                               "kind = \"openai_compatible\")");
}

profile make_profile(const runtime::config::service_config& svc,
                     provider_kind kind,
                     const std::string& api_key,
                     const std::string& virtual_key) {
  profile p;
  p.service = svc.name;
  p.kind = kind;
  p.secret_ref = svc.api_key;
  p.base_url = svc.base_url.empty() ? default_base_url(kind) : svc.base_url;
  while (!p.base_url.empty() && p.base_url.back() == '/') p.base_url.pop_back();
  switch (kind) {
    case provider_kind::openrouter: p.display = "OpenRouter"; break;
    case provider_kind::portkey: p.display = "Portkey"; break;
    case provider_kind::huggingface: p.display = "Hugging Face"; break;
    case provider_kind::together_ai: p.display = "Together AI"; break;
    case provider_kind::openai_compatible: p.display = svc.name; break;
  }
  if (kind == provider_kind::portkey) {
    // The gateway's own key, and what it should route to.
    p.headers.emplace_back("x-portkey-api-key", api_key);
    if (!svc.provider.empty())
      p.headers.emplace_back("x-portkey-provider", svc.provider);
    if (!virtual_key.empty())
      p.headers.emplace_back("x-portkey-virtual-key", virtual_key);
    if (!svc.config.empty())
      p.headers.emplace_back("x-portkey-config", svc.config);
  } else if (!api_key.empty()) {
    p.headers.emplace_back("authorization", "Bearer " + api_key);
  }
  if (kind == provider_kind::openrouter) {
    // OpenRouter's app attribution, so usage shows up under Sophia.
    p.headers.emplace_back("x-openrouter-title", "Sophia");
  }
  for (auto* s : { &api_key, &virtual_key })
    if (!s->empty()) p.secrets.push_back(*s);
  return p;
}

std::vector<std::string> tools_of(provider_kind kind) {
  switch (kind) {
    case provider_kind::openrouter: return { "chat", "models" };
    case provider_kind::portkey: return { "chat" };
    case provider_kind::huggingface: return { "chat", "embed" };
    case provider_kind::together_ai: return { "chat", "embed", "models" };
    case provider_kind::openai_compatible: return { "chat", "embed", "models" };
  }
  return {};
}

caf::expected<caf::actor> spawn_provider(caf::actor_system& sys,
                                         caf::actor registry,
                                         caf::actor http,
                                         profile p,
                                         std::string domain,
                                         caf::actor tracer) {
  auto st = std::make_shared<provider_state>();
  st->p = std::move(p);
  st->http = std::move(http);
  st->tracer = std::move(tracer);
  mcp::service_spec spec{ st->p.service, std::move(domain) };
  for (auto& name : tools_of(st->p.kind)) {
    if (name == "chat") spec.tools.push_back(chat_tool(st));
    if (name == "embed") spec.tools.push_back(embed_tool(st));
    if (name == "models") spec.tools.push_back(models_tool(st));
  }
  spec.handlers = [st](caf::event_based_actor*) { return stream_handlers(st); };
  // Prices for the cost of providers that do not report it.
  spec.on_start = [st](caf::event_based_actor* self) { refresh_prices(self, st); };
  return mcp::spawn_service(sys, std::move(registry), std::move(spec));
}

} // namespace sophia::actors::ai
