// Airbyte messages, one line each: what the pipeline takes, and the clear
// error for everything else.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "actors/pipeline/airbyte/message.hpp"

using namespace sophia::actors::pipeline::airbyte;

namespace {

constexpr size_t limit = 1 << 20;

message ok(std::string_view line) {
  auto r = parse_message(line, limit);
  if (auto* e = std::get_if<std::string>(&r)) FAIL_CHECK(*e);
  REQUIRE(std::holds_alternative<message>(r));
  return std::get<message>(std::move(r));
}

std::string bad(std::string_view line, size_t max = limit) {
  auto r = parse_message(line, max);
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}

} // namespace

TEST_CASE("a record with namespace, data, emitted_at and source changes") {
  auto m = ok(R"({"type":"RECORD","record":{"namespace":"crm","stream":"users",)"
              R"("emitted_at":1000,"data":{"id":1,"name":"Alice"},"meta":)"
              R"({"changes":[{"field":"address","change":"NULLED",)"
              R"("reason":"SOURCE_RETRIEVAL_ERROR"}]}}})");
  auto& r = std::get<record>(m);
  CHECK(r.stream.name == "users");
  CHECK(r.stream.ns == "crm");
  CHECK(r.stream.text() == "crm.users");
  CHECK(r.emitted_at_ms == 1000);
  CHECK(r.data["name"] == "Alice");
  REQUIRE(r.changes.size() == 1);
  CHECK(r.changes[0] == field_change{ "address", "NULLED", "SOURCE_RETRIEVAL_ERROR" });
  // A null namespace is none.
  auto plain = ok(R"({"type":"RECORD","record":{"stream":"s","namespace":null,)"
                  R"("emitted_at":2,"data":{}}})");
  CHECK_FALSE(std::get<record>(plain).stream.ns);
  CHECK(std::get<record>(plain).stream.text() == "s");
}

TEST_CASE("states: legacy, stream and global, kept whole") {
  auto legacy = ok(R"({"type":"STATE","state":{"data":{"start_date":"2020-08-31"}}})");
  auto& l = std::get<state>(legacy);
  CHECK(l.type == state::kind::legacy);
  CHECK(l.raw["data"]["start_date"] == "2020-08-31");
  auto stream = ok(R"({"type":"STATE","state":{"type":"STREAM","stream":)"
                   R"({"stream_descriptor":{"name":"users","namespace":"crm"},)"
                   R"("stream_state":{"cursor":5}},"sourceStats":{"recordCount":3}}})");
  auto& s = std::get<state>(stream);
  CHECK(s.type == state::kind::stream);
  REQUIRE(s.stream);
  CHECK(s.stream->text() == "crm.users");
  CHECK(s.source_record_count == 3);
  auto global = ok(R"({"type":"STATE","state":{"type":"GLOBAL","global":)"
                   R"({"shared_state":{"lsn":7},"stream_states":[)"
                   R"({"stream_descriptor":{"name":"a"}},)"
                   R"({"stream_descriptor":{"name":"b","namespace":"n"}}]}}})");
  auto& g = std::get<state>(global);
  CHECK(g.type == state::kind::global);
  REQUIRE(g.streams.size() == 2);
  CHECK(g.streams[1].text() == "n.b");
}

TEST_CASE("stream status traces, and the messages kept whole") {
  auto done = ok(R"({"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1.5,)"
                 R"("stream_status":{"stream_descriptor":{"name":"users"},)"
                 R"("status":"COMPLETE"}}})");
  auto& st = std::get<stream_status>(done);
  CHECK(st.stream.name == "users");
  CHECK(st.status == stream_status::value::complete);
  auto error = ok(R"({"type":"TRACE","trace":{"type":"ERROR","emitted_at":1,)"
                  R"("error":{"message":"boom"}}})");
  CHECK(std::get<other>(error).type == "TRACE");
  auto log = ok(R"({"type":"LOG","log":{"level":"INFO","message":"hi"}})");
  CHECK(std::get<other>(log).raw["log"]["message"] == "hi");
}

TEST_CASE("every bad line gets an error that names what is wrong") {
  CHECK(bad("{\"type\":") .rfind("not JSON: parse error at line 1, column 9", 0) == 0);
  CHECK(bad("[1,2]") == "/: expected an AirbyteMessage object, got array");
  CHECK(bad("{}") == "/type: missing");
  CHECK(bad(R"({"type":7})") == "/type: expected a string, got integer");
  CHECK(bad(R"({"type":"RECRD"})").rfind("/type: 'RECRD' is not an AirbyteMessage type", 0) == 0);
  CHECK(bad(R"({"type":"RECORD"})") == "/record: missing");
  CHECK(bad(R"({"type":"RECORD","record":{"data":{},"emitted_at":1}})")
        == "/record/stream: missing");
  CHECK(bad(R"({"type":"RECORD","record":{"stream":"","data":{},"emitted_at":1}})")
        == "/record/stream: empty");
  CHECK(bad(R"({"type":"RECORD","record":{"stream":"s","data":[1],"emitted_at":1}})")
        == "/record/data: expected an object, got array");
  CHECK(bad(R"({"type":"RECORD","record":{"stream":"s","data":{},"emitted_at":"x"}})")
        == "/record/emitted_at: expected an integer (epoch ms), got string");
  CHECK(bad(R"({"type":"RECORD","record":{"stream":"s","data":{}}})")
        == "/record/emitted_at: missing");
  CHECK(bad(R"({"type":"RECORD","record":{"stream":"s","data":{},"emitted_at":1,)"
            R"("meta":{"changes":[{"field":"a","change":"NULLED"}]}}})")
        == "/record/meta/changes/0/reason: missing");
  CHECK(bad(R"({"type":"STATE","state":{"type":"STREAM","stream":{}}})")
        == "/state/stream/stream_descriptor: missing");
  CHECK(bad(R"({"type":"STATE","state":{"type":"SHARED"}})")
        == "/state/type: 'SHARED' is none of LEGACY, STREAM, GLOBAL");
  CHECK(bad(R"({"type":"STATE","state":{}})")
        == "/state/data: missing (a LEGACY state)");
  CHECK(bad(R"({"type":"TRACE","trace":{"type":"STREAM_STATUS","stream_status":)"
            R"({"stream_descriptor":{"name":"s"},"status":"DONE"}}})")
        == "/trace/stream_status/status: 'DONE' is none of STARTED, RUNNING,"
           " COMPLETE, INCOMPLETE");
  // Trailing garbage after the object is not JSON (Jackson lets it pass).
  CHECK(bad(R"({"type":"LOG","log":{}}})").rfind("not JSON: ", 0) == 0);
  CHECK(bad(std::string(100, ' '), 10) == "100 bytes, over the limit of 10");
}

TEST_CASE("blank lines") {
  CHECK(is_blank(""));
  CHECK(is_blank(" \t\r\n"));
  CHECK_FALSE(is_blank(" {}"));
}
