#pragma once

#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <nlohmann/json_fwd.hpp>

#include "runtime/http/service_policy.hpp"
#include "runtime/supervision/child_spec.hpp"

namespace sophia::runtime::config {
struct cluster_config;
struct service_config;
} // namespace sophia::runtime::config

namespace sophia::runtime::http {
struct policy;
} // namespace sophia::runtime::http

namespace sophia::actors::ai {

struct ai_context;

/// The HTTP policy of `[services.NAME]` (timeouts, retries, breaker, limits).
using runtime::http::policy_of;

/// The AI domain's actors as one supervisor child of role `role`: the HTTP
/// client first, the services status, the reloader (when `membership` is
/// given), then one child per configured service (Arize's exporter, then
/// each provider), under rest_for_one (providers hold the client's handle,
/// so they restart with it). A service's secrets are resolved each time it
/// starts; a service whose secret is not set is not started (its tools are
/// not listed). On a reload of cluster.conf the reloader (`reloader.hpp`)
/// starts, stops and restarts services to match the file.
runtime::supervision::child_spec ai_supervisor(
  const runtime::config::cluster_config& cluster,
  caf::actor registry,
  std::string role,
  std::function<caf::actor()> membership = {},
  std::string node = {});

/// The child specs of the configured services of `cluster` the AI role
/// runs: `arize` first (the providers send it their spans), then one per AI
/// provider, each with the service's name as id. With `log_unconfigured`,
/// logs why each other one is not configured.
std::vector<runtime::supervision::child_spec>
service_children(const runtime::config::cluster_config& cluster,
                 const ai_context& ctx,
                 bool log_unconfigured);

/// Whether two `[services.NAME]` tables set every key alike.
bool same_service(const runtime::config::service_config& x,
                  const runtime::config::service_config& y);

/// Every `[services.NAME]` that is an AI provider, as rows of
/// `{service, kind, configured, reason, configure, tools, base_url}`:
/// `reason` says why one is not configured and `configure` what to set.
/// Secret values never appear; references do.
nlohmann::json ai_service_rows(const runtime::config::cluster_config& cluster);

} // namespace sophia::actors::ai
