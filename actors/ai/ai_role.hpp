#pragma once

#include <string>

#include <caf/actor.hpp>
#include <nlohmann/json_fwd.hpp>

#include "runtime/supervision/child_spec.hpp"

namespace sophia::runtime::config {
struct cluster_config;
struct service_config;
} // namespace sophia::runtime::config

namespace sophia::runtime::http {
struct policy;
} // namespace sophia::runtime::http

namespace sophia::actors::ai {

/// The HTTP policy of `[services.NAME]` (timeouts, retries, breaker, limits).
runtime::http::policy policy_of(const runtime::config::service_config& svc);

/// The AI domain's actors as one supervisor child of role `role`: the HTTP
/// client first, then one provider per configured AI service, under
/// rest_for_one (providers hold the client's handle, so they restart with
/// it). A provider's secrets are resolved each time it starts; a service
/// whose secret is not set is not started (its tools are not listed).
runtime::supervision::child_spec ai_supervisor(
  const runtime::config::cluster_config& cluster,
  caf::actor registry,
  std::string role);

/// Every `[services.NAME]` that is an AI provider, as rows of
/// `{service, kind, configured, reason, configure, tools, base_url}`:
/// `reason` says why one is not configured and `configure` what to set.
/// Secret values never appear; references do.
nlohmann::json ai_service_rows(const runtime::config::cluster_config& cluster);

} // namespace sophia::actors::ai
