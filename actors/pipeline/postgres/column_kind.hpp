#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

/// What a column of a stream's table holds: Airbyte's types (its
/// AirbyteType, from the stream's JSON schema) and the PostgreSQL type each
/// is stored as.
namespace sophia::actors::pipeline::postgres {

enum class column_kind : uint8_t {
  boolean,      ///< boolean
  integer,      ///< bigint
  number,       ///< numeric (unconstrained: no value is rounded)
  string,       ///< varchar; other JSON is stored as its text
  date,         ///< date
  time,         ///< time
  time_tz,      ///< timetz
  timestamp,    ///< timestamp
  timestamp_tz, ///< timestamptz
  object,       ///< jsonb, objects only
  array,        ///< jsonb, arrays only
  unknown,      ///< jsonb, any JSON (JSON null included)
};

/// The PostgreSQL type: "bigint", "timestamptz", "jsonb", ...
std::string_view pg_type(column_kind k);

/// The kind of a column whose `format_type` is `type`, if one is ours
/// (jsonb reads as `unknown`).
std::optional<column_kind> kind_of_pg_type(std::string_view type);

/// The kind a property's JSON schema declares, as Airbyte reads it:
/// `type` (a `["null", X]` union is X; a wider union picks array > object >
/// string > date > time > timetz > timestamp > timestamptz > number >
/// integer > boolean), `format` and `airbyte_type`, or a `$ref` to
/// WellKnownTypes.json; `oneOf` and anything unreadable are `unknown`.
column_kind kind_of_schema(const nlohmann::json& property);

/// The kind a value suggests when the stream declared no schema; none for
/// JSON null (it says nothing yet).
std::optional<column_kind> kind_of_value(const nlohmann::json& value);

/// The narrowest kind that holds every value of `a` and of `b`:
/// integer -> number -> string; other mixed scalars -> string; anything
/// mixed with JSON objects or arrays -> unknown (jsonb).
column_kind widen(column_kind a, column_kind b);

/// Whether `to`'s column can take `from`'s values without loss, so that
/// ALTER ... TYPE never fails (same storage counts).
bool holds(column_kind to, column_kind from);

} // namespace sophia::actors::pipeline::postgres
