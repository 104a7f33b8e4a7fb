#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

/// The pipeline's MCP tools, served by the `pipeline` role:
/// `pipeline.ingest` (Airbyte messages and a configured catalog),
/// `pipeline.status` and `pipeline.query` (read-only SQL), `pipeline.tail`,
/// the sources' `check`, `discover`, `sync` and `replay_dead_letters`.
/// What writes goes to the worker (`worker.hpp`), what only reads to the
/// reader (`reader.hpp`), so that a sync in progress holds up no status
/// or query.
/// `pipeline.search` (when `vectors` is given) asks the vectors stage
/// (`vectors/stage.hpp`).
namespace sophia::actors::pipeline {

caf::expected<caf::actor> spawn_pipeline_service(caf::actor_system& sys,
                                                 caf::actor registry,
                                                 caf::actor worker,
                                                 caf::actor reader,
                                                 std::string domain,
                                                 caf::actor vectors = {});

} // namespace sophia::actors::pipeline
