#include "actors/pipeline/postgres/column_kind.hpp"

#include <array>
#include <string>

#include <nlohmann/json.hpp>

namespace sophia::actors::pipeline::postgres {

using nlohmann::json;

std::string_view pg_type(column_kind k) {
  switch (k) {
    case column_kind::boolean: return "boolean";
    case column_kind::integer: return "bigint";
    case column_kind::number: return "numeric";
    case column_kind::string: return "character varying";
    case column_kind::date: return "date";
    case column_kind::time: return "time without time zone";
    case column_kind::time_tz: return "time with time zone";
    case column_kind::timestamp: return "timestamp without time zone";
    case column_kind::timestamp_tz: return "timestamp with time zone";
    case column_kind::object:
    case column_kind::array:
    case column_kind::unknown: return "jsonb";
  }
  return "jsonb";
}

std::optional<column_kind> kind_of_pg_type(std::string_view type) {
  // The names are format_type's, which pg_type returns too.
  static constexpr std::array kinds{
    column_kind::boolean, column_kind::integer,   column_kind::number,
    column_kind::string,  column_kind::date,      column_kind::time,
    column_kind::time_tz, column_kind::timestamp, column_kind::timestamp_tz,
    column_kind::unknown};
  for (auto k : kinds)
    if (pg_type(k) == type)
      return k;
  return std::nullopt;
}

namespace {

// Airbyte's order of preference within a union (Union.chooseType).
constexpr std::array union_order{
  column_kind::array,     column_kind::object,       column_kind::string,
  column_kind::date,      column_kind::time,         column_kind::time_tz,
  column_kind::timestamp, column_kind::timestamp_tz, column_kind::number,
  column_kind::integer,   column_kind::boolean};

column_kind of_ref(const std::string& ref) {
  auto pos = ref.rfind('/');
  auto name = pos == std::string::npos ? ref : ref.substr(pos + 1);
  if (name == "String" || name == "BinaryData")
    return column_kind::string;
  if (name == "Boolean")
    return column_kind::boolean;
  if (name == "Date")
    return column_kind::date;
  if (name == "TimestampWithTimezone")
    return column_kind::timestamp_tz;
  if (name == "TimestampWithoutTimezone")
    return column_kind::timestamp;
  if (name == "TimeWithTimezone")
    return column_kind::time_tz;
  if (name == "TimeWithoutTimezone")
    return column_kind::time;
  if (name == "Number")
    return column_kind::number;
  if (name == "Integer")
    return column_kind::integer;
  return column_kind::unknown;
}

std::string text_of(const json& obj, const char* key) {
  auto i = obj.find(key);
  return i != obj.end() && i->is_string() ? i->get<std::string>()
                                          : std::string{};
}

// One JSON type name, refined by `format` and `airbyte_type`.
std::optional<column_kind> of_type(const std::string& type, const json& p) {
  auto airbyte_type = text_of(p, "airbyte_type");
  if (type == "boolean")
    return column_kind::boolean;
  if (type == "integer")
    return column_kind::integer;
  if (type == "number")
    return airbyte_type == "integer" ? column_kind::integer
                                     : column_kind::number;
  if (type == "string") {
    auto format = text_of(p, "format");
    if (format == "date")
      return column_kind::date;
    if (format == "time")
      return airbyte_type == "time_without_timezone" ? column_kind::time
                                                     : column_kind::time_tz;
    if (format == "date-time")
      return airbyte_type == "timestamp_without_timezone"
               ? column_kind::timestamp
               : column_kind::timestamp_tz;
    return column_kind::string;
  }
  if (type == "object")
    return column_kind::object;
  if (type == "array")
    return column_kind::array;
  return std::nullopt; // "null", or not a type
}

} // namespace

column_kind kind_of_schema(const json& p) {
  if (!p.is_object())
    return column_kind::unknown;
  if (auto ref = text_of(p, "$ref"); !ref.empty())
    return of_ref(ref);
  if (p.contains("oneOf"))
    return column_kind::unknown;
  auto t = p.find("type");
  if (t == p.end())
    return p.contains("properties") ? column_kind::object
                                    : column_kind::unknown;
  if (t->is_string())
    return of_type(t->get<std::string>(), p).value_or(column_kind::unknown);
  if (!t->is_array())
    return column_kind::unknown;
  std::optional<column_kind> best;
  for (auto& name : *t) {
    if (!name.is_string())
      return column_kind::unknown;
    auto k = of_type(name.get<std::string>(), p);
    if (!k)
      continue;
    auto rank = [](column_kind x) {
      for (size_t i = 0; i < union_order.size(); ++i)
        if (union_order[i] == x)
          return i;
      return union_order.size();
    };
    if (!best || rank(*k) < rank(*best))
      best = k;
  }
  return best.value_or(column_kind::unknown);
}

std::optional<column_kind> kind_of_value(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return std::nullopt;
    case json::value_t::boolean: return column_kind::boolean;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return column_kind::integer;
    case json::value_t::number_float: return column_kind::number;
    case json::value_t::string: return column_kind::string;
    case json::value_t::object: return column_kind::object;
    case json::value_t::array: return column_kind::array;
    default: return column_kind::unknown;
  }
}

namespace {

bool is_json(column_kind k) {
  return k == column_kind::object || k == column_kind::array
         || k == column_kind::unknown;
}

} // namespace

column_kind widen(column_kind a, column_kind b) {
  if (a == b)
    return a;
  if (is_json(a) || is_json(b))
    return column_kind::unknown;
  auto numeric = [](column_kind k) {
    return k == column_kind::integer || k == column_kind::number;
  };
  if (numeric(a) && numeric(b))
    return column_kind::number;
  return column_kind::string;
}

bool holds(column_kind to, column_kind from) {
  return pg_type(widen(to, from)) == pg_type(to);
}

} // namespace sophia::actors::pipeline::postgres
