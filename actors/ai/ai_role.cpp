#include "actors/ai/ai_role.hpp"

#include <algorithm>
#include <memory>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "actors/ai/ai_context.hpp"
#include "actors/ai/provider.hpp"
#include "actors/ai/reloader.hpp"
#include "actors/ai/services_status.hpp"
#include "actors/ai/tracer.hpp"
#include "actors/optimizer/router.hpp"
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

/// The configured AI providers, for the router.
std::vector<optimizer::provider_ref> router_providers(const cfg::cluster_config& cluster) {
  std::vector<optimizer::provider_ref> out;
  for (auto& [name, svc] : cluster.services) {
    auto kind = kind_of(svc);
    if (!kind || !unconfigured_reason(svc, *kind).empty()) continue;
    auto tools = tools_of(*kind);
    out.push_back({ name, std::find(tools.begin(), tools.end(), "models") != tools.end() });
  }
  return out;
}

} // namespace

bool same_service(const cfg::service_config& x, const cfg::service_config& y) {
#define SOPHIA_SAME_KEY(TYPE, NAME, ...) &&x.NAME == y.NAME
  return x.name == y.name SOPHIA_CONFIG_KEYS_SERVICE(SOPHIA_SAME_KEY);
#undef SOPHIA_SAME_KEY
}

std::vector<sup::child_spec> service_children(const cfg::cluster_config& cluster,
                                              const ai_context& ctx,
                                              bool log_unconfigured) {
  auto log = runtime::log::get("ai");
  std::vector<sup::child_spec> children;
  auto stop_after = sup::shutdown_spec::timeout(std::chrono::milliseconds{ 2000 });
  if (auto a = cluster.services.find("arize"); a != cluster.services.end()) {
    if (auto why = arize_unconfigured(a->second); !why.empty()) {
      if (log_unconfigured)
        log->info("service arize is not configured: {}; LLM calls are not traced", why);
    } else {
      sup::child_spec child;
      child.id = "arize";
      child.start = [svc = a->second, ctx](caf::actor_system& sys, const caf::message&) {
        auto t = start_tracer(sys, svc, *ctx.http);
        if (t) *ctx.tracer = *t;
        return t;
      };
      child.shutdown = stop_after;
      children.push_back(std::move(child));
    }
  }
  for (auto& [name, svc] : cluster.services) {
    auto kind = kind_of(svc);
    if (!kind) continue; // another domain's service
    if (auto why = unconfigured_reason(svc, *kind); !why.empty()) {
      if (log_unconfigured)
        log->info("service {} is not configured: {}; {}",
                  name, why, configure_hint(svc, *kind));
      continue;
    }
    sup::child_spec child;
    child.id = name;
    child.start = [svc, k = *kind, ctx](caf::actor_system& sys, const caf::message&) {
      return start_provider(sys, svc, k, ctx.registry, *ctx.http, *ctx.tracer, ctx.role);
    };
    child.shutdown = stop_after;
    children.push_back(std::move(child));
  }
  return children;
}

sup::child_spec ai_supervisor(const cfg::cluster_config& cluster,
                              caf::actor registry,
                              std::string role,
                              std::function<caf::actor()> membership,
                              std::string node) {
  // One holder for every incarnation: a restart of the whole supervisor
  // builds its children from the file as last reloaded.
  auto holder = std::make_shared<config_holder>(cluster);
  sup::child_spec spec;
  spec.id = "ai";
  spec.kind = sup::child_kind::supervisor;
  spec.start = [holder, registry, role, membership, node](caf::actor_system& sys,
                                                          const caf::message&) {
    ai_context ctx{ registry, role, holder, membership };
    ctx.node = node;
    std::vector<sup::child_spec> children;
    sup::child_spec client;
    client.id = "http";
    client.start = [ctx](caf::actor_system& sys, const caf::message&) {
      *ctx.http = runtime::http::spawn_client(sys);
      return caf::expected<caf::actor>{ *ctx.http };
    };
    client.shutdown = sup::shutdown_spec::timeout(std::chrono::milliseconds{ 2000 });
    children.push_back(std::move(client));
    sup::child_spec status;
    status.id = "services";
    status.start = [ctx](caf::actor_system& sys, const caf::message&) {
      return spawn_services_status(
        sys, ctx.registry, [h = ctx.config] { return h->get(); }, ctx.http, ctx.role);
    };
    status.shutdown = sup::shutdown_spec::timeout(std::chrono::milliseconds{ 1000 });
    children.push_back(std::move(status));
    if (membership) {
      sup::child_spec reload;
      reload.id = "reload";
      reload.start = [ctx](caf::actor_system& sys, const caf::message&) {
        return caf::expected<caf::actor>{ spawn_reloader(sys, ctx) };
      };
      reload.shutdown = sup::shutdown_spec::timeout(std::chrono::milliseconds{ 1000 });
      children.push_back(std::move(reload));
    }
    sup::child_spec router;
    router.id = "router";
    router.start = [ctx](caf::actor_system& sys, const caf::message&) {
      optimizer::router_options o;
      o.registry = ctx.registry;
      o.domain = ctx.role;
      o.providers = [h = ctx.config] { return router_providers(h->get()); };
      o.tracer = [t = ctx.tracer] { return *t; };
      o.node = ctx.node;
      o.model_overrides = [h = ctx.config] {
        std::vector<optimizer::model_override> out;
        for (auto& [id, m] : h->get().models) {
          optimizer::model_override x;
          x.id = id;
          x.provider = m.provider;
          x.prompt_usd_per_mtok = m.prompt_usd_per_mtok;
          x.completion_usd_per_mtok = m.completion_usd_per_mtok;
          x.context_length = m.context_length;
          x.capabilities = m.capabilities;
          for (auto [task, q] : { std::pair{ "simple", m.quality_simple },
                                  std::pair{ "complex", m.quality_complex },
                                  std::pair{ "code", m.quality_code },
                                  std::pair{ "analysis", m.quality_analysis } })
            if (q >= 0) x.prior_quality[task] = q;
          out.push_back(std::move(x));
        }
        return out;
      };
      o.limits = [h = ctx.config] {
        auto cfg = h->get();
        optimizer::limits_config out;
        out.lease_percent = cfg.lease_percent;
        for (auto& [name, k] : cfg.api_keys)
          if (k.daily_budget_cents > 0 || k.monthly_budget_cents > 0 ||
              k.ai_calls_per_minute > 0 || k.tokens_per_minute > 0)
            out.keys[name] = { static_cast<double>(k.daily_budget_cents) / 100.0,
                               static_cast<double>(k.monthly_budget_cents) / 100.0,
                               k.ai_calls_per_minute,
                               k.tokens_per_minute,
                               k.budgets_on_limiter_down == "fail_open",
                               k.rates_on_limiter_down == "fail_open" };
        for (auto& [name, svc] : cfg.services)
          if (svc.cluster_requests_per_minute > 0 || svc.cluster_tokens_per_minute > 0)
            out.providers[name] = { svc.cluster_requests_per_minute,
                                    svc.cluster_tokens_per_minute,
                                    svc.on_limiter_down == "fail_open" };
        return out;
      };
      return optimizer::spawn_router(sys, std::move(o));
    };
    router.shutdown = sup::shutdown_spec::timeout(std::chrono::milliseconds{ 1000 });
    children.push_back(std::move(router));
    for (auto& child : service_children(holder->get(), ctx, true))
      children.push_back(std::move(child));
    // rest_for_one: the providers hold the client's (and the tracer's)
    // handle, so they restart after it.
    auto sup = sup::spawn_supervisor(
      sys, "ai",
      sup::flags{ sup::strategy::rest_for_one, 3, std::chrono::milliseconds{ 5000 } },
      std::move(children));
    if (sup) *ctx.supervisor = *sup;
    return sup;
  };
  return spec;
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
