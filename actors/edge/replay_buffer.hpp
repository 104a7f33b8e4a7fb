#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sophia::actors::edge {

/// The SSE events a session keeps so that a client that lost a stream can
/// resume it with `Last-Event-ID`. Bounded both in events and in bytes: the
/// oldest events go first, so memory does not grow with traffic.
///
/// Event ids are `STREAM-SEQ`: the stream the event belongs to (each POST
/// stream and the standalone GET stream has its own number) and a sequence
/// number that grows across the whole session.
class replay_buffer {
public:
  struct event {
    uint64_t stream = 0;
    uint64_t seq = 0;
    std::string data;
  };

  replay_buffer(size_t max_events, size_t max_bytes)
    : max_events_(max_events)
    , max_bytes_(max_bytes) {}

  /// Appends an event of `stream`; returns its id.
  std::string add(uint64_t stream, std::string data);

  /// The events of `stream` after `seq`, oldest first. Fails (nullopt) when
  /// some of them were already dropped, so the caller can tell the client
  /// that the stream cannot be resumed completely.
  std::optional<std::vector<const event*>> after(uint64_t stream,
                                                 uint64_t seq) const;

  /// Parses an event id `STREAM-SEQ`.
  static std::optional<std::pair<uint64_t, uint64_t>> parse_id(
    std::string_view id);

  /// Formats an event id.
  static std::string make_id(uint64_t stream, uint64_t seq);

  size_t size() const noexcept { return events_.size(); }
  size_t bytes() const noexcept { return bytes_; }

  /// The sequence number the next event gets.
  uint64_t next_seq() const noexcept { return next_seq_; }

private:
  size_t max_events_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  uint64_t next_seq_ = 1;
  /// The newest dropped event's sequence number (any stream): a replay from
  /// before it may have a hole.
  uint64_t dropped_up_to_ = 0;
  std::deque<event> events_;
};

} // namespace sophia::actors::edge
