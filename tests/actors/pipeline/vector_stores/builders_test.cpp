// The Pinecone and Weaviate request builders and response parsers, without
// any network: batching, limits, escaping, ids and the formats' corners.

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "actors/pipeline/vector_stores/pinecone.hpp"
#include "actors/pipeline/vector_stores/vector_store.hpp"
#include "actors/pipeline/vector_stores/weaviate.hpp"
#include "runtime/error.hpp"

namespace vs = sophia::actors::pipeline::vector_stores;
using nlohmann::json;
using sophia::runtime::code_of;
using sophia::runtime::detail_of;
using sophia::runtime::errc;

namespace {

vs::chunk make_chunk(const std::string& id,
                     size_t dim = 4,
                     std::string text = "hello") {
  vs::chunk c;
  c.id = id;
  for (size_t i = 0; i < dim; ++i)
    c.values.push_back(0.1f * float(i + 1));
  c.metadata = { "shop", "orders", "orders", id, std::move(text) };
  return c;
}

std::vector<vs::chunk> make_chunks(size_t n, size_t dim = 4) {
  std::vector<vs::chunk> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(make_chunk("c" + std::to_string(i), dim));
  return out;
}

} // namespace

TEST_CASE("append_floats writes the shortest form that reads back") {
  std::string out;
  vs::append_floats(out, { 0.1f, -2.5f, 1.0f, 1e-7f });
  CHECK(out == "[0.1,-2.5,1,1e-07]");
  auto back = json::parse(out);
  CHECK(back[0].get<float>() == 0.1f);
  CHECK(back[3].get<float>() == 1e-7f);
}

TEST_CASE("clip_utf8 never splits a sequence") {
  CHECK(vs::clip_utf8("abc", 10) == "abc");
  CHECK(vs::clip_utf8("héllo", 2) == "h"); // é is 2 bytes: 0xC3 0xA9
  CHECK(vs::clip_utf8("héllo", 3) == "hé");
}

TEST_CASE("chunks_from_json reads chunks and refuses bad ones") {
  std::vector<vs::chunk> out;
  std::string why;
  auto in = json::parse(
    R"([{"id":"a","values":[1,2],"metadata":{"table":"t","text":"x"}},
                            {"id":"b","values":[0.5]}])");
  REQUIRE(vs::chunks_from_json(in, out, why));
  REQUIRE(out.size() == 2);
  CHECK(out[0].metadata.table == "t");
  CHECK(out[0].metadata.text == "x");
  CHECK(out[1].values == std::vector<float>{ 0.5f });
  out.clear();
  CHECK_FALSE(
    vs::chunks_from_json(json::parse(R"([{"values":[1]}])"), out, why));
  CHECK(why.find("chunks[0]") != std::string::npos);
  CHECK_FALSE(vs::chunks_from_json(
    json::parse(R"([{"id":"a","values":["x"]}])"), out, why));
  CHECK_FALSE(vs::chunks_from_json(json::parse(R"({"id":"a"})"), out, why));
}

TEST_CASE("matches round-trip through JSON") {
  std::vector<vs::match> ms{ { "a", 0.9, { "s", "st", "t", "k", "text" } } };
  std::vector<vs::match> back;
  REQUIRE(vs::matches_from_json(vs::to_json(ms), back));
  REQUIRE(back.size() == 1);
  CHECK(back[0].id == "a");
  CHECK(back[0].score == doctest::Approx(0.9));
  CHECK(back[0].metadata == ms[0].metadata);
}

// -- Pinecone
// -------------------------------------------------------------------

TEST_CASE("pinecone upserts 250 chunks in 3 requests of at most 100") {
  auto calls = vs::pinecone_upsert(make_chunks(250), "ns1");
  REQUIRE(calls);
  REQUIRE(calls->size() == 3);
  CHECK((*calls)[0].items == 100);
  CHECK((*calls)[1].items == 100);
  CHECK((*calls)[2].items == 50);
  auto body = json::parse((*calls)[2].body);
  CHECK((*calls)[2].path == "/vectors/upsert");
  CHECK(body["namespace"] == "ns1");
  REQUIRE(body["vectors"].size() == 50);
  auto& v = body["vectors"][0];
  CHECK(v["id"] == "c200");
  CHECK(v["values"].size() == 4);
  CHECK(v["metadata"] == json{ { "source", "shop" },
                               { "stream", "orders" },
                               { "table", "orders" },
                               { "key", "c200" },
                               { "text", "hello" } });
}

TEST_CASE("pinecone splits by bytes before the 2 MB limit") {
  // 1536 dims at ~11 bytes each: ~17 KB a vector; 100 would be ~1.7 MB, so
  // a limit of 200 KB splits by size.
  vs::pinecone_limits limits;
  limits.max_request_bytes = 200 * 1024;
  auto calls = vs::pinecone_upsert(make_chunks(100, 1536), "", limits);
  REQUIRE(calls);
  CHECK(calls->size() > 1);
  size_t total = 0;
  for (auto& c : *calls) {
    CHECK(c.body.size() <= limits.max_request_bytes);
    CHECK(json::parse(c.body)["vectors"].size() == c.items);
    total += c.items;
  }
  CHECK(total == 100);
}

TEST_CASE("pinecone cuts metadata text to 40 KB and keeps it valid") {
  std::string text(50 * 1024, 'x');
  text += "\xC3\xA9"; // é at the end
  auto calls = vs::pinecone_upsert({ make_chunk("big", 4, text) }, "");
  REQUIRE(calls);
  auto body = json::parse((*calls)[0].body);
  auto md = body["vectors"][0]["metadata"];
  CHECK(md.dump().size() <= 40 * 1024);
  CHECK(md["text"].get<std::string>().size() > 39 * 1024);
}

TEST_CASE("pinecone refuses what it would refuse") {
  auto bad_dim = make_chunks(2);
  bad_dim[1].values.push_back(1);
  auto r = vs::pinecone_upsert(bad_dim, "");
  REQUIRE_FALSE(r);
  CHECK(code_of(r.error()) == errc::rejected);
  CHECK(detail_of(r.error()).find("\"c1\" has 5 values") != std::string::npos);
  auto nan = make_chunks(1);
  nan[0].values[0] = std::numeric_limits<float>::quiet_NaN();
  CHECK_FALSE(vs::pinecone_upsert(nan, ""));
  CHECK_FALSE(vs::pinecone_upsert({ make_chunk(std::string(513, 'i')) }, ""));
  vs::pinecone_limits tiny;
  tiny.max_request_bytes = 50;
  CHECK_FALSE(vs::pinecone_upsert(make_chunks(1), "", tiny));
  CHECK(vs::pinecone_upsert({}, "")->empty());
}

TEST_CASE("pinecone query body") {
  vs::query q;
  q.values = { 0.5f, 0.25f };
  q.k = 3;
  auto call = vs::pinecone_query(q, "ns");
  REQUIRE(call);
  CHECK(call->path == "/query");
  auto body = json::parse(call->body);
  CHECK(body == json::parse(R"({"vector":[0.5,0.25],"topK":3,"namespace":"ns",
                                "includeMetadata":true,"includeValues":false})"));
  q.filter = { { "table", "orders" } };
  CHECK(json::parse(vs::pinecone_query(q, "ns")->body)["filter"] ==
        json::parse(R"({"table":{"$eq":"orders"}})"));
  q.filter = { { "table", "orders" }, { "source", "shop" } };
  CHECK(
    json::parse(vs::pinecone_query(q, "ns")->body)["filter"] ==
    json::parse(
      R"({"$and":[{"table":{"$eq":"orders"}},{"source":{"$eq":"shop"}}]})"));
  q.filter = { { "text", "x" } };
  CHECK_FALSE(vs::pinecone_query(q, "ns"));
  q.filter.clear();
  q.k = 0;
  CHECK_FALSE(vs::pinecone_query(q, "ns"));
  q.k = 1'000'000;
  CHECK(json::parse(vs::pinecone_query(q, "ns")->body)["topK"] == 10000);
}

TEST_CASE("pinecone delete batches ids by 1000") {
  std::vector<std::string> ids;
  for (int i = 0; i < 2500; ++i)
    ids.push_back("id" + std::to_string(i));
  auto calls = vs::pinecone_delete(ids, "ns");
  REQUIRE(calls.size() == 3);
  CHECK(calls[2].items == 500);
  auto body = json::parse(calls[0].body);
  CHECK(calls[0].path == "/vectors/delete");
  CHECK(body["ids"].size() == 1000);
  CHECK(body["namespace"] == "ns");
}

TEST_CASE("pinecone responses") {
  CHECK(*vs::parse_pinecone_upsert(R"({"upsertedCount":100})") == 100);
  CHECK_FALSE(vs::parse_pinecone_upsert(R"({"upserted":1})"));
  CHECK_FALSE(vs::parse_pinecone_upsert("<html>"));
  auto ms = vs::parse_pinecone_query(R"({"matches":[
      {"id":"a","score":0.98,"metadata":{"table":"t","text":"x","extra":1}},
      {"id":"b"}],"namespace":"ns","usage":{"readUnits":5}})");
  REQUIRE(ms);
  REQUIRE(ms->size() == 2);
  CHECK((*ms)[0].score == doctest::Approx(0.98));
  CHECK((*ms)[0].metadata.table == "t");
  CHECK((*ms)[1].score == 0); // proto3 leaves a zero score out
  CHECK(vs::parse_pinecone_query(R"({"matches":[],"namespace":""})")->empty());
  auto bad = vs::parse_pinecone_query(R"({"results":[]})");
  REQUIRE_FALSE(bad);
  CHECK(code_of(bad.error()) == errc::service_error);
  CHECK(vs::pinecone_message(
          R"({"code":16,"message":"Invalid API Key","details":[]})") ==
        "Invalid API Key");
  CHECK(vs::pinecone_message(
          R"({"error":{"code":"NOT_FOUND","message":"gone"},"status":404})") ==
        "gone");
  CHECK(vs::pinecone_message("") == "(empty body)");
  CHECK(vs::pinecone_message(std::string(1000, 'z')).size() == 303);
}

// -- Weaviate
// -------------------------------------------------------------------

TEST_CASE("weaviate ids are UUID v5, deterministic") {
  // Python: uuid.uuid5(uuid.UUID('3b241101-e2bb-4255-8caf-4136c566a962'),
  // 'orders/42#0')
  CHECK(vs::weaviate_uuid("orders/42#0") ==
        "a3a02ff5-54f3-587b-aa62-45fe51588e8c");
  CHECK(vs::weaviate_uuid("a") == vs::weaviate_uuid("a"));
  CHECK(vs::weaviate_uuid("a") != vs::weaviate_uuid("b"));
  auto u = vs::weaviate_uuid("anything");
  REQUIRE(u.size() == 36);
  CHECK(u[14] == '5');
  CHECK(std::string{ "89ab" }.find(u[19]) != std::string::npos);
}

TEST_CASE("weaviate class names are checked") {
  CHECK(*vs::weaviate_class("") == "SophiaChunk");
  CHECK(*vs::weaviate_class("chunks") == "Chunks");
  CHECK(*vs::weaviate_class("Doc_2") == "Doc_2");
  for (auto bad : { "2docs", "_x", "Doc-s", "Doc s", "A){ x }", "Dé" }) {
    INFO(bad);
    auto r = vs::weaviate_class(bad);
    REQUIRE_FALSE(r);
    CHECK(code_of(r.error()) == errc::bad_config);
  }
  CHECK_FALSE(vs::weaviate_class(std::string(256, 'A')));
}

TEST_CASE("weaviate batches objects with UUIDs and our id as a property") {
  auto calls = vs::weaviate_batch(make_chunks(250), "Chunks");
  REQUIRE(calls);
  REQUIRE(calls->size() == 3);
  CHECK((*calls)[2].items == 50);
  CHECK((*calls)[0].path == "/v1/batch/objects");
  auto body = json::parse((*calls)[0].body);
  REQUIRE(body["objects"].size() == 100);
  auto& o = body["objects"][7];
  CHECK(o["class"] == "Chunks");
  CHECK(o["id"] == vs::weaviate_uuid("c7"));
  CHECK(o["properties"]["chunk_id"] == "c7");
  CHECK(o["properties"]["table"] == "orders");
  CHECK(o["vector"].size() == 4);
  auto bad = make_chunks(2);
  bad[0].values.pop_back();
  CHECK_FALSE(vs::weaviate_batch(bad, "Chunks"));
}

TEST_CASE("weaviate nearVector query, with escaped filter values") {
  vs::query q;
  q.values = { 0.5f, -1.0f };
  q.k = 2;
  auto call = vs::weaviate_query(q, "Chunks");
  REQUIRE(call);
  CHECK(call->path == "/v1/graphql");
  auto gql = json::parse(call->body)["query"].get<std::string>();
  CHECK(
    gql ==
    "{ Get { Chunks(nearVector: {vector: [0.5,-1]}, limit: 2) { "
    "chunk_id source stream table key text _additional { id distance } } } }");
  q.filter = { { "table", "a\"b\\c\n" } };
  gql =
    json::parse(weaviate_query(q, "Chunks")->body)["query"].get<std::string>();
  CHECK(
    gql.find(
      R"(where: {path: ["table"], operator: Equal, valueText: "a\"b\\c\n"})") !=
    std::string::npos);
  q.filter = { { "table", "t" }, { "key", "k" } };
  gql =
    json::parse(weaviate_query(q, "Chunks")->body)["query"].get<std::string>();
  CHECK(gql.find("where: {operator: And, operands: [{path: [\"table\"]") !=
        std::string::npos);
  // A class that is no name never reaches the query text.
  q.filter.clear();
  CHECK_FALSE(vs::weaviate_query(q, "Chunks(limit: 1) { x } } } #"));
  CHECK_FALSE(vs::weaviate_query(q, "chunks")); // not as Weaviate spells it
}

TEST_CASE("weaviate delete path") {
  auto call = vs::weaviate_delete("Chunks", "orders/42#0");
  CHECK(call.method == "DELETE");
  CHECK(call.path == "/v1/objects/Chunks/a3a02ff5-54f3-587b-aa62-45fe51588e8c");
  CHECK(call.body.empty());
}

TEST_CASE("weaviate batch results: every object is checked") {
  CHECK(*vs::parse_weaviate_batch(R"([{"id":"x","result":{"status":"SUCCESS"}},
                                      {"id":"y","result":{}}])") == 2);
  auto r = vs::parse_weaviate_batch(R"([{"id":"x","result":{}},
      {"id":"y","properties":{"chunk_id":"c1"},
       "result":{"status":"FAILED","errors":{"error":[{"message":"vector lengths don't match"}]}}}])");
  REQUIRE_FALSE(r);
  CHECK(code_of(r.error()) == errc::service_error);
  CHECK(detail_of(r.error()) ==
        "1 of 2 objects failed: c1: vector lengths don't match");
  CHECK_FALSE(vs::parse_weaviate_batch(R"({"error":[{"message":"no"}]})"));
}

TEST_CASE("weaviate GraphQL results: distance becomes a similarity") {
  auto ms = vs::parse_weaviate_query(R"({"data":{"Get":{"Chunks":[
      {"chunk_id":"a","table":"t","text":"x","_additional":{"id":"u1","distance":0.12}},
      {"_additional":{"id":"u2","distance":0.5}}]}}})",
                                     "Chunks");
  REQUIRE(ms);
  REQUIRE(ms->size() == 2);
  CHECK((*ms)[0].id == "a");
  CHECK((*ms)[0].score == doctest::Approx(0.88));
  CHECK((*ms)[0].metadata.text == "x");
  CHECK((*ms)[1].id == "u2"); // stored by someone else: its UUID
  CHECK(
    vs::parse_weaviate_query(R"({"data":{"Get":{"Chunks":null}}})", "Chunks")
      ->empty());
  auto err = vs::parse_weaviate_query(
    R"({"data":{"Get":null},"errors":[{"message":"Cannot query field \"Nope\" on type \"GetObjectsObj\".","locations":[{"line":1,"column":9}]}]})",
    "Nope");
  REQUIRE_FALSE(err);
  CHECK(detail_of(err.error()).find("GraphQL: Cannot query field") == 0);
  CHECK(vs::weaviate_message(
          R"({"error":[{"message":"a"},{"message":"b"}]})") == "a; b");
  CHECK(vs::weaviate_message(
          R"({"code":401,"message":"anonymous access not enabled"})") ==
        "anonymous access not enabled");
}
