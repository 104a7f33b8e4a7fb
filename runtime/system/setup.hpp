#pragma once

namespace caf {
class actor_system_config;
} // namespace caf

namespace sophia::runtime::config {
struct cluster_config;
} // namespace sophia::runtime::config

namespace sophia::runtime::system {

/// Announces every message type that crosses a node (both sides must, or
/// typed interfaces fail to match and serialization skips them) and
/// registers the renderer of Sophia's error category. Enough for tests on
/// CAF's deterministic test coordinator, which runs without a middleman.
void announce(caf::actor_system_config& cfg);

/// Prepares a CAF configuration for any process that talks to a cluster:
/// loads the middleman and calls `announce`.
void prepare(caf::actor_system_config& cfg);

/// `prepare`, plus the settings of `[cluster]`: scheduler policy and thread
/// count, and BASP heartbeats and connection timeout; and the allocator's
/// (`keep_freed_memory`): for the processes that run a node's actors. These must be the same
/// on every node: a one-sided connection timeout marks idle peers dead.
void prepare(caf::actor_system_config& cfg,
             const config::cluster_config& cluster);

} // namespace sophia::runtime::system
