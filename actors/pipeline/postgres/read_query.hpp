#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

/// `pipeline.query`: one read-only SQL query, as `{columns, rows,
/// truncated}`, that cannot change anything: a READ ONLY transaction,
/// under a role that only reads (`sophia_pipeline_reader`, a member of
/// PostgreSQL's pg_read_all_data), one statement through the extended
/// protocol (no `;`-chained second command), a statement timeout, and at
/// most `max_rows` rows fetched through a cursor.
namespace sophia::actors::pipeline::postgres {

class connection;

/// Creates the reader role if absent (needs a role that may create roles;
/// without one, the READ ONLY transaction alone guards the data).
std::optional<std::string> ensure_reader_role(connection& db);

/// Runs `sql`. Refused before it reaches the server: anything but one
/// SELECT, WITH, VALUES or TABLE query (naming what it got).
std::variant<nlohmann::json, std::string>
read_query(connection& db, const std::string& sql, size_t max_rows,
           int64_t timeout_ms, bool reader_role);

} // namespace sophia::actors::pipeline::postgres
