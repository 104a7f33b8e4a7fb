#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include "runtime/vectors/exact_index.hpp"

/// One shard of a `sharded_index` (sharded_index.hpp): an actor owning the
/// `exact_index` of the vectors the shard rule gives it. Its messages stay
/// in this process (the shards are private to their sharded_index), so they
/// are plain structs, never serialised. Each request carries a sequence
/// number that the reply repeats: the owner drops replies that come after
/// it gave up waiting for them.
namespace sophia::actors::pipeline::vectors {

/// -> `shard_reply`: adds (or replaces) the rows, as
/// `exact_index::add_batch`.
struct shard_add {
  uint64_t seq = 0;
  /// Sent without waiting for the reply (`sharded_index::add`): the reply
  /// says so, for the owner's count of adds in flight.
  bool pipelined = false;
  std::vector<uint64_t> ids;
  /// `ids.size()` rows of the index's dimension.
  std::vector<float> rows;
};

/// -> `shard_reply`: the `k` best rows of the shard for each query.
struct shard_search {
  uint64_t seq = 0;
  /// The queries row by row, shared by every shard of one search.
  std::shared_ptr<const std::vector<float>> queries;
  size_t k = 0;
};

/// A shard's answer to either request.
struct shard_reply {
  uint64_t seq = 0;
  /// The reply to a pipelined `shard_add`.
  bool pipelined = false;
  uint32_t shard = 0;
  /// Empty on success.
  std::string error;
  /// A search's results: one list per query, best first.
  std::vector<runtime::vectors::hits> hits;
};

/// Spawns shard `number` owning `index`, detached (a BLAS search is CPU
/// work that would hold a scheduler thread). It monitors `owner` and quits
/// when the owner terminates, so that shards never outlive their index.
caf::actor spawn_index_shard(caf::actor_system& sys, uint32_t number,
                             runtime::vectors::exact_index index,
                             const caf::actor_addr& owner);

} // namespace sophia::actors::pipeline::vectors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sophia::actors::pipeline::vectors::shard_add)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sophia::actors::pipeline::vectors::shard_search)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sophia::actors::pipeline::vectors::shard_reply)
