#include "actors/ai/ai_role.hpp"

#include <memory>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "actors/ai/provider.hpp"
#include "actors/ai/services_status.hpp"
#include "actors/ai/tracer.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/config/secrets.hpp"
#include "runtime/error.hpp"
#include "runtime/http/client.hpp"
#include "runtime/log.hpp"
#include "runtime/supervision/supervisor.hpp"

namespace sophia::actors::ai {

namespace sup = runtime::supervision;
namespace cfg = runtime::config;
using nlohmann::json;

runtime::http::policy policy_of(const cfg::service_config& svc) {
  runtime::http::policy p;
  p.connect_timeout = std::chrono::milliseconds{ svc.connect_timeout_ms };
  p.timeout = std::chrono::milliseconds{ svc.timeout_ms };
  p.max_response_bytes = static_cast<size_t>(svc.max_response_bytes);
  p.max_retries = static_cast<int>(svc.max_retries);
  p.backoff_base = std::chrono::milliseconds{ svc.backoff_ms };
  p.breaker_failures = static_cast<int>(svc.breaker_failures);
  p.breaker_cooldown = std::chrono::milliseconds{ svc.breaker_cooldown_ms };
  p.max_concurrency = static_cast<int>(svc.max_concurrency);
  p.rate_per_second = static_cast<double>(svc.rate_per_minute) / 60.0;
  p.rate_burst = svc.rate_per_minute > 0
                   ? static_cast<int>(std::max<int64_t>(1, svc.rate_per_minute / 60))
                   : 0;
  return p;
}

namespace {

/// Why `svc` is not configured, or empty when it is.
std::string unconfigured_reason(const cfg::service_config& svc,
                                provider_kind kind) {
  if (kind == provider_kind::openai_compatible) {
    // A self-hosted server may need no key, but it needs an address.
    if (svc.base_url.empty()) return "base_url is not set";
    if (!svc.api_key.empty() && cfg::is_unset_secret(svc.api_key))
      return "its api_key " + svc.api_key + " is not set";
    return {};
  }
  if (svc.api_key.empty()) return "api_key is not set";
  if (cfg::is_unset_secret(svc.api_key))
    return "its api_key " + svc.api_key + " is not set";
  return {};
}

std::string configure_hint(const cfg::service_config& svc, provider_kind kind) {
  if (kind == provider_kind::openai_compatible && svc.base_url.empty())
    return "set base_url in [services." + svc.name + "]";
  return cfg::how_to_set(svc.api_key);
}

/// The real OTLP endpoint of Arize.
constexpr const char* arize_default_url = "https://otlp.arize.com";

/// Why `[services.arize]` is not configured, or empty when it is.
std::string arize_unconfigured(const cfg::service_config& svc) {
  for (auto* ref : { &svc.api_key, &svc.space_id }) {
    auto key = ref == &svc.api_key ? "api_key" : "space_id";
    if (ref->empty()) return std::string{ key } + " is not set";
    if (cfg::is_unset_secret(*ref))
      return "its " + std::string{ key } + " " + *ref + " is not set";
  }
  return {};
}

/// Starts the Arize exporter, resolving its secrets now.
caf::expected<caf::actor> start_tracer(caf::actor_system& sys,
                                       const cfg::service_config& svc,
                                       caf::actor http) {
  auto key = cfg::resolve_secret(svc.api_key);
  if (!key) return key.error();
  auto space = cfg::resolve_secret(svc.space_id);
  if (!space) return space.error();
  caf::anon_send(http, runtime::http::configure::value, svc.name, policy_of(svc));
  tracer_options opts;
  auto base = svc.base_url.empty() ? std::string{ arize_default_url } : svc.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  opts.endpoint = base + "/v1/traces";
  opts.api_key = std::move(*key);
  opts.space_id = std::move(*space);
  opts.project = svc.project;
  opts.service = svc.name;
  opts.http = std::move(http);
  return spawn_tracer(sys, std::move(opts));
}

/// Starts one provider, resolving its secrets now.
caf::expected<caf::actor> start_provider(caf::actor_system& sys,
                                         const cfg::service_config& svc,
                                         provider_kind kind,
                                         caf::actor registry,
                                         caf::actor http,
                                         caf::actor tracer,
                                         const std::string& role) {
  std::string key;
  if (!svc.api_key.empty()) {
    auto k = cfg::resolve_secret(svc.api_key);
    if (!k) return k.error();
    key = std::move(*k);
  }
  std::string virtual_key;
  if (!svc.virtual_key.empty()) {
    auto v = cfg::resolve_secret(svc.virtual_key);
    if (!v) return v.error();
    virtual_key = std::move(*v);
  }
  caf::anon_send(http, runtime::http::configure::value, svc.name, policy_of(svc));
  return spawn_provider(sys,
                        std::move(registry),
                        std::move(http),
                        make_profile(svc, kind, key, virtual_key),
                        role,
                        std::move(tracer));
}

} // namespace

sup::child_spec ai_supervisor(const cfg::cluster_config& cluster,
                              caf::actor registry,
                              std::string role) {
  auto log = runtime::log::get("ai");
  // The client's handle for the providers, set each time it (re)starts.
  auto http = std::make_shared<caf::actor>();
  std::vector<sup::child_spec> children;
  sup::child_spec client;
  client.id = "http";
  client.start = [http](caf::actor_system& sys, const caf::message&) {
    *http = runtime::http::spawn_client(sys);
    return caf::expected<caf::actor>{ *http };
  };
  client.shutdown = sup::shutdown_spec::timeout(std::chrono::milliseconds{ 2000 });
  children.push_back(std::move(client));
  sup::child_spec status;
  status.id = "services";
  status.start = [cluster, registry, http, role](caf::actor_system& sys,
                                                 const caf::message&) {
    return spawn_services_status(sys, registry, cluster, http, role);
  };
  status.shutdown = sup::shutdown_spec::timeout(std::chrono::milliseconds{ 1000 });
  children.push_back(std::move(status));
  // The tracer before the providers, which send it their spans.
  auto tracer = std::make_shared<caf::actor>();
  if (auto a = cluster.services.find("arize"); a != cluster.services.end()) {
    if (auto why = arize_unconfigured(a->second); !why.empty()) {
      log->info("service arize is not configured: {}; LLM calls are not traced", why);
    } else {
      sup::child_spec child;
      child.id = "arize";
      child.start = [svc = a->second, http, tracer](caf::actor_system& sys,
                                                     const caf::message&) {
        auto t = start_tracer(sys, svc, *http);
        if (t) *tracer = *t;
        return t;
      };
      child.shutdown = sup::shutdown_spec::timeout(std::chrono::milliseconds{ 2000 });
      children.push_back(std::move(child));
    }
  }
  for (auto& [name, svc] : cluster.services) {
    auto kind = kind_of(svc);
    if (!kind) continue; // another domain's service
    if (auto why = unconfigured_reason(svc, *kind); !why.empty()) {
      log->info("service {} is not configured: {}; {}",
                name, why, configure_hint(svc, *kind));
      continue;
    }
    sup::child_spec child;
    child.id = name;
    child.start = [svc, k = *kind, registry, http, tracer, role](
                    caf::actor_system& sys, const caf::message&) {
      return start_provider(sys, svc, k, registry, *http, *tracer, role);
    };
    child.shutdown = sup::shutdown_spec::timeout(std::chrono::milliseconds{ 2000 });
    children.push_back(std::move(child));
  }
  return sup::supervisor_spec(
    "ai", sup::flags{ sup::strategy::rest_for_one, 3, std::chrono::milliseconds{ 5000 } },
    std::move(children));
}

json ai_service_rows(const cfg::cluster_config& cluster) {
  json rows = json::array();
  if (auto a = cluster.services.find("arize"); a != cluster.services.end()) {
    auto why = arize_unconfigured(a->second);
    rows.push_back({ { "service", "arize" },
                     { "domain", "ai_intelligence" },
                     { "kind", "arize" },
                     { "configured", why.empty() },
                     { "reason", why },
                     { "configure",
                       why.empty() ? ""
                                   : cfg::how_to_set(cfg::is_unset_secret(a->second.api_key)
                                                       ? a->second.api_key
                                                       : a->second.space_id) },
                     { "api_key", a->second.api_key },
                     { "base_url", a->second.base_url.empty() ? arize_default_url
                                                              : a->second.base_url },
                     { "tools", json::array() } });
  }
  for (auto& [name, svc] : cluster.services) {
    auto kind = kind_of(svc);
    if (!kind) continue;
    auto why = unconfigured_reason(svc, *kind);
    json tools = json::array();
    for (auto& t : tools_of(*kind)) tools.push_back(name + "." + t);
    rows.push_back({ { "service", name },
                     { "domain", "ai_intelligence" },
                     { "kind", svc.kind == "auto" ? name : svc.kind },
                     { "configured", why.empty() },
                     { "reason", why },
                     { "configure", why.empty() ? "" : configure_hint(svc, *kind) },
                     { "api_key", svc.api_key },
                     { "base_url", svc.base_url.empty() ? default_base_url(*kind) : svc.base_url },
                     { "tools", std::move(tools) } });
  }
  return rows;
}

} // namespace sophia::actors::ai
