#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <map>
#include <string>

#include <caf/actor.hpp>
#include <nlohmann/json.hpp>

namespace sophia::actors::pipeline::postgres {
class writer;
struct batch;
} // namespace sophia::actors::pipeline::postgres

/// The way from the worker (after each PostgreSQL commit) to the vectors
/// stage, with its flow control, and the stage's counters that
/// `pipeline.status` shows. Shared by the worker's thread and the stage.
///
/// Flow control: at most `max_queued` records are sent and not yet
/// indexed (a batch larger than that goes alone when nothing waits).
/// When the stage is behind, the worker waits up to `max_wait` for room,
/// so that the ingest slows to the stage's pace (the worker is already
/// where callers wait for commits). When there is still no room (the
/// stage is stuck, e.g. rebuilding a large database) the batch is
/// dropped and counted, and the stage rebuilds from PostgreSQL once it
/// is idle: the index is derived data, and stalling the system of record
/// for it is worse than an index that catches up later.
namespace sophia::actors::pipeline::vectors {

/// The stage's counters (under the feed's lock).
struct stage_stats {
  uint64_t indexed_records = 0, chunks = 0, vectors = 0, deleted = 0,
           skipped_no_text = 0, skipped_stale = 0, batches = 0;
  uint64_t dropped_records = 0, dropped_batches = 0;
  /// Records not indexed because embedding them failed (last_error says
  /// why); their previous version, if any, stays meanwhile. Each is
  /// retried with backoff (`retry_waiting` wait now; `retried` were
  /// indexed on a retry).
  uint64_t failed_records = 0, retry_waiting = 0, retried = 0;
  /// "hashing", or the service embedder's name ("SERVICE.embed (model M)").
  std::string embedder = "hashing";
  /// "pending", "running", "done", "failed" (see last_error), "off"
  /// (no PostgreSQL).
  std::string rebuild = "pending";
  uint64_t rebuild_rows = 0, rebuilds = 0;
  std::string rebuilt_at;
  std::string last_error;
  std::string index;
  uint64_t dimension = 0;
};

class feed {
public:
  feed(size_t max_queued, std::chrono::milliseconds max_wait);

  /// The stage the worker sends to (none: batches are not sent).
  void attach(caf::actor stage);

  /// Worker thread: what `b` committed for `source` (through writer `w`),
  /// on to the stage. Also records each table's key and cursor in
  /// `sophia_pipeline.vector_streams`, for rebuilds. Never throws.
  void offer(postgres::writer& w, const postgres::batch& b,
             const std::string& source);

  /// Stage: `n` records sent are done with.
  void done(size_t n);

  /// Stage: whether batches were dropped since the last call (a rebuild
  /// is due).
  bool take_dropped();

  /// Updates the counters.
  void update(const std::function<void(stage_stats&)>& f);

  /// The `vectors` entry of `pipeline.status`.
  nlohmann::json status() const;

private:
  bool remember_table(postgres::writer& w, const std::string& table,
                      const nlohmann::json& row);

  size_t max_queued_;
  std::chrono::milliseconds max_wait_;
  mutable std::mutex mtx_;
  std::condition_variable room_;
  caf::actor stage_;
  size_t queued_ = 0;
  bool dropped_ = false;
  stage_stats stats_;
  /// Worker thread only: the vector_streams rows written, by table.
  std::map<std::string, std::string> tables_;
  bool table_ready_ = false;
};

/// The SQL that creates `sophia_pipeline.vector_streams` (table name,
/// stream, source, primary_key jsonb, cursor, dedup).
extern const char* const vector_streams_ddl;

} // namespace sophia::actors::pipeline::vectors
