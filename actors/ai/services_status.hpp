#pragma once

#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <nlohmann/json_fwd.hpp>

namespace sophia::runtime::config {
struct cluster_config;
} // namespace sophia::runtime::config

namespace sophia::actors::ai {

/// Every `[services.NAME]` of `cluster` as rows of `{service, domain, kind,
/// configured, reason, configure, api_key (the reference), base_url,
/// tools}`, without live state. Secret values never appear.
nlohmann::json service_rows(const runtime::config::cluster_config& cluster);

/// Adds the HTTP client's live state (`(stats)` JSON) to `rows`: `breaker`,
/// `last_error`, `in_flight`, `queued`, `requests` (by status).
void add_live_state(nlohmann::json& rows, const nlohmann::json& stats);

/// One table line per row, for `sophiactl services`.
std::string services_table(const nlohmann::json& rows);

/// The MCP service `services` (registered as `mcp.services`): the tool
/// `sophia.services` and the resource `sophia://services`, both answering
/// the rows of the configuration `current` returns (the file as last
/// reloaded) with the live state of the HTTP client that `http` points to.
caf::expected<caf::actor> spawn_services_status(
  caf::actor_system& sys,
  caf::actor registry,
  std::function<runtime::config::cluster_config()> current,
  std::shared_ptr<caf::actor> http,
  std::string domain);

} // namespace sophia::actors::ai
