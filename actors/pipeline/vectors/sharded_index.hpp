#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <caf/fwd.hpp>

#include "runtime/vectors/vector_index.hpp"

namespace sophia::actors::pipeline::vectors {

/// How `record_index::make` builds an exact index.
struct shard_options {
  /// 1: one `exact_index`, called directly (OpenBLAS threads each search);
  /// 0: one shard per core; more: a `sharded_index` of that many shards.
  size_t shards = 1;
  /// The system the shard actors run in; needed for more than one shard.
  caf::actor_system* sys = nullptr;
  /// How long one call waits for the shards before it fails.
  std::chrono::milliseconds timeout{ 60000 };
};

/// `shards`, 0 resolved to the number of cores (at least 1).
size_t resolve_shards(size_t shards);

/// An exact inner-product index whose vectors are spread over shard
/// actors (index_shard.hpp), each owning an `exact_index` on a thread of
/// its own: a search goes to every shard at once, so that one query uses
/// every core, and their top-k lists are merged.
///
/// Shard rule: vector `id` lives in shard `id % shards`. The record index
/// gives out dense slots (0, 1, 2, ..., a removed slot reused first), which
/// this spreads evenly, each shard holding n / shards vectors give or take
/// one; a hash would only spread them evenly on average.
///
/// Calls are synchronous (but `add`, pipelined), for an owner (the vectors
/// stage) that is a detached actor: each sends to the shards from one
/// `scoped_actor`, so that every shard takes the calls in the order they
/// were made (an add is in before a later search), and waits for their
/// replies at most `timeout`. A shard that fails to answer in time, or is down, makes the
/// call return the error text; a shard that is down fails every later
/// search, as its vectors are missing. Results are `exact_index`'s on the
/// same vectors, scores equal up to float rounding (BLAS sums a row's
/// products in an order that depends on where the row sits in its
/// matrix); equal scores come lower id first.
///
/// With more than one shard, OpenBLAS is set to one thread per call, for
/// the whole process (see `set_blas_threads`): the shards are the threads.
/// The destructor stops the shards and waits for them (at most `timeout`);
/// they also stop by themselves when their owner's scoped actor is gone.
/// Not thread-safe (see `vector_index`): one thread at a time.
class sharded_index final : public runtime::vectors::vector_index {
public:
  /// `shards` (0: one per core) empty shards of `dimension`-float vectors,
  /// or the error text.
  static std::variant<std::unique_ptr<sharded_index>, std::string>
  make(caf::actor_system& sys, size_t dimension, size_t shards,
       std::chrono::milliseconds timeout = std::chrono::seconds{ 60 });

  ~sharded_index() override;

  size_t dimension() const noexcept override;

  /// The number of distinct ids added to shards that took them.
  size_t size() const noexcept override;

  /// Sends the vector to the shard of `id` without waiting for it (a
  /// shard takes its messages in order: a later search sees it); waits
  /// only when a window of adds is unanswered. A failure of an add in
  /// flight (its shard went down) is returned by a later `add`.
  std::optional<std::string> add(uint64_t id,
                                 std::span<const float> v) override;

  /// Sends each shard its rows, all at once. On failure, rows other than
  /// the failing one's shard's may have been added.
  std::optional<std::string> add_batch(std::span<const uint64_t> ids,
                                       std::span<const float> rows) override;

  std::variant<runtime::vectors::hits, std::string>
  search(std::span<const float> query, size_t k) const override;

  std::variant<std::vector<runtime::vectors::hits>, std::string>
  search_batch(std::span<const float> queries, size_t k) const override;

  size_t shards() const noexcept;

  /// The shard actors, shard 0 first.
  std::vector<caf::actor> shard_actors() const;

private:
  struct impl;

  explicit sharded_index(std::unique_ptr<impl> p);

  std::unique_ptr<impl> impl_;
};

} // namespace sophia::actors::pipeline::vectors
