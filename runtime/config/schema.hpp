#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace sophia::runtime::config {

/// The TOML type a key accepts.
enum class value_type { string, integer, boolean, string_array, number };

/// Returns the name diagnostics use: `string`, `integer`, `boolean`,
/// `string array`, `number` (a float or an integer).
std::string_view to_string(value_type x);

/// The `key_spec::max` of an integer key without an upper bound.
inline constexpr int64_t unbounded = std::numeric_limits<int64_t>::max();

/// One key of `cluster.conf`. Every key is declared exactly once, in
/// `keys.hpp`; `schema()` is built from those lists, and the loader, the
/// renderers and the tests all read it.
struct key_spec {
  /// The table holding the key: `cluster`, `node`, `edge`, `conformance`, or
  /// `roles.*`, `services.*`, `api_keys.*` for the keys of named tables.
  std::string_view table;
  std::string_view key;
  value_type type = value_type::string;
  /// The default as TOML text (`500`, `"info"`, `[]`), rendered from the
  /// struct member's initializer; empty for a required key.
  std::string default_value;
  /// One line for humans; `cluster.conf` carries the same text.
  std::string_view doc;
  /// The file must set this key.
  bool required = false;
  /// A literal value is printed as `<redacted>`; references are kept.
  bool secret = false;
  /// Inclusive range of an integer or number key; `max` may be
  /// `unbounded`.
  int64_t min = 0;
  int64_t max = 0;
  /// The values a string key may take; empty means any.
  std::vector<std::string_view> choices = {};
};

/// How a top-level name of `cluster.conf` is spelled.
enum class table_kind {
  /// `[cluster]`
  table,
  /// `[[node]]`
  array_of_tables,
  /// `[roles.NAME]`: a table of named tables.
  named_tables,
};

/// One top-level table of `cluster.conf`.
struct table_spec {
  /// The top-level key: `cluster`, `node`, `roles`, `services`, `edge`,
  /// `api_keys`, `conformance`.
  std::string_view name;
  /// The schema table its keys live in: `cluster`, `node`, `roles.*`, ...
  std::string_view keys;
  table_kind kind = table_kind::table;
  /// How it is written in the file: `[cluster]`, `[[node]]`, `[roles.NAME]`.
  std::string_view header;
  std::string_view doc;
};

/// Every key, grouped by table, in the order the renderer prints them.
const std::vector<key_spec>& schema();

/// Every top-level table, in the order the renderer prints them.
const std::vector<table_spec>& tables();

/// Returns the keys of `table` (`cluster`, `node`, `roles.*`, ...).
std::vector<const key_spec*> keys_of(std::string_view table);

/// Returns the spec of `key` in `table`, or nullptr.
const key_spec* find_key(std::string_view table, std::string_view key);

/// Returns the top-level table called `name`, or nullptr.
const table_spec* find_table(std::string_view name);

/// Quotes `x` as a TOML basic string.
std::string toml_quote(std::string_view x);

/// Renders `x` as a TOML float that reads back exactly.
std::string toml_number(double x);

/// Renders `xs` as a TOML array of strings.
std::string toml_array(const std::vector<std::string>& xs);

/// Renders every key as Markdown, table by table: type, default, range or
/// choices and doc (`sophia-node --config-reference`).
std::string render_reference();

/// Returns whether `x` matches `[a-z0-9][a-z0-9_-]*`: node names end up in
/// actor names, log fields and file names, so we keep them plain.
bool is_node_name(std::string_view x);

/// Returns whether `x` matches `[a-z0-9_]+`.
bool is_service_name(std::string_view x);

/// Returns whether `x` refers to a secret (`env:`, `file:`, `esc:`) rather
/// than being one; references are safe to print.
bool is_secret_reference(std::string_view x);

/// Returns whether `x` is a valid `key` of `[api_keys.NAME]`: `env:VAR`,
/// `file:PATH` or `sha256:` followed by exactly 64 hex digits, with a
/// non-empty VAR and PATH. A key is never written into the file itself.
bool is_api_key_reference(std::string_view x);

/// Returns the port keys of `[edge]` that serve a single domain, in schema
/// order: `ai_intelligence_port`, `data_intelligence_port`, ...
const std::vector<std::string_view>& domain_port_keys();

} // namespace sophia::runtime::config
