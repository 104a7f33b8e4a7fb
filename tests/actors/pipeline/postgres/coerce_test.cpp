#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "actors/pipeline/postgres/coerce.hpp"
#include "actors/pipeline/postgres/column_kind.hpp"
#include "actors/pipeline/postgres/copy_text.hpp"
#include "actors/pipeline/postgres/temporal.hpp"

namespace pg = sophia::actors::pipeline::postgres;
using nlohmann::json;
using pg::column_kind;

namespace {

// The COPY field of `v` in a column of `k`, or "MISMATCH".
std::string cell(column_kind k, const json& v) {
  std::string out;
  return pg::append_cell(out, k, &v) == pg::cell::mismatch ? "MISMATCH" : out;
}

} // namespace

TEST_CASE("kinds: Airbyte's reading of JSON schemas") {
  auto k = [](const char* s) { return pg::kind_of_schema(json::parse(s)); };
  CHECK(k(R"({"type":"integer"})") == column_kind::integer);
  CHECK(k(R"({"type":["null","integer"]})") == column_kind::integer);
  CHECK(k(R"({"type":"number","airbyte_type":"integer"})")
        == column_kind::integer);
  CHECK(k(R"({"type":"number"})") == column_kind::number);
  CHECK(k(R"({"type":"string","format":"date"})") == column_kind::date);
  CHECK(k(R"({"type":"string","format":"date-time"})")
        == column_kind::timestamp_tz);
  CHECK(k(R"({"type":"string","format":"date-time",
              "airbyte_type":"timestamp_without_timezone"})")
        == column_kind::timestamp);
  CHECK(k(R"({"type":"string","format":"time",
              "airbyte_type":"time_with_timezone"})")
        == column_kind::time_tz);
  CHECK(k(R"({"type":"object","properties":{}})") == column_kind::object);
  CHECK(k(R"({"properties":{"a":{}}})") == column_kind::object);
  CHECK(k(R"({"type":"array"})") == column_kind::array);
  CHECK(k(R"({"oneOf":[{"type":"string"},{"type":"integer"}]})")
        == column_kind::unknown);
  CHECK(k(R"({"type":["string","integer"]})") == column_kind::string);
  CHECK(k(R"({"type":["integer","boolean"]})") == column_kind::integer);
  CHECK(k(R"({"$ref":"WellKnownTypes.json#/definitions/TimestampWithTimezone"})")
        == column_kind::timestamp_tz);
  CHECK(k(R"({"$ref":"WellKnownTypes.json#/definitions/Integer"})")
        == column_kind::integer);
  CHECK(k(R"({})") == column_kind::unknown);
  CHECK(k(R"({"type":"whatever"})") == column_kind::unknown);
}

TEST_CASE("kinds: widening never loses a value") {
  CHECK(pg::widen(column_kind::integer, column_kind::number)
        == column_kind::number);
  CHECK(pg::widen(column_kind::number, column_kind::string)
        == column_kind::string);
  CHECK(pg::widen(column_kind::boolean, column_kind::integer)
        == column_kind::string);
  CHECK(pg::widen(column_kind::object, column_kind::array)
        == column_kind::unknown);
  CHECK(pg::widen(column_kind::string, column_kind::object)
        == column_kind::unknown);
  CHECK(pg::holds(column_kind::string, column_kind::integer));
  CHECK_FALSE(pg::holds(column_kind::integer, column_kind::string));
  CHECK(pg::holds(column_kind::unknown, column_kind::object));
  CHECK(pg::kind_of_pg_type("bigint") == column_kind::integer);
  CHECK(pg::kind_of_pg_type("jsonb") == column_kind::unknown);
  CHECK_FALSE(pg::kind_of_pg_type("money"));
}

TEST_CASE("typing: what fits a column and what is NULLED") {
  // The alltypes fixture's invalid record (id 4): every one NULLED.
  CHECK(cell(column_kind::array, json::object()) == "MISMATCH");
  CHECK(cell(column_kind::object, json::array()) == "MISMATCH");
  CHECK(cell(column_kind::number, "foo") == "MISMATCH");
  CHECK(cell(column_kind::integer, "bar") == "MISMATCH");
  CHECK(cell(column_kind::boolean, "fizz") == "MISMATCH");
  CHECK(cell(column_kind::timestamp_tz, json::object()) == "MISMATCH");
  CHECK(cell(column_kind::date, "airbyte") == "MISMATCH");
  // Valid values.
  CHECK(cell(column_kind::number, 67.174118) == "67.174118");
  CHECK(cell(column_kind::number, "1e5") == "1e5");
  CHECK(cell(column_kind::number, "NaN") == "NaN");
  CHECK(cell(column_kind::integer, 42) == "42");
  CHECK(cell(column_kind::integer, 42.0) == "42");
  CHECK(cell(column_kind::integer, 42.5) == "MISMATCH");
  CHECK(cell(column_kind::integer, "-9223372036854775808")
        == "-9223372036854775808");
  CHECK(cell(column_kind::integer, "9223372036854775808") == "MISMATCH");
  CHECK(cell(column_kind::integer, json(18446744073709551615u)) == "MISMATCH");
  CHECK(cell(column_kind::boolean, true) == "t");
  CHECK(cell(column_kind::boolean, "FALSE") == "f");
  CHECK(cell(column_kind::boolean, 1) == "MISMATCH");
  // Strings take anything, as jsonb prints it (json_types_in_string).
  CHECK(cell(column_kind::string, json::parse(R"(["I","am","an","array"])"))
        == R"(["I", "am", "an", "array"])");
  CHECK(cell(column_kind::string, json::parse(R"({"an":"object","I":"am"})"))
        == R"({"I": "am", "an": "object"})");
  CHECK(cell(column_kind::string, true) == "true");
  CHECK(cell(column_kind::string, 3.14) == "3.14");
  // COPY escapes; NUL dropped.
  CHECK(cell(column_kind::string, std::string("a\tb\nc\\d\0e", 9))
        == "a\\tb\\nc\\\\de");
  CHECK(cell(column_kind::unknown, json::parse(R"({"a":"x\"y\n"})"))
        == R"({"a":"x\\"y\\n"})");
  // JSON null: SQL NULL, but kept as JSON in an unknown column.
  std::string out;
  CHECK(pg::append_cell(out, column_kind::string, nullptr) == pg::cell::null);
  json null;
  CHECK(pg::append_cell(out, column_kind::integer, &null) == pg::cell::null);
  CHECK(cell(column_kind::unknown, null) == "null");
}

TEST_CASE("temporal: the ISO forms PostgreSQL reads alike") {
  using namespace pg::temporal;
  CHECK(is_date("2023-01-23"));
  CHECK(is_date("2024-02-29"));
  CHECK_FALSE(is_date("2023-02-29"));
  CHECK_FALSE(is_date("2023-1-23"));
  CHECK_FALSE(is_date("0000-01-01"));
  for (auto ts : {"2023-01-23T12:34:56Z", "2023-01-23T12:34:56-08:00",
                  "2023-01-23T12:34:56-0800", "2023-01-23T12:34:56-08",
                  "2023-01-23T12:34:56.123Z", "2023-01-23 12:34",
                  "2023-01-23"})
    CHECK_MESSAGE(is_timestamp(ts, true), ts);
  CHECK_FALSE(is_timestamp("2023-01-23T25:00:00Z", true));
  CHECK_FALSE(is_timestamp("2023-01-23T12:34:56+16:00", true));
  CHECK_FALSE(is_timestamp("2023-01-23T12:34:56 UTC", true));
  CHECK(is_time("12:34:56", false));
  CHECK_FALSE(is_time("12:34:56Z", false));
  CHECK(is_time("12:34:56.123Z", true));
  CHECK(is_time("24:00:00", false));
  CHECK_FALSE(is_time("24:00:01", false));
}
