#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/pipeline/redis/connection.hpp"

/// Reading a table's event stream (`sophia:events:<schema>.<table>`), for
/// `sophiactl pipeline tail` and real-time consumers.
namespace sophia::actors::pipeline::redis {

/// One event, as the writer appended it.
struct event {
  /// The stream entry's id (`ms-seq`): where to continue from.
  std::string id;
  /// `insert` or `delete`.
  std::string op;
  /// The record's key, the JSON array of its key values (`[]`: the table
  /// has no key).
  std::string key;
  /// The record, compact JSON.
  std::string data;
  int64_t emitted_at_ms = 0;
};

/// What a read gives: events oldest first, or the error.
using events_result = std::variant<std::vector<event>, std::string>;

/// The last `count` events of `table` (XREVRANGE), oldest first.
events_result last_events(connection& c, std::string_view table,
                          size_t count);

/// Up to `count` events of `table` after the entry `id` (exclusive;
/// XRANGE), oldest first: paging through the stream.
events_result events_after(connection& c, std::string_view table,
                           std::string_view id, size_t count);

/// Follow mode (XREAD BLOCK): up to `count` events after `id` (`$`: only
/// those appended from now on), waiting up to `block` for the first;
/// none when none came in time. A zero `block` waits for ever.
events_result follow_events(connection& c, std::string_view table,
                            std::string_view id, size_t count,
                            std::chrono::milliseconds block);

} // namespace sophia::actors::pipeline::redis
