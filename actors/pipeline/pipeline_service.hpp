#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

/// The pipeline's MCP tools, served by the `pipeline` role:
/// `pipeline.ingest` (Airbyte messages and a configured catalog),
/// `pipeline.status` and `pipeline.query` (read-only SQL). Each forwards
/// to the worker (`worker.hpp`), which owns the PostgreSQL connections.
/// `pipeline.search` (when `vectors` is given) asks the vectors stage
/// (`vectors/stage.hpp`).
namespace sophia::actors::pipeline {

caf::expected<caf::actor> spawn_pipeline_service(caf::actor_system& sys,
                                                 caf::actor registry,
                                                 caf::actor worker,
                                                 std::string domain,
                                                 caf::actor vectors = {});

} // namespace sophia::actors::pipeline
