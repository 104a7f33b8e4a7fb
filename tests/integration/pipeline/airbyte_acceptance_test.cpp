// Airbyte's own Postgres-destination scenarios (BaseTypingDedupingTest,
// BaseSqlGeneratorIntegrationTest; see ../shared/reference/airbyte/README.md
// sections 3 and 3c) run through the pipeline on a real PostgreSQL, the
// final tables compared with Airbyte's expected rows.

#include <doctest/doctest.h>

#include <fstream>

#include "pipeline_fixture.hpp"
#include "reference_fixtures.hpp"

using namespace sophia::tests::integration::pipeline;
using nlohmann::json;

namespace {

#define NEED_FIXTURES()                                                        \
  auto dir = fixtures();                                                       \
  if (dir.empty()) {                                                           \
    MESSAGE("skipped: ../shared/reference/airbyte is absent (set "             \
            "SOPHIA_REFERENCE_DIR to run Airbyte's fixtures)");                \
    return;                                                                    \
  }

json dat_schema(const std::string& dir) {
  std::ifstream in{dir + "/cdk/dat/schema.json"};
  return json::parse(in);
}

json stream(const std::string& name, const json& schema, const char* mode,
            int gen, int min_gen, const char* cursor = "updated_at",
            const std::string& ns = "") {
  json s{{"name", name}, {"json_schema", schema},
         {"supported_sync_modes", {"incremental"}}};
  if (!ns.empty())
    s["namespace"] = ns;
  return {{"stream", s},
          {"sync_mode", "incremental"},
          {"destination_sync_mode", mode},
          {"primary_key", json::parse(R"([["id1"],["id2"]])")},
          {"cursor_field", {cursor}},
          {"generation_id", gen},
          {"minimum_generation_id", min_gen},
          {"sync_id", 42}};
}

std::set<std::string> columns_of(const json& schema) {
  std::set<std::string> out;
  for (auto& [k, v] : schema["properties"].items())
    out.insert(k);
  return out;
}

// Runs `input` as one sync of stream "users" and compares with `expected`.
void sync_and_compare(const std::string& uri, const json& cat_json,
                      const std::string& input, const std::string& expected,
                      const std::set<std::string>& ignore = {},
                      const std::string& ns = "", const std::string& name = "users") {
  auto cat = catalog(cat_json);
  sync(uri, cat, message_lines(input, name, ns));
  auto& s = cat_json["streams"][0]["stream"];
  compare(rows(uri, ns.empty() ? "public" : ns, name), json_lines(expected),
          columns_of(s["json_schema"]), ignore);
}

} // namespace

TEST_CASE("Airbyte incrementalAppend: both versions kept, source changes "
          "kept") {
  NEED_FIXTURES();
  auto uri = fresh_database();
  json cat{{"streams", {stream("users", dat_schema(dir), "append", 43, 0)}}};
  sync_and_compare(uri, cat, dir + "/cdk/dat/sync1_messages.jsonl",
                   dir + "/postgres/dat/sync1_expectedrecords_nondedup_final.jsonl");
  sync_and_compare(uri, cat, dir + "/cdk/dat/sync2_messages.jsonl",
                   dir + "/postgres/dat/sync2_expectedrecords_fullrefresh_append_final.jsonl");
}

TEST_CASE("Airbyte incrementalDedup: upsert by key and cursor, CDC delete") {
  NEED_FIXTURES();
  auto uri = fresh_database();
  json cat{{"streams", {stream("users", dat_schema(dir), "append_dedup", 43, 0)}}};
  sync_and_compare(uri, cat, dir + "/cdk/dat/sync1_messages.jsonl",
                   dir + "/postgres/dat/sync1_expectedrecords_dedup_final.jsonl");
  sync_and_compare(uri, cat, dir + "/cdk/dat/sync2_messages.jsonl",
                   dir + "/postgres/dat/sync2_expectedrecords_incremental_dedup_final.jsonl");
}

TEST_CASE("Airbyte largeDedupSync: 25,000 copies of sync 1 dedup to 4 rows") {
  NEED_FIXTURES();
  auto uri = fresh_database();
  auto cat = catalog({{"streams", {stream("users", dat_schema(dir), "append_dedup", 43, 0)}}});
  auto one = message_lines(dir + "/cdk/dat/sync1_messages.jsonl", "users");
  std::vector<std::string> lines;
  for (int i = 0; i < 5000; ++i)
    lines.insert(lines.end(), one.begin(), one.end());
  auto report = sync(uri, cat, lines);
  CHECK(report.records == 25000);
  compare(rows(uri, "public", "users"),
          json_lines(dir + "/postgres/dat/sync1_expectedrecords_dedup_final.jsonl"),
          columns_of(dat_schema(dir)));
}

TEST_CASE("Airbyte incrementalDedupIdenticalName: one name in two "
          "namespaces, two tables") {
  NEED_FIXTURES();
  auto uri = fresh_database();
  auto schema = dat_schema(dir);
  json cat{{"streams", {stream("users", schema, "append_dedup", 43, 0, "updated_at", "ns1"),
                        stream("users", schema, "append_dedup", 43, 0, "updated_at", "ns2")}}};
  auto c = catalog(cat);
  for (auto [in1, in2, out1, out2] :
       {std::tuple{"sync1_messages", "sync1_messages2", "sync1_expectedrecords_dedup_final",
                   "sync1_expectedrecords_dedup_final2"},
        std::tuple{"sync2_messages", "sync2_messages2",
                   "sync2_expectedrecords_incremental_dedup_final",
                   "sync2_expectedrecords_incremental_dedup_final2"}}) {
    auto lines = message_lines(dir + "/cdk/dat/" + in1 + ".jsonl", "users", "ns1");
    auto more = message_lines(dir + "/cdk/dat/" + in2 + ".jsonl", "users", "ns2");
    lines.insert(lines.end(), more.begin(), more.end());
    sync(uri, c, lines);
    compare(rows(uri, "ns1", "users"),
            json_lines(dir + "/postgres/dat/" + out1 + ".jsonl"), columns_of(schema));
    compare(rows(uri, "ns2", "users"),
            json_lines(dir + "/postgres/dat/" + out2 + ".jsonl"), columns_of(schema));
  }
}

TEST_CASE("Airbyte incrementalDedupChangeCursor: a new schema and cursor "
          "between syncs") {
  NEED_FIXTURES();
  auto uri = fresh_database();
  auto v1 = dat_schema(dir);
  v1["properties"].erase("updated_at");
  v1["properties"]["old_cursor"] = {{"type", "integer"}};
  json cat1{{"streams", {stream("users", v1, "append_dedup", 43, 0, "old_cursor")}}};
  sync_and_compare(uri, cat1, dir + "/cdk/dat/sync1_cursorchange_messages.jsonl",
                   dir + "/postgres/dat/sync1_cursorchange_expectedrecords_dedup_final.jsonl");
  // Sync 2: Airbyte rebuilds the table without old_cursor; the pipeline
  // keeps that column (history stays readable), so it is not compared.
  json cat2{{"streams", {stream("users", dat_schema(dir), "append_dedup", 43, 0)}}};
  sync_and_compare(
    uri, cat2, dir + "/cdk/dat/sync2_messages.jsonl",
    dir + "/postgres/dat/sync2_cursorchange_expectedrecords_incremental_dedup_final.jsonl",
    {"old_cursor"});
}

TEST_CASE("Airbyte testIncrementalSyncDropOneColumn: new rows without the "
          "dropped column") {
  NEED_FIXTURES();
  auto uri = fresh_database();
  json cat{{"streams", {stream("users", dat_schema(dir), "append", 43, 0)}}};
  sync_and_compare(uri, cat, dir + "/cdk/dat/sync1_messages.jsonl",
                   dir + "/postgres/dat/sync1_expectedrecords_nondedup_final.jsonl");
  auto v2 = dat_schema(dir);
  v2["properties"].erase("name");
  json cat2{{"streams", {stream("users", v2, "append", 43, 0)}}};
  auto c2 = catalog(cat2);
  sync(uri, c2, message_lines(dir + "/cdk/dat/sync2_messages.jsonl", "users"));
  auto expected = json_lines(dir + "/postgres/dat/sync2_expectedrecords_fullrefresh_append_final.jsonl");
  auto got = rows(uri, "public", "users");
  // Airbyte drops `name` from every row; the pipeline keeps the old rows'
  // values readable and leaves it NULL in the new ones.
  compare(got, expected, columns_of(v2), {"name"});
  size_t named = 0;
  for (auto& r : got)
    named += !r["name"].is_null();
  CHECK(named == 5);
}

TEST_CASE("Airbyte truncateRefresh: only the new generation survives") {
  NEED_FIXTURES();
  auto uri = fresh_database();
  auto schema = dat_schema(dir);
  json cat1{{"streams", {stream("users", schema, "append", 43, 43)}}};
  sync_and_compare(uri, cat1, dir + "/cdk/dat/sync1_messages.jsonl",
                   dir + "/postgres/dat/sync1_expectedrecords_nondedup_final.jsonl");
  json cat2{{"streams", {stream("users", schema, "overwrite", 44, 44)}}};
  sync_and_compare(
    uri, cat2, dir + "/cdk/dat/sync2_messages.jsonl",
    dir + "/postgres/dat/sync2_expectedrecords_fullrefresh_overwrite_with_new_gen_id_final.jsonl");
}

TEST_CASE("Airbyte mergeRefresh: each row keeps the generation that wrote "
          "it") {
  NEED_FIXTURES();
  auto uri = fresh_database();
  auto schema = dat_schema(dir);
  json cat1{{"streams", {stream("users", schema, "append", 43, 0)}}};
  sync_and_compare(uri, cat1, dir + "/cdk/dat/sync1_messages.jsonl",
                   dir + "/postgres/dat/sync1_expectedrecords_nondedup_final.jsonl");
  json cat2{{"streams", {stream("users", schema, "append", 44, 0)}}};
  // This expected file's sync-1 Charlie row lacks the source's NULLED
  // change that sync1_expectedrecords_nondedup_final (checked above) and
  // sync2_expectedrecords_fullrefresh_append_final have: the pipeline
  // keeps source changes, so _airbyte_meta is not compared here.
  sync_and_compare(
    uri, cat2, dir + "/cdk/dat/sync2_messages.jsonl",
    dir + "/postgres/dat/sync2_expectedrecords_fullrefresh_append_with_new_gen_id_final.jsonl",
    {"_airbyte_meta"});
}

TEST_CASE("Airbyte interruptedTruncateWithPriorData: a failed truncate "
          "keeps the old data, the retry resumes") {
  NEED_FIXTURES();
  auto uri = fresh_database();
  auto schema = dat_schema(dir);
  auto both = message_lines(dir + "/cdk/dat/sync1_messages.jsonl", "users");
  auto s2 = message_lines(dir + "/cdk/dat/sync2_messages.jsonl", "users");
  both.insert(both.end(), s2.begin(), s2.end());
  sync(uri, catalog({{"streams", {stream("users", schema, "overwrite", 41, 41)}}}), both);
  auto expected41 = json_lines(dir + "/postgres/dat/sync2_expectedrecords_fullrefresh_append_final.jsonl");
  for (auto& e : expected41)
    e["_airbyte_generation_id"] = 41;
  compare(rows(uri, "public", "users"), expected41, columns_of(schema));
  auto gen43 = catalog({{"streams", {stream("users", schema, "overwrite", 43, 43)}}});
  auto s1 = message_lines(dir + "/cdk/dat/sync1_messages.jsonl", "users");
  sync(uri, gen43, s1, false); // no STREAM_STATUS: the sync failed
  compare(rows(uri, "public", "users"), expected41, columns_of(schema));
  sync(uri, gen43, s1);
  auto expected = json_lines(dir + "/postgres/dat/sync1_expectedrecords_nondedup_final.jsonl");
  auto twice = expected;
  twice.insert(twice.end(), expected.begin(), expected.end());
  compare(rows(uri, "public", "users"), twice, columns_of(schema));
}

namespace {

// The schema of Airbyte's SQL-generator tests (BaseSqlGeneratorIntegrationTest).
json sqlgenerator_schema(bool cdc) {
  auto s = json::parse(R"({"type":"object","properties":{
    "id1":{"type":"integer"},"id2":{"type":"integer"},
    "updated_at":{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"},
    "struct":{"type":"object","properties":{}},
    "array":{"type":"array","items":{}},
    "string":{"type":"string"},"number":{"type":"number"},
    "integer":{"type":"integer"},"boolean":{"type":"boolean"},
    "timestamp_with_timezone":{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"},
    "timestamp_without_timezone":{"type":"string","format":"date-time","airbyte_type":"timestamp_without_timezone"},
    "time_with_timezone":{"type":"string","format":"time","airbyte_type":"time_with_timezone"},
    "time_without_timezone":{"type":"string","format":"time","airbyte_type":"time_without_timezone"},
    "date":{"type":"string","format":"date"},
    "unknown":{}}})");
  if (cdc)
    s["properties"]["_ab_cdc_deleted_at"] = {{"type", "string"}, {"format", "date-time"}};
  return s;
}

// Raw-table inputs -> final rows, one sync of stream "sg".
void sqlgenerator_case(const std::string& dir, const json& schema,
                       const std::vector<std::string>& inputs,
                       const std::string& expected, const char* mode = "append_dedup") {
  auto uri = fresh_database();
  auto cat = catalog({{"streams", {stream("sg", schema, mode, 0, 0)}}});
  std::vector<std::string> lines;
  for (auto& in : inputs) {
    auto more = raw_lines(dir + "/cdk/sqlgenerator/" + in, "sg");
    lines.insert(lines.end(), more.begin(), more.end());
  }
  sync(uri, cat, lines);
  auto cols = columns_of(schema);
  // The fixtures' meta has no sync_id and their generation id is 42 or
  // absent: neither is compared.
  compare(rows(uri, "public", "sg"),
          json_lines(dir + "/postgres/sqlgenerator/" + expected), cols,
          {"_airbyte_generation_id"});
}

json strings_schema(const std::string& path) {
  json s{{"type", "object"}, {"properties", json::object()}};
  for (auto& raw : json_lines(path))
    for (auto& [k, v] : raw["_airbyte_data"].items())
      s["properties"][k] = k == "id1" || k == "id2" ? json{{"type", "integer"}}
                           : k == "updated_at"
                             ? json{{"type", "string"}, {"format", "date-time"}}
                             : json{{"type", "string"}};
  return s;
}

} // namespace

TEST_CASE("Airbyte SQL generator: every type, valid, null, absent and "
          "invalid (NULLED with DESTINATION_TYPECAST_ERROR)") {
  NEED_FIXTURES();
  sqlgenerator_case(dir, sqlgenerator_schema(false),
                    {"alltypes_inputrecords.jsonl", "safe_cast/alltypes_inputrecords.jsonl"},
                    "alltypes_expectedrecords_final.jsonl");
}

TEST_CASE("Airbyte SQL generator: timestamp offsets and precision") {
  NEED_FIXTURES();
  sqlgenerator_case(dir, sqlgenerator_schema(false), {"timestampformats_inputrecords.jsonl"},
                    "timestampformats_expectedrecords_final.jsonl", "append");
}

TEST_CASE("Airbyte SQL generator: JSON values in a string column") {
  NEED_FIXTURES();
  sqlgenerator_case(dir, sqlgenerator_schema(false), {"json_types_in_string_inputrecords.jsonl"},
                    "json_types_in_string_expectedrecords_final.jsonl");
}

TEST_CASE("Airbyte SQL generator: dedup with a NULLED field on the winner") {
  NEED_FIXTURES();
  sqlgenerator_case(dir, sqlgenerator_schema(false),
                    {"incrementaldedup_inputrecords.jsonl",
                     "safe_cast/incrementaldedup_inputrecords.jsonl"},
                    "incrementaldedup_expectedrecords_final.jsonl");
}

TEST_CASE("Airbyte SQL generator: a later delete wins within a batch") {
  NEED_FIXTURES();
  auto uri = fresh_database();
  auto cat = catalog({{"streams", {stream("sg", sqlgenerator_schema(true), "append_dedup", 0, 0)}}});
  sync(uri, cat, raw_lines(dir + "/cdk/sqlgenerator/cdcordering_updateafterdelete_inputrecords.jsonl", "sg"));
  CHECK(rows(uri, "public", "sg").empty());
}

TEST_CASE("Airbyte SQL generator: an older record after a committed delete "
          "does not bring the row back; a newer one does") {
  NEED_FIXTURES();
  auto uri = fresh_database();
  auto cat = catalog({{"streams", {stream("sg", sqlgenerator_schema(true), "append_dedup", 0, 0)}}});
  // As the fixture means it: the deletion in one sync, the outdated
  // insert in the next.
  auto lines = raw_lines(dir + "/cdk/sqlgenerator/cdcordering_updateafterdelete_inputrecords.jsonl", "sg");
  REQUIRE(lines.size() == 2);
  sync(uri, cat, {lines[0]});
  CHECK(rows(uri, "public", "sg").empty());
  CHECK(scalar(uri, "SELECT count(*) FROM sophia_pipeline.tombstones") == "1");
  sync(uri, cat, {lines[1]});
  CHECK(rows(uri, "public", "sg").empty());
  // A record newer than the deletion is a new life of the key.
  auto later = json::parse(lines[1]);
  later["record"]["data"]["updated_at"] = "2023-01-02T00:00:00Z";
  later["record"]["data"]["string"] = "alice again";
  sync(uri, cat, {later.dump()});
  auto got = rows(uri, "public", "sg");
  REQUIRE(got.size() == 1);
  CHECK(got[0]["string"] == "alice again");
  CHECK(scalar(uri, "SELECT count(*) FROM sophia_pipeline.tombstones") == "0");
}

TEST_CASE("Airbyte SQL generator: odd, reserved and mixed-case column "
          "names") {
  NEED_FIXTURES();
  for (auto [in, out] : {std::pair{"weirdcolumnnames_inputrecords_raw.jsonl",
                                   "weirdcolumnnames_expectedrecords_final.jsonl"},
                         std::pair{"reservedkeywords_inputrecords_raw.jsonl",
                                   "reservedkeywords_expectedrecords_final.jsonl"},
                         std::pair{"mixedcasecolumnname_inputrecords.jsonl",
                                   "mixedcasecolumnname_expectedrecords_final.jsonl"}}) {
    CAPTURE(in);
    auto schema = strings_schema(dir + "/cdk/sqlgenerator/" + in);
    auto uri = fresh_database();
    auto cat = catalog({{"streams", {stream("sg", schema, "append", 0, 0)}}});
    sync(uri, cat, raw_lines(dir + "/cdk/sqlgenerator/" + in, "sg"));
    auto got = rows(uri, "public", "sg");
    auto expected = json_lines(dir + "/postgres/sqlgenerator/" + out);
    REQUIRE(got.size() == expected.size());
    // Compared by column name: the fixture names the normalised columns.
    auto want = canonical(expected[0]);
    for (auto& [k, v] : want.items())
      if (k != "_airbyte_raw_id" && k != "_airbyte_meta")
        CHECK_MESSAGE(got[0].value(k, json()) == v, k);
  }
}
