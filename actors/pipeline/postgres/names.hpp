#pragma once

#include <set>
#include <string>
#include <string_view>

/// PostgreSQL names for Airbyte namespaces, streams and fields, as
/// Airbyte's Postgres destination makes them (StandardNameTransformer):
/// accents dropped (é -> e), runs of white space and every other
/// character outside [A-Za-z0-9_] -> `_`, a leading digit prefixed with
/// `_`, at most 63 bytes. Schema and table names are lower-cased; column
/// names keep their case (they are always quoted).
namespace sophia::actors::pipeline::postgres::names {

/// The identifier for `name` (case kept).
std::string identifier(std::string_view name);

/// A schema or table name: `identifier`, lower-cased.
std::string table_name(std::string_view name);

/// `base`, or `base_1`, `base_2`, ... (still within 63 bytes): the first
/// not in `taken`, which then holds it. Columns that normalise alike
/// (`a.b` and `a_b`) keep both.
std::string unique(const std::string& base, std::set<std::string>& taken);

/// `"name"` with inner quotes doubled, for SQL text.
std::string quoted(std::string_view name);

/// `"schema"."table"`.
std::string qualified(std::string_view schema, std::string_view table);

} // namespace sophia::actors::pipeline::postgres::names
