#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/pipeline/airbyte/catalog.hpp"
#include "actors/pipeline/postgres/writer.hpp"

/// One sync's input (a source's `read`, `sophiactl ingest`,
/// `pipeline.ingest`): Airbyte message lines in, batches committed to
/// PostgreSQL. A STATE closes a batch: it is stored (and acknowledged)
/// in the transaction of the records before it. Lines that cannot be
/// taken go to the dead letters with the reason; the rest goes on.
namespace sophia::actors::pipeline {

struct ingest_limits {
  /// A longer line is a dead letter.
  size_t max_line_bytes = 16 << 20;
  /// A batch without a STATE is committed when it reaches either: records
  /// after the last STATE are then in PostgreSQL before the source's next
  /// checkpoint (re-read after a crash: `append_dedup` absorbs them,
  /// `append` keeps both copies, as in Airbyte).
  size_t batch_records = 50000;
  size_t batch_bytes = 64 << 20;
  /// Commit a closed batch on a thread of its own while the next one is
  /// read: PostgreSQL stores one batch while this process parses the next
  /// (the two take about as long, so a sync goes up to twice as fast), at
  /// the cost of a second batch in memory. A failed commit then shows at
  /// the next batch's end, `settle` or `flush`, not at its own line.
  bool overlap = false;
};

struct ingest_report {
  size_t lines = 0;
  size_t records = 0;
  size_t dead_letters = 0;
  size_t commits = 0;
  size_t rows = 0;
  size_t nulled = 0;
  size_t states = 0;
  size_t swapped = 0;
  /// The last STATE committed (what the source resumes from).
  std::optional<nlohmann::json> last_state;
  /// Replays: dead letters taken back, and those that still cannot be
  /// (left waiting, with the reason of the first few).
  size_t replayed = 0;
  size_t still_dead = 0;
  std::vector<std::string> still_dead_reasons;
};

class ingest_session {
public:
  /// `w` has begun the catalog's sync.
  ingest_session(postgres::writer& w, airbyte::configured_catalog catalog,
                 ingest_limits limits = {});

  /// Takes one line; commits when it is a STATE or the batch is full.
  /// A failed commit keeps the batch and returns the error: the session
  /// is then `blocked` (the caller stops reading) until `flush` succeeds;
  /// a line given meanwhile is refused, not taken.
  std::optional<std::string> line(std::string_view text);

  /// Takes the line of dead letter `id` again: when it is taken now, the
  /// dead letter is marked replayed in the transaction that commits it;
  /// when it still cannot be, it stays waiting (not added twice).
  std::optional<std::string> replay(int64_t id, std::string_view text);

  /// Commits what is pending (the end of the input, or a retry).
  std::optional<std::string> flush();

  /// Waits for the batch being committed in the background (`overlap`)
  /// and commits it again when that failed; leaves the batch being read
  /// alone (a source that failed: what came after its last STATE is not
  /// committed). The error of a commit that failed again.
  std::optional<std::string> settle();

  /// Waits for a background commit; its outcome counts at the next call.
  ~ingest_session();

  /// Called with each batch once PostgreSQL committed it (the next stages
  /// start from what the system of record holds). With `overlap`, on the
  /// commit's own thread, which alone uses the writer until the batch is
  /// settled: a batch goes on as soon as it is committed, however long
  /// the next one takes to arrive.
  void on_committed(std::function<void(const postgres::batch&)> f) {
    committed_ = std::move(f);
  }

  /// Whether a batch waits to be committed.
  bool pending() const { return !batch_.empty() || sent_.has_value(); }
  /// Whether a commit failed and waits for `flush`.
  bool blocked() const { return blocked_; }
  /// What the session did so far (a copy: with `overlap` the commit's
  /// thread counts its commits while this one reads).
  ingest_report report() const;

private:
  void dead(std::string reason, std::string_view line, std::string stream = {});
  /// A batch closed (a STATE, or full): committed now, or in the
  /// background with `overlap` once the previous one is settled.
  std::optional<std::string> close();
  /// Commits `b`, counts it and hands it on (`on_committed`); the error.
  std::optional<std::string> commit(const postgres::batch& b);
  /// Updates the report under its lock.
  template <class F>
  void count(F&& f) {
    std::lock_guard<std::mutex> guard{report_lock_};
    f(report_);
  }
  /// A fresh batch that keeps `used`'s records' room.
  static postgres::batch recycle(postgres::batch& used);

  postgres::writer& writer_;
  airbyte::configured_catalog catalog_;
  ingest_limits limits_;
  postgres::batch batch_;
  /// With `overlap`: the batch committed in the background (`inflight_`
  /// valid), or whose commit failed and is to be tried again.
  std::optional<postgres::batch> sent_;
  std::future<std::optional<std::string>> inflight_;
  /// The records' room of the last batch committed in the background.
  std::vector<airbyte::record> spare_;
  ingest_report report_;
  mutable std::mutex report_lock_;
  /// Streams that ended (COMPLETE or INCOMPLETE) in this sync.
  std::set<airbyte::stream_id> ended_;
  bool blocked_ = false;
  std::function<void(const postgres::batch&)> committed_;
  /// Set while `replay` takes a dead letter's line.
  bool replaying_ = false;
};

} // namespace sophia::actors::pipeline
