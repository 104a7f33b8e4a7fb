#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "actors/pipeline/redis/connection.hpp"

namespace sophia::actors::pipeline::redis {

/// A record's latest version, as the writer stored it.
struct latest_value {
  /// The record, compact JSON.
  std::string data;
  /// Its cursor value, JSON (`null`: none).
  std::string cursor;
  int64_t emitted_at_ms = 0;
};

/// Reads the latest version of the record `key_json` (the JSON array of
/// its key values, compact, e.g. `[42]`) of `table` (`schema.table`):
/// none when there is none (never written, deleted, or expired).
std::variant<std::optional<latest_value>, std::string>
latest(connection& c, std::string_view table, std::string_view key_json);

} // namespace sophia::actors::pipeline::redis
