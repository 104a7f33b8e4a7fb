#pragma once

#include <string>

#include <caf/actor.hpp>

#include "runtime/supervision/child_spec.hpp"

namespace sophia::runtime::config {
struct cluster_config;
} // namespace sophia::runtime::config

/// The `pipeline` role's actors as one supervisor child: the worker (the
/// PostgreSQL writer, detached) and the MCP service in front of it, under
/// rest_for_one (the service holds the worker's handle). `[pipeline]
/// postgres` is resolved each time the worker starts; when it is unset
/// (and `tools/sophia up` exported no $SOPHIA_PIPELINE_POSTGRES) the tools
/// are listed and say what to set.
namespace sophia::actors::pipeline {

runtime::supervision::child_spec
pipeline_supervisor(const runtime::config::cluster_config& cluster,
                    caf::actor registry, std::string role);

} // namespace sophia::actors::pipeline
