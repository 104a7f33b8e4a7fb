#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sophia::actors::edge {

class replay_buffer;

/// The bytes that the replay buffers of all sessions of one edge may hold
/// together (`[edge] replay_budget_bytes`): without it, worst-case memory is
/// `replay_bytes` times `max_sessions`. Over budget, the oldest event of any
/// session goes first. Not thread-safe: the engine's lock guards it.
class replay_budget {
public:
  explicit replay_budget(size_t max_bytes)
    : max_bytes_(max_bytes) {}

  replay_budget(const replay_budget&) = delete;
  replay_budget& operator=(const replay_budget&) = delete;

  size_t max_bytes() const noexcept { return max_bytes_; }
  size_t used() const noexcept { return used_; }
  /// Events dropped to stay within the budget.
  uint64_t dropped() const noexcept { return dropped_; }

private:
  friend class replay_buffer;

  /// Drops the oldest events until the budget holds.
  void trim();

  size_t max_bytes_;
  size_t used_ = 0;
  uint64_t dropped_ = 0;
  /// Orders events of every buffer by age.
  uint64_t next_age_ = 1;
  /// The oldest event of each non-empty buffer, by age.
  std::set<std::pair<uint64_t, replay_buffer*>> oldest_;
};

/// The SSE events a session keeps so that a client that lost a stream can
/// resume it with `Last-Event-ID`. Bounded in events and in bytes, and,
/// through a shared `replay_budget`, in the bytes of all sessions together:
/// the oldest events go first, so memory does not grow with traffic.
///
/// Event ids are `STREAM-SEQ`: the stream the event belongs to (each POST
/// stream and the standalone GET stream has its own number) and a sequence
/// number that grows across the whole session.
class replay_buffer {
public:
  struct event {
    uint64_t stream = 0;
    uint64_t seq = 0;
    /// Position in the budget's order of all events.
    uint64_t age = 0;
    std::string data;
  };

  /// `budget` (may be null: no shared bound) must outlive the buffer.
  replay_buffer(size_t max_events,
                size_t max_bytes,
                replay_budget* budget = nullptr)
    : max_events_(max_events)
    , max_bytes_(max_bytes)
    , budget_(budget) {}

  ~replay_buffer();

  // The budget refers to buffers by address.
  replay_buffer(const replay_buffer&) = delete;
  replay_buffer& operator=(const replay_buffer&) = delete;

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
  friend class replay_budget;

  /// Drops the oldest event (there is one).
  void drop_oldest();

  size_t max_events_;
  size_t max_bytes_;
  replay_budget* budget_;
  size_t bytes_ = 0;
  uint64_t next_seq_ = 1;
  /// The newest dropped event's sequence number (any stream): a replay from
  /// before it may have a hole.
  uint64_t dropped_up_to_ = 0;
  std::deque<event> events_;
};

} // namespace sophia::actors::edge
