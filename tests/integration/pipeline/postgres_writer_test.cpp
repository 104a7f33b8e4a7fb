// The PostgreSQL writer on a real server: typing, sync modes, schema
// evolution, dead letters, checkpoints in the batch's transaction.

#include <doctest/doctest.h>

#include "actors/pipeline/postgres/connection.hpp"
#include "pipeline_fixture.hpp"

namespace ap = sophia::actors::pipeline;
namespace pg = sophia::actors::pipeline::postgres;
using namespace sophia::tests::integration::pipeline;
using nlohmann::json;

namespace {

json stream(const std::string& name, json schema, const char* mode,
            json pk = json::array(), json cursor = json::array(),
            int gen = 0, int min_gen = 0) {
  return {{"stream", {{"name", name}, {"json_schema", schema},
                      {"supported_sync_modes", {"incremental"}}}},
          {"sync_mode", "incremental"},
          {"destination_sync_mode", mode},
          {"primary_key", pk},
          {"cursor_field", cursor},
          {"generation_id", gen},
          {"minimum_generation_id", min_gen},
          {"sync_id", 7}};
}

json users_schema() {
  return json::parse(R"({"type":"object","properties":{
    "id":{"type":"integer"},"name":{"type":"string"},
    "score":{"type":"number"},"active":{"type":"boolean"},
    "seen":{"type":"string","format":"date-time"},
    "tags":{"type":"array"},"extra":{"type":"object"}}})");
}

} // namespace

TEST_CASE("append: typed columns, NULLED values, the record kept whole") {
  auto uri = fresh_database();
  auto cat = catalog({{"streams", {stream("users", users_schema(), "append")}}});
  auto report = sync(uri, cat, {
    record_line("users", {{"id", 1}, {"name", "Ann"}, {"score", 1.5},
                          {"active", true}, {"seen", "2024-01-02T03:04:05Z"},
                          {"tags", {"a"}}, {"extra", {{"k", 1}}}}),
    record_line("users", {{"id", "two"}, {"name", 2}, {"score", "x"},
                          {"seen", "yesterday"}, {"tags", "a"}}, 2000),
    state_line("users", 2)});
  CHECK(report.records == 2);
  CHECK(report.nulled == 4);
  CHECK(report.states == 1);
  auto got = rows(uri, "public", "users", "_airbyte_extracted_at");
  REQUIRE(got.size() == 2);
  CHECK(got[0]["id"] == 1);
  CHECK(got[0]["name"] == "Ann");
  CHECK(got[0]["score"] == 1.5);
  CHECK(got[0]["active"] == true);
  CHECK(got[0]["seen"] == "2024-01-02T03:04:05Z");
  CHECK(got[0]["tags"] == json{"a"});
  CHECK(got[0]["extra"] == json{{"k", 1}});
  CHECK(got[0]["_airbyte_extracted_at"] == "1970-01-01T00:00:01Z");
  CHECK(got[0]["_airbyte_generation_id"] == 0);
  CHECK(got[0]["_airbyte_meta"] == json{{"changes", json::array()}, {"sync_id", 7}});
  CHECK(got[0]["_airbyte_raw_id"].get<std::string>().size() == 36);
  CHECK(got[0]["_airbyte_raw_id"].get<std::string>()[14] == '4');
  // The second: what does not fit is NULL, with a change each; a string
  // column takes the number as text; the original is in _airbyte_data.
  CHECK(got[1]["id"].is_null());
  CHECK(got[1]["name"] == "2");
  CHECK(got[1]["score"].is_null());
  CHECK(got[1]["seen"].is_null());
  CHECK(got[1]["tags"].is_null());
  CHECK(got[1]["_airbyte_data"]["id"] == "two");
  auto changes = got[1]["_airbyte_meta"]["changes"];
  REQUIRE(changes.size() == 4);
  for (auto& c : changes) {
    CHECK(c["change"] == "NULLED");
    CHECK(c["reason"] == "DESTINATION_TYPECAST_ERROR");
  }
  CHECK(changes[0]["field"] == "id");
  // The checkpoint is stored for the source's next read.
  pg::writer w{{uri, "public", "test"}};
  auto state = w.committed_state();
  REQUIRE(std::holds_alternative<json>(state));
  CHECK(std::get<json>(state).dump()
        == R"([{"stream":{"stream_descriptor":{"name":"users"},"stream_state":{"cursor":2}},"type":"STREAM"}])");
  // Column comments keep the field names; the columns have Airbyte's types.
  CHECK(scalar(uri, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = 'public.users'::regclass AND attname = 'score'")
        == "numeric");
  CHECK(scalar(uri, "SELECT col_description('public.users'::regclass, "
                    "(SELECT attnum FROM pg_attribute WHERE attrelid = "
                    "'public.users'::regclass AND attname = 'seen'))")
        == "seen");
}

TEST_CASE("append_dedup: latest cursor wins, NULL cursor loses, CDC deletes, "
          "re-sent records are absorbed") {
  auto uri = fresh_database();
  auto schema = json::parse(R"({"type":"object","properties":{
    "id":{"type":"integer"},"v":{"type":"string"},"at":{"type":"integer"},
    "_ab_cdc_deleted_at":{"type":"string","format":"date-time"}}})");
  auto cat = catalog({{"streams", {stream("kv", schema, "append_dedup",
                                          {{"id"}}, {"at"})}}});
  std::vector<std::string> lines{
    record_line("kv", {{"id", 1}, {"v", "old"}, {"at", 1}}),
    record_line("kv", {{"id", 1}, {"v", "new"}, {"at", 2}}),
    record_line("kv", {{"id", 1}, {"v", "older"}, {"at", 0}}),
    record_line("kv", {{"id", 2}, {"v", "keep"}, {"at", 5}}),
    record_line("kv", {{"id", 2}, {"v", "null cursor"}}),
    record_line("kv", {{"id", 3}, {"v", "gone"}, {"at", 1}}),
    state_line("kv", 1),
    record_line("kv", {{"id", 3}, {"at", 2},
                       {"_ab_cdc_deleted_at", "2024-01-01T00:00:00Z"}}),
    record_line("kv", {{"id", 4}, {"v", "late"}, {"at", 1}}),
    record_line("kv", {{"id", 1}, {"v", "stale"}, {"at", 1}}, 5000),
    state_line("kv", 2)};
  auto report = sync(uri, cat, lines);
  CHECK(report.commits >= 2);
  auto expect = [&] {
    auto got = rows(uri, "public", "kv", "id");
    REQUIRE(got.size() == 3);
    CHECK(got[0]["id"] == 1);
    CHECK(got[0]["v"] == "new");
    CHECK(got[1]["id"] == 2);
    CHECK(got[1]["v"] == "keep");
    CHECK(got[2]["id"] == 4);
  };
  expect();
  // The same input again (a source resumed from an older state): the
  // same table.
  sync(uri, cat, lines);
  expect();
}

TEST_CASE("inferred schema: new fields add columns, widening keeps every "
          "record") {
  auto uri = fresh_database();
  auto cat = catalog({{"streams", {stream("events", json::object(), "append")}}});
  std::vector<std::string> lines;
  for (int i = 0; i < 10; ++i) {
    json d{{"n", i}, {"code", i}};
    if (i >= 5)
      d["added"] = "yes";     // a new field halfway
    if (i == 7)
      d["code"] = "E-7";      // integer -> string
    if (i == 8)
      d["n"] = 8.5;           // integer -> number
    lines.push_back(record_line("events", d, 1000 + i));
    if (i == 3 || i == 7)
      lines.push_back(state_line("events", i));
  }
  auto report = sync(uri, cat, lines);
  CHECK(report.records == 10);
  CHECK(report.nulled == 0);
  auto got = rows(uri, "public", "events", "_airbyte_extracted_at");
  REQUIRE(got.size() == 10);
  CHECK(got[0]["code"] == "0");
  CHECK(got[7]["code"] == "E-7");
  CHECK(got[8]["n"] == 8.5);
  CHECK(got[4]["added"].is_null());
  CHECK(got[5]["added"] == "yes");
  CHECK(scalar(uri, "SELECT string_agg(attname || ' ' || format_type(atttypid, "
                    "atttypmod), ', ' ORDER BY attnum) FROM pg_attribute WHERE "
                    "attrelid = 'public.events'::regclass AND attnum > 5")
        == "code character varying, n numeric, added character varying");
}

TEST_CASE("declared schema evolution: added and widened fields, a dropped "
          "field stays readable") {
  auto uri = fresh_database();
  auto v1 = json::parse(R"({"type":"object","properties":{
    "id":{"type":"integer"},"qty":{"type":"integer"},"note":{"type":"string"}}})");
  auto v2 = json::parse(R"({"type":"object","properties":{
    "id":{"type":"integer"},"qty":{"type":"number"},"colour":{"type":"string"}}})");
  sync(uri, catalog({{"streams", {stream("items", v1, "append")}}}),
       {record_line("items", {{"id", 1}, {"qty", 3}, {"note", "first"}})});
  sync(uri, catalog({{"streams", {stream("items", v2, "append")}}}),
       {record_line("items", {{"id", 2}, {"qty", 2.5}, {"colour", "red"},
                              {"note", "not declared"}}, 2000)});
  auto got = rows(uri, "public", "items", "id");
  REQUIRE(got.size() == 2);
  CHECK(got[0]["qty"] == 3);
  CHECK(got[0]["note"] == "first");
  CHECK(got[0]["colour"].is_null());
  CHECK(got[1]["qty"] == 2.5);
  CHECK(got[1]["colour"] == "red");
  CHECK(got[1]["note"].is_null());
  CHECK(got[1]["_airbyte_data"]["note"] == "not declared");
}

TEST_CASE("dead letters: what cannot be read is kept with the reason, the "
          "rest arrives") {
  auto uri = fresh_database();
  auto cat = catalog({{"streams", {stream("s", json::object(), "append")}}});
  auto report = sync(uri, cat, {
    "not json at all",
    R"({"type":"RECORD","record":{"stream":"s","data":{"a":1}}})",
    record_line("s", {{"a", 1}}),
    record_line("nope", {{"a", 2}}),
    R"({"type":"RECORD","record":{"stream":"s","data":[1],"emitted_at":1}})",
    record_line("s", {{"a", 3}}, -99999999999999999),
    record_line("s", {{"a", 4}})});
  CHECK(report.records == 2);
  CHECK(report.dead_letters == 5);
  CHECK(scalar(uri, "SELECT count(*) FROM public.s") == "2");
  auto reasons = scalar(uri, "SELECT string_agg(reason, ' | ' ORDER BY id) "
                             "FROM sophia_pipeline.dead_letters");
  INFO(reasons);
  CHECK(reasons.find("not JSON") != std::string::npos);
  CHECK(reasons.find("/record/emitted_at") != std::string::npos);
  CHECK(reasons.find("stream nope is not in the configured catalog")
        != std::string::npos);
  CHECK(reasons.find("/record/data") != std::string::npos);
  CHECK(scalar(uri, "SELECT line FROM sophia_pipeline.dead_letters ORDER BY "
                    "id LIMIT 1") == "not json at all");
}

TEST_CASE("truncate refresh: the old data stays until the stream ends "
          "COMPLETE") {
  auto uri = fresh_database();
  auto schema = json::parse(R"({"type":"object","properties":{"id":{"type":"integer"}}})");
  auto gen = [&](int g) {
    return catalog({{"streams", {stream("t", schema, "overwrite", json::array(),
                                        json::array(), g, g)}}});
  };
  sync(uri, gen(1), {record_line("t", {{"id", 1}}), record_line("t", {{"id", 2}})});
  CHECK(scalar(uri, "SELECT count(*) FROM public.t") == "2");
  // Generation 2 fails (no COMPLETE): generation 1 stays visible.
  sync(uri, gen(2), {record_line("t", {{"id", 3}})}, false);
  CHECK(scalar(uri, "SELECT string_agg(id::text, ',' ORDER BY id) FROM public.t") == "1,2");
  // It runs again and completes: the earlier attempt's rows are resumed.
  sync(uri, gen(2), {record_line("t", {{"id", 4}})});
  CHECK(scalar(uri, "SELECT string_agg(id::text || ':' || _airbyte_generation_id, "
                    "',' ORDER BY id) FROM public.t") == "3:2,4:2");
  CHECK(scalar(uri, "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%airbyte_tmp'")
        == "0");
}

TEST_CASE("a batch and its STATE commit together or not at all; the "
          "session waits and resumes when PostgreSQL is back") {
  auto uri = fresh_database();
  auto cat = catalog({{"streams", {stream("s", json::object(), "append")}}});
  pg::writer w{{uri, "public", "src"}};
  REQUIRE_FALSE(w.begin(cat));
  ap::ingest_session s{w, cat};
  REQUIRE_FALSE(s.line(record_line("s", {{"a", 1}})));
  REQUIRE_FALSE(s.line(state_line("s", 1)));
  REQUIRE_FALSE(s.line(record_line("s", {{"a", 2}})));
  server().stop();
  auto err = s.line(state_line("s", 2));
  REQUIRE(err);
  CHECK(s.blocked());
  CHECK(s.line(record_line("s", {{"a", 3}})));  // refused while blocked
  CHECK(s.flush());                              // still down
  server().start(); // the same port: the writer reconnects to its URI
  REQUIRE_FALSE(s.flush());
  CHECK_FALSE(s.blocked());
  REQUIRE_FALSE(s.line(record_line("s", {{"a", 3}})));
  REQUIRE_FALSE(s.flush());
  CHECK(scalar(uri, "SELECT string_agg(data, ',' ORDER BY data) FROM (SELECT "
                    "a::text AS data FROM public.s) x") == "1,2,3");
  CHECK(scalar(uri, "SELECT state->'stream'->'stream_state'->>'cursor' FROM "
                    "sophia_pipeline.state WHERE source = 'src'") == "2");
}

TEST_CASE("overlapped commits: a batch commits while the next is read; one "
          "that failed shows at the next batch's end and commits again, in "
          "order, before the next") {
  auto uri = fresh_database();
  auto cat = catalog({{"streams", {stream("s", json::object(), "append")}}});
  pg::writer w{{uri, "public", "src"}};
  REQUIRE_FALSE(w.begin(cat));
  ap::ingest_limits limits;
  limits.overlap = true;
  ap::ingest_session s{w, cat, limits};
  auto rows = [&] {
    return scalar(uri, "SELECT coalesce(string_agg(data, ',' ORDER BY data), '') "
                       "FROM (SELECT a::text AS data FROM public.s) x");
  };
  REQUIRE_FALSE(s.line(record_line("s", {{"a", 1}})));
  REQUIRE_FALSE(s.line(state_line("s", 1))); // commits in the background
  REQUIRE_FALSE(s.settle());
  CHECK(s.report().states == 1);
  CHECK(rows() == "1");
  server().stop();
  REQUIRE_FALSE(s.line(record_line("s", {{"a", 2}})));
  REQUIRE_FALSE(s.line(state_line("s", 2))); // fails in the background
  REQUIRE_FALSE(s.line(record_line("s", {{"a", 3}})));
  auto err = s.line(state_line("s", 3)); // the failure shows here
  REQUIRE(err);
  CHECK(s.blocked());
  CHECK(s.pending());
  CHECK(s.report().states == 1);
  CHECK(s.line(record_line("s", {{"a", 4}}))); // refused while blocked
  CHECK(s.flush());                             // still down
  server().start();
  REQUIRE_FALSE(s.flush()); // the failed batch, then the one read meanwhile
  CHECK_FALSE(s.blocked());
  CHECK(s.report().states == 3);
  CHECK(s.report().commits == 3);
  CHECK(rows() == "1,2,3");
  CHECK(scalar(uri, "SELECT state->'stream'->'stream_state'->>'cursor' FROM "
                    "sophia_pipeline.state WHERE source = 'src'") == "3");
  // settle leaves the batch being read alone: a source that failed keeps
  // what came after its last STATE out.
  REQUIRE_FALSE(s.line(record_line("s", {{"a", 5}})));
  REQUIRE_FALSE(s.line(state_line("s", 5)));
  REQUIRE_FALSE(s.line(record_line("s", {{"a", 6}})));
  REQUIRE_FALSE(s.settle());
  CHECK(s.pending());
  CHECK(rows() == "1,2,3,5");
  CHECK(s.report().records == 5);
}
