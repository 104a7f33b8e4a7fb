#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/pipeline/sources/source_spec.hpp"

/// The pipeline's worker: the one actor that writes to PostgreSQL. It runs
/// detached (its own thread), since libpq blocks, and serialises the
/// pipeline's writes; what only reads is the reader's (reader.hpp), so
/// that a long sync holds none of it up. Messages (JSON text in and out,
/// errors as `caf::error` with the reason):
/// - `(ingest, catalog, lines, source)`: runs the lines (Airbyte messages,
///   one per line) as one sync of `catalog` for `source` (whose STATE it
///   stores) -> the report `{records, rows, nulled, dead_letters, commits,
///   states, swapped, last_state, tables}`;
/// - `(replay, catalog, source, limit)`: takes `source`'s dead letters
///   again -> the report of `ingest`, with `replayed` and `still_dead`;
/// - `(check, name)`, `(discover, name)`: runs source `name`'s command ->
///   its connectionStatus / its catalog;
/// - `(sync, name)`: runs its `read` with its catalog and the last STATE
///   committed for it, its stdout going in as `ingest` lines do -> the
///   report of `ingest`.
///
/// Its counters and the sources' syncs go on its status board
/// (status_board.hpp) at each commit, for `pipeline status`.
///
/// What PostgreSQL committed goes on to Redis (when configured): each
/// record's latest version by key and the table's event stream. Redis is
/// a cache of the system of record: when it fails the ingest goes on, the
/// status says so, and those batches are not in Redis.
namespace sophia::actors::pipeline {

class status_board;

namespace vectors {
class feed;
} // namespace vectors

struct worker_options {
  /// PostgreSQL URI (resolved); empty: not configured, every request
  /// fails saying what to set.
  std::string postgres;
  std::string default_schema = "public";
  size_t batch_records = 50000;
  size_t max_line_bytes = 16 << 20;
  /// How long a failed commit is retried before the ingest fails.
  int64_t retry_ms = 60000;
  /// Redis URI (resolved); empty: no Redis stage.
  std::string redis;
  /// Why a configured Redis is not used (its secret did not resolve).
  std::string redis_problem;
  int64_t redis_ttl_ms = 0;
  size_t redis_stream_max_len = 100000;
  /// Why `postgres` is empty (shown in errors).
  std::string unconfigured;
  /// The vectors stage's way in (none: no vectors stage): what each
  /// commit wrote goes on to it, after Redis (vectors/feed.hpp).
  std::shared_ptr<vectors::feed> vectors;
  /// `[pipeline.sources.NAME]`: the Airbyte sources it runs as commands.
  std::vector<sources::source_spec> sources;
  /// Where it publishes its status (none: it does not).
  std::shared_ptr<status_board> board;
};

caf::actor spawn_worker(caf::actor_system& sys, worker_options opts);

} // namespace sophia::actors::pipeline
