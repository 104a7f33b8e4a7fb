#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/pipeline/airbyte/message.hpp"

/// The pipeline's own tables, in schema `sophia_pipeline`: the committed
/// STATE of each source (what its next `read` is given) and the dead
/// letters (input that could not be read, with the reason).
namespace sophia::actors::pipeline::postgres {

class connection;

/// A line that could not be taken, and why.
struct dead_letter {
  std::string reason;
  std::string line;
  /// The stream, when the line named one.
  std::string stream;
};

namespace bookkeeping {

/// Creates the schema and its tables if absent.
std::optional<std::string> ensure(connection& db);

/// Stores `s` as `source`'s latest checkpoint: a STREAM state replaces
/// that stream's, a GLOBAL or LEGACY one replaces all of the source's.
std::optional<std::string> save_state(connection& db,
                                      const std::string& source,
                                      const airbyte::state& s);

/// What `read --state` is given: a LEGACY state's `data`, or the array of
/// the source's STREAM / GLOBAL state messages; null when none.
std::variant<nlohmann::json, std::string>
load_state(connection& db, const std::string& source);

std::optional<std::string> add_dead_letters(
  connection& db, const std::string& source,
  const std::vector<dead_letter>& letters);

/// Marks the dead letters `ids` replayed (now).
std::optional<std::string> mark_replayed(connection& db,
                                         const std::vector<int64_t>& ids);

/// A dead letter waiting to be replayed.
struct waiting_letter {
  int64_t id = 0;
  std::string line;
};

/// `source`'s dead letters not replayed yet, oldest first, at most `limit`.
std::variant<std::vector<waiting_letter>, std::string>
waiting_letters(connection& db, const std::string& source, size_t limit);

} // namespace bookkeeping
} // namespace sophia::actors::pipeline::postgres
