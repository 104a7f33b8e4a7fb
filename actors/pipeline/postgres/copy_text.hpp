#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

/// Fields of PostgreSQL's COPY text format, written straight into the
/// line being built (no intermediate strings).
namespace sophia::actors::pipeline::postgres::copy_text {

/// `s` with COPY's escapes (backslash, newline, carriage return, tab).
/// NUL characters are dropped: PostgreSQL's text and jsonb cannot hold
/// them (Airbyte's destination strips them too).
void append_escaped(std::string& out, std::string_view s);

/// `j` as compact JSON for a jsonb field, COPY-escaped, NULs dropped.
void append_json(std::string& out, const nlohmann::json& j);

/// `j` as PostgreSQL prints a jsonb value (`{"a": 1, "b": [1, 2]}`: keys
/// shortest first, then bytewise) for a varchar field that is given a
/// non-string, COPY-escaped. Airbyte's destination stores such values
/// this way (its fixtures `json_types_in_string_*`).
void append_jsonb_text(std::string& out, const nlohmann::json& j);

/// The number `j` (integer or float) in its shortest exact text.
void append_number(std::string& out, const nlohmann::json& j);

/// The NULL marker.
inline void append_null(std::string& out) {
  out += "\\N";
}

} // namespace sophia::actors::pipeline::postgres::copy_text
