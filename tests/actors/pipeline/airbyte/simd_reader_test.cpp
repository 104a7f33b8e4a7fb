// The simdjson reading of RECORD lines gives what nlohmann's gives, or
// declines: the same document (number types, repeated keys, escapes), and
// the full reading for anything it is not sure of.
#include <doctest/doctest.h>

#include <string>

#include "actors/pipeline/airbyte/simd_reader.hpp"

namespace simd = sophia::actors::pipeline::airbyte::simd;
using nlohmann::json;

namespace {

// Same value and same number types (json's == treats 1 and 1u alike).
void same(const json& a, const json& b) {
  REQUIRE(a.type() == b.type());
  CHECK(a == b);
  if (a.is_object())
    for (auto& [k, v] : a.items())
      same(v, b.at(k));
  if (a.is_array())
    for (size_t i = 0; i < a.size(); ++i)
      same(a[i], b[i]);
}

} // namespace

TEST_CASE("documents read by simdjson equal nlohmann's, number types included") {
  for (std::string line : {
         R"({"a":1,"b":-1,"c":1.5,"d":1e2,"e":18446744073709551615,"f":-9223372036854775808})",
         R"({"s":"caf\u00e9 \"q\" \\ \n \ud83d\ude00","t":true,"n":null,"arr":[1,[2,{"x":[]}]]})",
         R"({"k":1,"k":2})",
         R"({"neg":-0.0,"exp":-1.25e-3})",
         R"(  {"unicode":"日本語"}  )",
       }) {
    CAPTURE(line);
    json fast;
    REQUIRE(simd::read_document(line, fast));
    same(fast, json::parse(line));
  }
}

TEST_CASE("what simdjson is not sure of is left to nlohmann") {
  json out;
  CHECK_FALSE(simd::read_document(R"({"big":1e400})", out));     // out of range
  CHECK_FALSE(simd::read_document(R"({"i":123456789012345678901234567890})", out));
  CHECK_FALSE(simd::read_document(R"([1,2])", out));              // not an object
  CHECK_FALSE(simd::read_document(R"({"a":1} x)", out));          // trailing text
  CHECK_FALSE(simd::read_document("{\"bad\":\"\xff\"}", out));    // not UTF-8
  std::string deep(200, '[');
  deep = "{\"d\":" + deep + std::string(200, ']') + "}";
  CHECK_FALSE(simd::read_document(deep, out));
}

TEST_CASE("a plain RECORD line, and the ones left to the full reading") {
  sophia::actors::pipeline::airbyte::record r;
  REQUIRE(simd::read_record(
    R"({"type":"RECORD","record":{"namespace":null,"stream":"users","data":{"id":7,"name":"ann"},"emitted_at":1700000000000}})",
    r));
  CHECK(r.stream.name == "users");
  CHECK_FALSE(r.stream.ns.has_value());
  CHECK(r.data == json{{"id", 7}, {"name", "ann"}});
  CHECK(r.data["id"].is_number_unsigned());
  CHECK(r.emitted_at_ms == 1700000000000);
  sophia::actors::pipeline::airbyte::record other;
  for (std::string line : {
         R"({"type":"STATE","state":{}})",
         R"({"type":"RECORD","record":{"stream":"s","data":{},"emitted_at":1,"meta":{}}})",
         R"({"type":"RECORD","type":"RECORD","record":{"stream":"s","data":{},"emitted_at":1}})",
         R"({"type":"RECORD","record":{"stream":"","data":{},"emitted_at":1}})",
         R"({"type":"RECORD","record":{"stream":"s","data":[],"emitted_at":1}})",
         R"({"type":"RECORD","record":{"stream":"s","data":{},"emitted_at":1.5}})",
         R"({"type":"RECORD","record":{"stream":"s","data":{}}})",
       }) {
    CAPTURE(line);
    CHECK_FALSE(simd::read_record(line, other));
  }
}
