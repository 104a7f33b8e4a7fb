#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

/// The tool-call spool on disk: JSON lines in numbered segment files
/// (`tc-<segment>.jsonl`) of one directory, and the position the pipeline
/// acknowledged (`committed`, replaced atomically). No actors, no threads:
/// the spool actor (`tool_call_spool.hpp`) is its one user.
///
/// What survives what: `append` writes and fsyncs (fdatasync) before it
/// returns, so appended lines survive a kill -9 and a power cut; lines the
/// caller still buffers do not. A line cut short by a crash (the last one
/// of the last segment) is removed when the spool is opened again. Never
/// throws: errors are text.
namespace sophia::actors::pipeline::spool {

/// A place in the spool: a segment and a byte offset in it.
struct position {
  uint64_t segment = 0;
  uint64_t offset = 0;
  friend bool operator==(const position&, const position&) = default;
};

struct spool_options {
  std::string dir;
  /// A segment this large is closed; the next line starts a new one.
  uint64_t segment_bytes = 4 << 20;
  /// The segments' total size at most: lines beyond it are dropped.
  uint64_t max_bytes = uint64_t{256} << 20;
};

/// Complete lines read from the spool, and where the next read starts.
struct read_batch {
  std::vector<std::string> lines;
  position end;
};

class spool_file {
public:
  /// Opens (creating) the spool in `opts.dir`: finds its segments, cuts a
  /// torn last line, reads the committed position.
  static std::variant<spool_file, std::string> open(spool_options opts);

  spool_file(spool_file&&) noexcept;
  spool_file& operator=(spool_file&&) noexcept;
  ~spool_file();

  /// Writes `lines` (each one JSON text without its newline) and fsyncs.
  /// Lines that would take the spool over `max_bytes` are dropped and
  /// counted (`dropped`); returns the error of a failed write or fsync.
  std::optional<std::string> append(const std::vector<std::string>& lines);

  /// Reads at most `max_lines` complete lines (and about `max_bytes`)
  /// from `from` on, moving to the next segment at the end of one.
  std::variant<read_batch, std::string>
  read(position from, size_t max_lines, size_t max_bytes = 8 << 20) const;

  /// The position acknowledged so far (where the next shipment starts).
  const position& committed() const { return committed_; }

  /// Records `p` as acknowledged (durably: written aside, fsynced,
  /// renamed) and deletes the segments wholly before it.
  std::optional<std::string> commit(position p);

  /// Whether lines after `committed()` wait to be shipped.
  bool pending() const;

  /// The segments' total size.
  uint64_t bytes() const { return bytes_; }
  /// Lines dropped because the spool was full, since it was opened.
  uint64_t dropped() const { return dropped_; }
  /// The position after the last line written.
  position end() const { return {segment_, size_}; }
  const std::string& dir() const { return opts_.dir; }

private:
  spool_file() = default;
  std::string segment_path(uint64_t segment) const;
  std::optional<std::string> open_segment(uint64_t segment);
  /// The segments on disk, oldest first.
  std::vector<uint64_t> segments() const;

  spool_options opts_;
  int fd_ = -1;
  /// The segment written now, and its size.
  uint64_t segment_ = 0;
  uint64_t size_ = 0;
  uint64_t bytes_ = 0;
  uint64_t dropped_ = 0;
  position committed_;
};

} // namespace sophia::actors::pipeline::spool
