#pragma once

#include <string_view>

namespace sophia::actors::pipeline::redis {

/// The Lua script that keeps a record's latest version, atomically
/// (compare and write in one step, so that concurrent writers cannot
/// interleave). KEYS[1]: the record's hash (`data`, `cursor`,
/// `emitted_at`). ARGV: data (JSON), cursor (JSON; `null` when the
/// stream has no cursor), emitted_at (ms), deleted (`1`/`0`), TTL (ms,
/// `0`: none).
///
/// The record wins when it is at least as new as the stored one: the
/// higher cursor (null loses to any value; values of different JSON
/// types order null < boolean < number < string < object/array; integers
/// compare exactly, strings by bytes), then the later or equal
/// `emitted_at`. A winning deletion deletes the hash.
std::string_view latest_script();

/// What the script returns.
enum class latest_outcome : int {
  stale = 0,
  written = 1,
  deleted = 2,
};

} // namespace sophia::actors::pipeline::redis
