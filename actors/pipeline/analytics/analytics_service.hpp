#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

/// The MCP tool `analytics.summary`, served by the `pipeline` role: the
/// rolling aggregates of the cluster's tool calls (`aggregates.hpp`),
/// asked of the pipeline's reader (`reader.hpp`).
namespace sophia::actors::pipeline::analytics {

caf::expected<caf::actor> spawn_analytics_service(caf::actor_system& sys,
                                                  caf::actor registry,
                                                  caf::actor reader,
                                                  std::string domain);

} // namespace sophia::actors::pipeline::analytics
