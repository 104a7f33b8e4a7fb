#include "runtime/config/schema.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <string>
#include <type_traits>

#include "runtime/config/cluster_config.hpp"

namespace sophia::runtime::config {

std::string_view to_string(value_type x) {
  switch (x) {
    case value_type::string: return "string";
    case value_type::integer: return "integer";
    case value_type::boolean: return "boolean";
    case value_type::string_array: return "string array";
    case value_type::number: return "number";
  }
  return "?";
}

namespace {

/// The TOML type of a struct member of type `T`.
template <class T>
constexpr value_type type_of() {
  if constexpr (std::is_same_v<T, bool>)
    return value_type::boolean;
  else if constexpr (std::is_integral_v<T>)
    return value_type::integer;
  else if constexpr (std::is_floating_point_v<T>)
    return value_type::number;
  else if constexpr (std::is_same_v<T, std::string>)
    return value_type::string;
  else {
    static_assert(std::is_same_v<T, std::vector<std::string>>,
                  "a key of cluster.conf has an unsupported type");
    return value_type::string_array;
  }
}

/// Renders a default as TOML text.
std::string toml_text(bool x) {
  return x ? "true" : "false";
}

std::string toml_text(int64_t x) {
  return std::to_string(x);
}

std::string toml_text(uint16_t x) {
  return std::to_string(x);
}

std::string toml_text(double x) {
  return toml_number(x);
}

std::string toml_text(const std::string& x) {
  return toml_quote(x);
}

std::string toml_text(const std::vector<std::string>& xs) {
  return toml_array(xs);
}

} // namespace

std::string toml_number(double x) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  std::string out{ buf, ec == std::errc{} ? end : buf };
  // TOML reads `1` as an integer: a float needs its point or exponent.
  if (out.find_first_of(".eEni") == std::string::npos) out += ".0";
  return out;
}

std::string toml_quote(std::string_view x) {
  std::string out = "\"";
  for (char c : x) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf,
                        sizeof(buf),
                        "\\u%04x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + '"';
}

std::string toml_array(const std::vector<std::string>& xs) {
  std::string out = "[";
  for (const auto& x : xs)
    out += (out.size() > 1 ? ", " : "") + toml_quote(x);
  return out + ']';
}

const std::vector<key_spec>& schema() {
  // Each block reads one list of keys.hpp; the default's text comes from a
  // default-constructed struct, so schema and struct always agree.
  static const std::vector<key_spec> specs = [] {
    std::vector<key_spec> xs;
#define SOPHIA_KEY_SPEC(TYPE, NAME, DEFAULT, DOC, ...)                         \
  xs.push_back(key_spec{ .table = table,                                       \
                         .key = #NAME,                                         \
                         .type = type_of<TYPE>(),                              \
                         .default_value = toml_text(defaults.NAME),            \
                         .doc = DOC __VA_OPT__(, ) __VA_ARGS__ });
#define SOPHIA_KEY_TABLE(TABLE, STRUCT, LIST)                                  \
  {                                                                            \
    constexpr std::string_view table = TABLE;                                  \
    const STRUCT defaults;                                                     \
    LIST(SOPHIA_KEY_SPEC)                                                      \
  }
    SOPHIA_KEY_TABLE("cluster", cluster_config, SOPHIA_CONFIG_KEYS_CLUSTER)
    SOPHIA_KEY_TABLE("node", node_config, SOPHIA_CONFIG_KEYS_NODE)
    SOPHIA_KEY_TABLE("roles.*", role_config, SOPHIA_CONFIG_KEYS_ROLE)
    SOPHIA_KEY_TABLE("services.*", service_config, SOPHIA_CONFIG_KEYS_SERVICE)
    SOPHIA_KEY_TABLE("edge", edge_config, SOPHIA_CONFIG_KEYS_EDGE)
    SOPHIA_KEY_TABLE("models.*", model_config, SOPHIA_CONFIG_KEYS_MODEL)
    SOPHIA_KEY_TABLE("api_keys.*", api_key_config, SOPHIA_CONFIG_KEYS_API_KEY)
    SOPHIA_KEY_TABLE(
      "conformance", conformance_config, SOPHIA_CONFIG_KEYS_CONFORMANCE)
    SOPHIA_KEY_TABLE("pipeline", pipeline_config, SOPHIA_CONFIG_KEYS_PIPELINE)
    SOPHIA_KEY_TABLE("pipeline.sources.*", pipeline_source_config,
                     SOPHIA_CONFIG_KEYS_PIPELINE_SOURCE)
#undef SOPHIA_KEY_TABLE
#undef SOPHIA_KEY_SPEC
    for (auto& x : xs)
      if (x.required) x.default_value.clear();
    return xs;
  }();
  return specs;
}

const std::vector<table_spec>& tables() {
  static const std::vector<table_spec> specs{
    { .name = "cluster",
      .keys = "cluster",
      .kind = table_kind::table,
      .header = "[cluster]",
      .doc = "settings shared by every node" },
    { .name = "node",
      .keys = "node",
      .kind = table_kind::array_of_tables,
      .header = "[[node]]",
      .doc = "one block per process of the cluster" },
    { .name = "roles",
      .keys = "roles.*",
      .kind = table_kind::named_tables,
      .header = "[roles.NAME]",
      .doc = "placement and fail-over of a role" },
    { .name = "services",
      .keys = "services.*",
      .kind = table_kind::named_tables,
      .header = "[services.NAME]",
      .doc = "how to reach an external service" },
    { .name = "models",
      .keys = "models.*",
      .kind = table_kind::named_tables,
      .header = "[models.\"ID\"]",
      .doc = "one model of the AI router's catalog as the configuration has "
             "it (prices, context, capabilities, prior qualities per task "
             "type), over what its providers list" },
    { .name = "edge",
      .keys = "edge",
      .kind = table_kind::table,
      .header = "[edge]",
      .doc = "the MCP endpoint of nodes that run the edge role" },
    { .name = "api_keys",
      .keys = "api_keys.*",
      .kind = table_kind::named_tables,
      .header = "[api_keys.NAME]",
      .doc = "one bearer key of the MCP edge; with none, the edge needs no "
             "key" },
    { .name = "conformance",
      .keys = "conformance",
      .kind = table_kind::table,
      .header = "[conformance]",
      .doc = "the MCP conformance-suite fixtures" },
    { .name = "pipeline",
      .keys = "pipeline",
      .kind = table_kind::table,
      .header = "[pipeline]",
      .doc = "the data pipeline of the nodes that run the pipeline role" },
    { .name = "pipeline.sources",
      .keys = "pipeline.sources.*",
      .kind = table_kind::named_tables,
      .header = "[pipeline.sources.NAME]",
      .doc = "one Airbyte source the pipeline runs as a command (spec, "
             "check, discover, read); its `config` table (any TOML, string "
             "values may be secret references) is passed as JSON" },
  };
  return specs;
}

std::vector<const key_spec*> keys_of(std::string_view table) {
  std::vector<const key_spec*> result;
  for (const auto& spec : schema())
    if (spec.table == table) result.push_back(&spec);
  return result;
}

const key_spec* find_key(std::string_view table, std::string_view key) {
  for (const auto& spec : schema())
    if (spec.table == table && spec.key == key) return &spec;
  return nullptr;
}

const table_spec* find_table(std::string_view name) {
  for (const auto& spec : tables())
    if (spec.name == name) return &spec;
  return nullptr;
}

namespace {

/// Escapes what would end a Markdown table cell.
std::string cell(std::string_view x) {
  std::string out;
  for (char c : x) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

/// The values an integer or string key accepts, for the reference.
std::string accepted(const key_spec& spec) {
  if (spec.type == value_type::integer || spec.type == value_type::number) {
    if (spec.max == unbounded) return "≥ " + std::to_string(spec.min);
    return std::to_string(spec.min) + " … " + std::to_string(spec.max);
  }
  std::string out;
  for (auto choice : spec.choices)
    out += (out.empty() ? "" : ", ") + std::string{ choice };
  return out;
}

} // namespace

std::string render_reference() {
  std::string out = "# cluster.conf keys\n\nPrinted by `sophia-node "
                    "--config-reference` from `runtime/config/keys.hpp`, "
                    "where each key is declared once.\n";
  for (const auto& table : tables()) {
    out += "\n## `" + std::string{ table.header } + "`\n\n" +
           std::string{ table.doc } + ".\n\n" +
           "| key | type | default | accepts | meaning |\n"
           "|---|---|---|---|---|\n";
    for (const auto* spec : keys_of(table.keys))
      out += "| `" + std::string{ spec->key } + "` | " +
             std::string{ to_string(spec->type) } + " | " +
             (spec->required ? std::string{ "required" }
                             : "`" + cell(spec->default_value) + "`") +
             " | " + cell(accepted(*spec)) + " | " + cell(spec->doc) +
             (spec->secret ? " (a secret: printed as `<redacted>` unless a "
                             "reference)"
                           : "") +
             " |\n";
  }
  return out;
}

namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

} // namespace

bool is_node_name(std::string_view x) {
  if (x.empty() || !is_lower_alnum(x.front())) return false;
  return std::all_of(x.begin() + 1, x.end(), [](char c) {
    return is_lower_alnum(c) || c == '_' || c == '-';
  });
}

bool is_service_name(std::string_view x) {
  return !x.empty() && std::all_of(x.begin(), x.end(), [](char c) {
    return is_lower_alnum(c) || c == '_';
  });
}

bool is_secret_reference(std::string_view x) {
  static constexpr std::array<std::string_view, 3> prefixes{
    "env:", "file:", "esc:"
  };
  return std::any_of(prefixes.begin(), prefixes.end(), [x](std::string_view p) {
    return x.starts_with(p);
  });
}

bool is_api_key_reference(std::string_view x) {
  constexpr std::string_view hash = "sha256:";
  if (x.starts_with(hash)) {
    x.remove_prefix(hash.size());
    return x.size() == 64 && std::all_of(x.begin(), x.end(), is_hex_digit);
  }
  return (x.starts_with("env:") && x.size() > 4) ||
         (x.starts_with("file:") && x.size() > 5);
}

const std::vector<std::string_view>& domain_port_keys() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> xs;
    for (auto d : mcp_domains())
      xs.push_back(std::string{ d } + "_port");
    return xs;
  }();
  static const std::vector<std::string_view> keys{ names.begin(), names.end() };
  return keys;
}

} // namespace sophia::runtime::config
