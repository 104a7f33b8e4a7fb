#pragma once

#include <atomic>
#include <cstdint>

namespace sophia::actors::edge {

/// Figures of an edge's HTTP transport: written by its I/O threads, read
/// for the status and the logs. Counters, not synchronization: relaxed.
struct http_counters {
  /// Connections open now, and SSE streams open now.
  std::atomic<int64_t> connections{ 0 };
  std::atomic<int64_t> streams{ 0 };
  /// Bytes queued on connections that their clients have not read yet.
  std::atomic<int64_t> unsent_bytes{ 0 };
  std::atomic<uint64_t> accepted{ 0 };
  /// Answered 503 at once: `max_connections` were open.
  std::atomic<uint64_t> refused_capacity{ 0 };
  /// Closed because the header did not arrive within `header_timeout_ms`.
  std::atomic<uint64_t> header_timeouts{ 0 };
  /// Answered 413: the body was over `max_body_bytes`.
  std::atomic<uint64_t> too_large{ 0 };
  /// Streams dropped because their client did not read them.
  std::atomic<uint64_t> slow_streams_dropped{ 0 };
};

} // namespace sophia::actors::edge
