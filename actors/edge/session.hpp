#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor.hpp>

#include "actors/edge/exchange.hpp"
#include "actors/edge/replay_buffer.hpp"

namespace sophia::actors::edge {

/// The MCP log levels in increasing severity; returns -1 for anything else.
int log_level_index(std::string_view level);

/// One stream of SSE events: a POST's response stream or the standalone GET
/// stream. Its events are kept in the session's replay buffer, so a client
/// whose connection dropped resumes the stream on a new one.
struct stream {
  /// Where events go now; null or dead while the client is away.
  exchange_ptr out;
  /// Whether any event was sent: a POST answers with plain JSON until then.
  bool started = false;
};

/// A client request the engine is working on (tools/call and friends).
struct inflight {
  /// The call helper's trace id: how providers refer to the call.
  std::string call_id;
  /// The stream its notifications and the final answer go to.
  uint64_t stream = 0;
  /// The provider doing the work, told when the client cancels.
  caf::actor owner;
  /// The serialized JSON-RPC id.
  std::string id_json;
  std::string tool;
  /// When a tools/call arrived, for its latency metric.
  std::chrono::steady_clock::time_point started{};
  bool cancelled = false;
  /// The provider did not answer by the deadline (the tool-call record's
  /// outcome).
  bool timed_out = false;
};

/// One MCP session: created by `initialize`, ended by DELETE or idleness
/// (never for stdio, whose session lasts as long as the process).
struct session {
  session(std::string id,
          size_t replay_events,
          size_t replay_bytes,
          replay_budget* budget = nullptr)
    : id(std::move(id))
    , events(replay_events, replay_bytes, budget) {}

  std::string id;
  /// Who opened it, for quotas: `key:NAME` with API keys, else `ip:ADDR`.
  std::string client;
  std::string version;
  /// The virtual server it was opened on (empty: every tool).
  std::string domain;
  /// The API key it was opened with; every later request must carry it.
  std::shared_ptr<const std::pair<std::string, std::vector<std::string>>> key;
  bool initialized = false;
  bool stdio = false;
  /// stdio: the one writer every message of the session goes to.
  exchange_ptr writer;
  bool can_sample = false;
  bool can_elicit = false;
  /// Least severe level of `notifications/message` to send; -1 sends all.
  int log_level = -1;
  std::set<std::string> subscriptions;
  std::chrono::steady_clock::time_point last_used;
  /// Its places in the session table's orders of activity.
  std::list<session*>::iterator lru_pos;
  std::list<session*>::iterator client_pos;

  replay_buffer events;
  uint64_t next_stream = 1;
  /// The standalone GET stream's number, 0 when none was opened.
  uint64_t standalone = 0;
  std::unordered_map<uint64_t, stream> streams;
  /// Requests in flight by serialized JSON-RPC id.
  std::unordered_map<std::string, inflight> requests;
};

} // namespace sophia::actors::edge
