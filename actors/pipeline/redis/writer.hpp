#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "actors/pipeline/redis/connection.hpp"
#include "actors/pipeline/redis/table_batch.hpp"

/// Tables' committed batches into Redis: the latest version of each
/// record by key (`sophia:<schema>.<table>:<key json>`, a hash) and an
/// event stream per table (`sophia:events:<schema>.<table>`).
namespace sophia::actors::pipeline::redis {

struct writer_options {
  /// The server, and the timeouts that turn an outage into an error.
  connection_options redis;
  /// How long a latest version lives after its last write (PEXPIRE);
  /// zero: for ever.
  std::chrono::milliseconds ttl{0};
  /// `XADD MAXLEN ~`: roughly how many events each table's stream keeps;
  /// zero: all.
  size_t stream_max_len = 100000;
  /// Commands per round trip: large enough that the network is not the
  /// limit, small enough that neither side buffers megabytes.
  size_t chunk_commands = 4096;
};

/// What a write did.
struct write_stats {
  /// Latest versions replaced or created.
  size_t written = 0;
  /// Records older than the stored version (left as they were).
  size_t skipped = 0;
  /// Deletions that won (the key is gone, or was not there).
  size_t deleted = 0;
  /// Events appended (one per record).
  size_t events = 0;
};

class writer {
public:
  explicit writer(writer_options opts);
  ~writer();
  writer(writer&&) noexcept;

  /// Writes `b`, pipelined: per record the latest-version script (when
  /// the table has a key) and its event, `chunk_commands` commands per
  /// chunk, the next chunk prepared while the server runs one. Not transactional: on failure (the error names what
  /// failed) part of the batch may be written, and writing it again is
  /// safe for the latest versions (an equal record wins again) but adds
  /// its events again. The next write reconnects if the server went
  /// away.
  std::variant<write_stats, std::string> write(const table_batch& b);

  /// The writer's connection (null before the first write), for reads.
  connection* redis() { return redis_.get(); }

private:
  /// One queued command: a record's script call or its event.
  struct step {
    bool latest = false;
    const table_record* record = nullptr;
  };

  /// How a write is going: counts, records whose script call found the
  /// script gone, the first failure.
  struct progress {
    write_stats stats;
    std::vector<const table_record*> again;
    std::optional<std::string> failure;
  };

  std::optional<std::string> connect();
  std::optional<std::string> load_script();
  /// Queues the script call for `r`, whose compact JSON is `data`.
  void queue_latest(const table_batch& b, const table_record& r,
                    const std::string& data);
  /// Sends the queued commands as a chunk.
  std::optional<std::string> send_chunk();
  /// Reads the oldest chunk's replies into `p`: counts; calls that found
  /// the script gone (NOSCRIPT: the server restarted or flushed it) go
  /// to `again` when `may_reload`, any other error reply to `failure`.
  std::optional<std::string> receive_chunk(const table_batch& b,
                                           progress& p, bool may_reload);
  /// Reads every chunk still in flight.
  std::optional<std::string> drain(const table_batch& b, progress& p,
                                   bool may_reload);

  writer_options opts_;
  std::unique_ptr<connection> redis_;
  /// The script's SHA1 as the server knows it (empty: not loaded).
  std::string sha_;
  /// The commands queued for the next chunk, in order.
  std::vector<step> steps_;
  /// The chunks sent whose replies are unread, oldest first: while the
  /// server runs one, the next is prepared (two in flight at most).
  std::deque<std::vector<step>> in_flight_;
  std::string ttl_text_;
  std::string max_len_text_;
};

} // namespace sophia::actors::pipeline::redis
