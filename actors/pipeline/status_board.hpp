#pragma once

#include <mutex>
#include <string>

/// What the worker tells of itself, for `pipeline status` to read while
/// the worker is busy: the worker (worker.hpp) serialises the writes and
/// can be in a sync for minutes, so the reader (reader.hpp) answers status
/// from this board instead of asking the worker. The worker publishes at
/// each commit, when a sync starts and ends, and while it retries a
/// commit; a status is therefore at most one batch behind.
namespace sophia::actors::pipeline {

/// A JSON document (as text) behind a mutex: written by the worker's
/// thread, read by the reader's.
class status_board {
public:
  /// Replaces the document: `{"stages": [...], "sources": [...]}`, the
  /// stages the worker runs (postgres, redis) and the sources' syncs.
  void publish(std::string doc);

  /// The last document published; "{}" before the first.
  std::string snapshot() const;

private:
  mutable std::mutex mtx_;
  std::string doc_ = "{}";
};

} // namespace sophia::actors::pipeline
