#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/ai/ai_context.hpp"

namespace sophia::actors::ai {

/// Spawns the reloader of the AI role, detached because resolving an `esc:`
/// secret runs a process. It subscribes to the node's membership actor
/// (again whenever that actor restarts) and, on each `(reload, path)`,
/// re-reads `path` and re-resolves every secret of the role's services:
/// - a service configured now and not before is started (its tools appear);
/// - one no longer configured, or gone from the file, is stopped (its tools
///   vanish);
/// - one whose table or resolved secrets changed is restarted, and every
///   provider with Arize when Arize's changed (they hold its handle);
/// - one whose secret cannot be resolved now keeps running as it was; the
///   error is logged, never a secret value.
/// The services status (`sophia.services`) reads the new file at once.
caf::actor spawn_reloader(caf::actor_system& sys, ai_context ctx);

} // namespace sophia::actors::ai
