#pragma once

#include <cstdint>
#include <string>

#include <caf/fwd.hpp>

/// The pipeline's worker: the one actor that talks to PostgreSQL. It runs
/// detached (its own thread), since libpq blocks, and serialises the
/// pipeline's writes. Messages (JSON text in and out, errors as
/// `caf::error` with the reason):
/// - `(ingest, catalog, lines, source)`: runs the lines (Airbyte messages,
///   one per line) as one sync of `catalog` for `source` (whose STATE it
///   stores) -> the report `{records, rows, nulled, dead_letters, commits,
///   states, swapped, last_state, tables}`;
/// - `(query, sql, max_rows)` -> `{columns, rows, truncated}`;
/// - `(status)` -> the stage's counters, tables and dead letters.
namespace sophia::actors::pipeline {

struct worker_options {
  /// PostgreSQL URI (resolved); empty: not configured, every request
  /// fails saying what to set.
  std::string postgres;
  std::string default_schema = "public";
  size_t batch_records = 50000;
  size_t max_line_bytes = 16 << 20;
  int64_t query_timeout_ms = 10000;
  size_t query_max_rows = 1000;
  /// How long a failed commit is retried before the ingest fails.
  int64_t retry_ms = 60000;
  /// Why `postgres` is empty (shown in errors).
  std::string unconfigured;
};

caf::actor spawn_worker(caf::actor_system& sys, worker_options opts);

} // namespace sophia::actors::pipeline
