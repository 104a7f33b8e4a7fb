#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actors/edge/session.hpp"

namespace sophia::actors::edge {

/// The live MCP sessions of an edge, in order of their last activity, with
/// what a flood of `initialize` must not be able to do written down as
/// policy: take every slot (at capacity the least recently active session
/// without an open stream makes room) or let one client crowd out the rest
/// (each client has a quota, and a client over it makes room from its own
/// sessions). Sessions with an open stream or a request in flight are never
/// evicted: their clients are demonstrably there.
class session_table {
public:
  /// Why a session ended, for the counters and the log.
  enum class end_reason { deleted, idle, evicted_capacity, evicted_quota };

  struct limits {
    size_t max_sessions = 10000;
    size_t per_client = 1000;
  };

  /// What `make_room` decided.
  enum class room { ok, full, client_full };

  /// Counters since start, for the status and the logs.
  struct counters {
    uint64_t opened = 0;
    uint64_t deleted = 0;
    uint64_t expired_idle = 0;
    uint64_t evicted_capacity = 0;
    uint64_t evicted_quota = 0;
    /// `initialize` refused: every candidate had an open stream.
    uint64_t refused_full = 0;
    uint64_t refused_client_full = 0;
  };

  session_table() = default;

  explicit session_table(limits lim)
    : limits_(lim) {}

  session_table(const session_table&) = delete;
  session_table& operator=(const session_table&) = delete;

  void set_limits(limits lim) { limits_ = lim; }
  const limits& get_limits() const noexcept { return limits_; }

  /// The session `id`, or null.
  session* find(const std::string& id) const;

  using time_point = std::chrono::steady_clock::time_point;

  /// Marks `s` as used at `now`.
  void touch(session& s, time_point now);

  /// Decides which sessions must go so that one more session of `client`
  /// fits; appends their ids to `victims` (the caller ends them with
  /// `erase`) and the reason they go to `why`. Counts refusals.
  room make_room(std::string_view client,
                 std::vector<std::string>& victims,
                 end_reason& why);

  /// Adds a session (its `client` and `id` set) as the most recent one,
  /// used at `now`.
  session& insert(std::unique_ptr<session> s, time_point now);

  /// Removes session `id` and counts why; returns it (null when unknown).
  std::unique_ptr<session> erase(const std::string& id, end_reason why);

  /// Sessions unused since before `cutoff`, without requests in flight.
  std::vector<std::string> idle_since(time_point cutoff) const;

  size_t size() const noexcept { return sessions_.size(); }
  size_t clients() const noexcept { return per_client_.size(); }
  const counters& stats() const noexcept { return counters_; }

  /// Every session, in no particular order.
  template <class F>
  void for_each(F&& f) {
    for (auto& [id, s] : sessions_)
      f(*s);
  }

  /// Whether a session may be evicted: no request in flight, no stream a
  /// client still reads.
  static bool evictable(const session& s);

  static std::string_view to_string(end_reason r);

private:
  struct client_entry {
    /// The client's sessions, least recently active first.
    std::list<session*> lru;
  };

  /// The least recently active evictable session of `lru`, or null.
  static session* oldest_evictable(const std::list<session*>& lru);

  limits limits_;
  std::unordered_map<std::string, std::unique_ptr<session>> sessions_;
  /// Every session, least recently active first.
  std::list<session*> lru_;
  std::unordered_map<std::string, client_entry> per_client_;
  counters counters_;
};

} // namespace sophia::actors::edge
