#pragma once

#include <string>

#include <caf/fwd.hpp>

#include "actors/pipeline/vectors/stage.hpp"

namespace sophia::runtime::config {
struct cluster_config;
} // namespace sophia::runtime::config

/// The vectors stage's copy in the configured external vector stores:
/// `[services.pinecone]` and/or `[services.weaviate]` with a `base_url`.
/// Each chunk the stage indexes or removes is gathered (the last change of
/// each slot wins) and sent after the batch or rebuild page, through one
/// sink actor per store (`vector_stores/sink.hpp`: batching, retries,
/// breaker). The stores are a copy: a failure shows as the vectors stage's
/// `last_error` in `pipeline.status`, and neither PostgreSQL nor the local
/// index waits for them; what a failed request carried reaches the store
/// with the next rebuild.
namespace sophia::actors::pipeline::vectors {

/// Sets `o.sink` and `o.flush` when a store is configured. Returns why a
/// configured store cannot be used (its secret, its settings), "" if none.
std::string connect_external_stores(caf::actor_system& sys,
                                    const runtime::config::cluster_config& cfg,
                                    stage_options& o);

} // namespace sophia::actors::pipeline::vectors
