#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

/// The pipeline's reader: the actor that answers what only reads, so that
/// a long sync in the worker (worker.hpp, which serialises the writes)
/// holds none of it up. It runs detached (libpq and hiredis block) with a
/// PostgreSQL connection of its own. Messages (JSON text out, errors as
/// `caf::error` with the reason):
/// - `(query, sql, max_rows)` -> `{columns, rows, truncated}`: read-only,
///   through a role that cannot write where PostgreSQL lets it make one,
///   with the statement timeout and row limit of `[pipeline]`;
/// - `(status)` -> the stages (the worker's, from its status board, and
///   the vectors stage's, live), the sources' syncs, the pipeline's
///   tables and the dead letters waiting;
/// - `(analytics, period, since, group_by, max_rows)` -> the tool-call
///   aggregates (`analytics/aggregates.hpp`);
/// - `(tail, table, count)` -> the table's last events in Redis.
namespace sophia::actors::pipeline {

class status_board;

namespace vectors {
class feed;
} // namespace vectors

struct reader_options {
  /// PostgreSQL URI (resolved); empty: not configured (`unconfigured`
  /// says what to set).
  std::string postgres;
  std::string unconfigured;
  int64_t query_timeout_ms = 10000;
  size_t query_max_rows = 1000;
  /// Redis URI (resolved); empty: no Redis stage (`redis_problem` says
  /// why, when one is configured but unusable).
  std::string redis;
  std::string redis_problem;
  /// What the worker publishes of itself.
  std::shared_ptr<const status_board> board;
  /// The vectors stage's counters (none: no vectors stage).
  std::shared_ptr<vectors::feed> vectors;
};

caf::actor spawn_reader(caf::actor_system& sys, reader_options opts);

} // namespace sophia::actors::pipeline
