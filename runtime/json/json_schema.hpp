#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace sophia::runtime::json {

namespace detail {

/// The compiled form of a schema (defined in json_schema.cpp).
struct json_schema_state;

} // namespace detail

/// A compiled JSON Schema (draft 2020-12, plus the draft-07 spellings that
/// generated MCP tool schemas still use: `definitions`, array-valued `items`
/// with `additionalItems`). It checks once that the schema itself is usable,
/// then validates many instances; copies share the compiled form.
///
/// Supported keywords: type, enum, const, properties, required,
/// additionalProperties, patternProperties, propertyNames, minProperties,
/// maxProperties, dependentRequired, dependentSchemas, items, prefixItems,
/// minItems, maxItems, uniqueItems, contains, minContains, maxContains,
/// minLength, maxLength, pattern, minimum, maximum, exclusiveMinimum,
/// exclusiveMaximum, multipleOf, allOf, anyOf, oneOf, not, if/then/else,
/// $ref (to `#`, `#/json/pointer` and `#anchor` of the same document), $defs,
/// definitions, $anchor and boolean schemas. Every other keyword (format,
/// title, description, default, unevaluatedProperties, ...) is ignored.
class json_schema {
public:
  /// The most violations `validate` reports.
  static constexpr size_t max_violations = 5;

  /// How many `$ref`s may nest while validating one instance: recursive
  /// schemas stop here instead of overflowing the stack on a deep instance.
  static constexpr size_t max_ref_depth = 64;

  /// Strings longer than this (in bytes) fail a `pattern` instead of being
  /// matched: std::regex recurses once per character and would overflow
  /// the stack on a long client-supplied string.
  static constexpr size_t max_pattern_input = 1024;

  /// The schema `true`: every instance is valid.
  json_schema();

  /// Compiles `schema`. Fails with one line `POINTER: reason`, the pointer
  /// naming the offending keyword in `schema` ("/" for the root), e.g.
  /// `/properties/a/$ref: unresolvable $ref '#/$defs/b'` or
  /// `/type: unknown type 'str'`. Never throws.
  static std::variant<json_schema, std::string> compile(
    const nlohmann::json& schema);

  /// Returns nothing when `instance` is valid, otherwise its first
  /// violations (at most `max_violations`), each one line
  /// `POINTER: reason` where POINTER points into the instance ("/" for the
  /// root), e.g. `/address/zip: expected string, got integer`. Never throws.
  std::vector<std::string> validate(const nlohmann::json& instance) const;

  /// Returns whether `instance` is valid; cheaper than `validate` because it
  /// stops at the first violation.
  bool accepts(const nlohmann::json& instance) const;

private:
  explicit json_schema(std::shared_ptr<const detail::json_schema_state> st);

  /// Shared by copies: compiled once, never changed afterwards.
  std::shared_ptr<const detail::json_schema_state> state_;
};

} // namespace sophia::runtime::json
