#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/pipeline/vectors/feed.hpp"
#include "runtime/vectors/embedder.hpp"

/// The vectors stage: committed records -> text -> chunks -> embeddings ->
/// an in-memory index with each chunk's metadata, searched by
/// `pipeline.search`. The index is derived from PostgreSQL (the system of
/// record): built from it at start-up and again after dropped batches
/// (see `feed`), so it is not persisted.
///
/// Embedding: the CPU hashing embedder, or the `embed` tool of the AI
/// service `[pipeline] embedder` names (`service_embedder.hpp`), for
/// chunks and queries alike. A record whose embedding fails is not
/// indexed (its previous version stays): it is counted in
/// `failed_records`, the error is the status's `last_error`, and it is
/// embedded again after 1 s, then after twice as long each time (at most
/// a minute) until it works (`retry_waiting`, `retried`; a newer version
/// replaces it; beyond 10,000 waiting, a rebuild takes the rest once the
/// embedder works again); a search whose query cannot be embedded fails
/// with the error.
///
/// Runs detached: embedding a large batch (or calling an embedding
/// service, which blocks) takes long enough to hold up a scheduler thread.
/// Messages (see `messages.hpp`): `batch` from the worker, `page` and
/// `rebuilt` from a rebuild's `loader`, `retry` from itself, `search`.
///
/// Replacement: a record of an `append_dedup` table replaces the vectors
/// of its key when it is the key's latest version (the cursor, then
/// emitted_at, as the table's dedup decides; an older re-send is skipped
/// as stale) and a CDC deletion removes them. Records of `append` tables
/// are each their own entry (as each is its own row); the same record
/// read twice (live, and by a rebuild) is one entry. A CDC deletion in
/// an append table is not indexed and removes nothing (the table keeps
/// every row too). Rows an overwrite refresh replaced leave the index at
/// the next rebuild (start-up, or after drops).
///
/// A rebuild runs next to live batches: a key a live batch touched while
/// the rebuild runs keeps the live version (the rebuild's read of it may
/// be older), and when the rebuild completes, entries it did not read and
/// no live batch touched are removed (deleted meanwhile).
namespace sophia::actors::pipeline::vectors {

/// One chunk as indexed: what an external vector store would also take.
struct chunk_update {
  /// The local index's slot: reused once removed, so an external store
  /// keys by slot (upsert overwrites) and sees the removal first.
  uint64_t id = 0;
  /// What a later version replaces (record.hpp `identity_of`).
  std::string identity;
  std::string source, stream, table, key_json, text;
  /// Empty: the chunk was removed.
  std::span<const float> vector;
};

struct stage_options {
  /// "exact" (OpenBLAS, exact; the default: fast enough to some 200k
  /// vectors of 384 floats, ~300 MB scanned per query) or "hnsw"
  /// (approximate, for larger indexes).
  std::string index = "exact";
  size_t dimension = 384;
  /// The exact index's shards, each an actor searching its part of the
  /// vectors on a thread of its own (`sharded_index`): 0 one per core, 1
  /// unsharded (OpenBLAS threads each search). Ignored for "hnsw".
  size_t shards = 0;
  /// Makes the embedder of the chunks and of the queries (one for both,
  /// so that they compare), of `dimension`; called once by `spawn_stage`,
  /// the embedder then used in the stage's thread only. None: the CPU
  /// hashing embedder. See `service_embedder.hpp` (`[pipeline] embedder`).
  std::function<std::unique_ptr<runtime::vectors::embedder>()> embedder;
  /// How the status names the embedder ("hashing" when `embedder` is none).
  std::string embedder_name = "hashing";
  /// PostgreSQL to rebuild from (resolved URI); empty: no rebuilds.
  std::string postgres;
  size_t page_rows = 1000;
  std::shared_ptr<feed> counters;
  /// The one place where indexed and removed chunks could also go to an
  /// external vector store (Pinecone, Weaviate): called for each change,
  /// in the stage's thread, after the local index took it. None: local
  /// index only.
  std::function<void(const chunk_update&)> sink;
  /// Called after each batch or rebuild page the stage applied, in the
  /// stage's thread: the moment to send what `sink` gathered.
  std::function<void(caf::event_based_actor*)> flush;
};

/// Spawns the stage (and its first rebuild); attaches it to the feed.
caf::expected<caf::actor> spawn_stage(caf::actor_system& sys,
                                      stage_options opts);

} // namespace sophia::actors::pipeline::vectors
