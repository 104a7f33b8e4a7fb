#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "actors/pipeline/postgres/column_kind.hpp"

/// Typing a record's value for its column, in C++ before the COPY (as
/// Airbyte's direct-load destination does): what fits is written, what
/// does not becomes NULL and the caller records a NULLED /
/// DESTINATION_TYPECAST_ERROR change; the record itself always lands.
namespace sophia::actors::pipeline::postgres {

enum class cell {
  value,    ///< written
  null,     ///< absent or JSON null: SQL NULL, no change
  mismatch, ///< does not fit the column: SQL NULL, a change to record
};

/// Appends the COPY field for `v` (null pointer: the record lacks the
/// field) in a column of kind `k`. What fits:
/// - string: any JSON (non-strings as jsonb prints them);
/// - integer: integers in bigint's range, integral floats, and strings of
///   such digits; number: any JSON number, numeric strings, "NaN" and
///   "±Infinity"; boolean: true/false and the strings PostgreSQL reads
///   (true, false, t, f, yes, no, on, off, 1, 0);
/// - date, time, timestamp: ISO 8601 strings (see temporal.hpp);
/// - object: objects; array: arrays; unknown: any JSON, JSON null kept.
cell append_cell(std::string& out, column_kind k, const nlohmann::json* v);

} // namespace sophia::actors::pipeline::postgres
