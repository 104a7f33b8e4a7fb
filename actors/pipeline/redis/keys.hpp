#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

/// The Redis stage's key names. A table is named `schema.table`, so that
/// `sophia:events:` (no dot after it) never reads as a table's record.
namespace sophia::actors::pipeline::redis {

/// `sophia:<table>:<key_json>`: the hash with a record's latest version.
std::string latest_key(std::string_view table, std::string_view key_json);

/// `sophia:events:<table>`: the table's event stream.
std::string events_key(std::string_view table);

/// The compact JSON array of `data`'s values of the top-level `fields`,
/// in order (a missing field: null); `[]` when there are none.
std::string key_json(const nlohmann::json& data,
                     const std::vector<std::string>& fields);

/// `j` as compact JSON, never throwing (invalid UTF-8 is replaced).
std::string compact(const nlohmann::json& j);

} // namespace sophia::actors::pipeline::redis
