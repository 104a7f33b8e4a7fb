#pragma once

#include <vector>

#include <caf/fwd.hpp>

#include "actors/pipeline/sources/source_spec.hpp"

/// The schedules of `[pipeline.sources.NAME] schedule_s`: an actor that
/// asks the worker for `sync NAME` every `schedule_s` seconds (the first
/// one `schedule_s` after it starts), and skips a turn while the source's
/// previous sync is still running. Sources without a schedule are only
/// synced on demand (pipeline.sync).
namespace sophia::actors::pipeline::sources {

caf::expected<caf::actor> spawn_scheduler(caf::actor_system& sys,
                                          caf::actor worker,
                                          std::vector<source_spec> sources);

} // namespace sophia::actors::pipeline::sources
