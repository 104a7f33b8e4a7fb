// pipeline.search on a running node: records ingested with `sophiactl
// ingest` are found by words of their text (`sophiactl pipeline search`),
// a dedup re-send replaces a record's vectors, a CDC deletion removes
// them, and a restarted node rebuilds its index from PostgreSQL.

#include <doctest/doctest.h>

#include <fstream>

#include "actors/ai/standin_process.hpp"
#include "harness.hpp"
#include "pipeline_fixture.hpp"

using namespace sophia::itest;
using namespace std::chrono_literals;
using namespace sophia::tests::integration::pipeline;
using nlohmann::json;

namespace {

json search_catalog() {
  auto articles = json::parse(R"({"type":"object","properties":{
    "id":{"type":"integer"},"updated":{"type":"integer"},
    "title":{"type":"string"},"body":{"type":"string"},
    "_ab_cdc_deleted_at":{"type":["null","string"]}}})");
  auto notes = json::parse(R"({"type":"object","properties":{
    "n":{"type":"integer"},"note":{"type":"string"}}})");
  return {{"streams",
           {{{"stream", {{"name", "articles"}, {"json_schema", articles},
                         {"supported_sync_modes", {"incremental"}}}},
             {"sync_mode", "incremental"},
             {"destination_sync_mode", "append_dedup"},
             {"primary_key", {{"id"}}},
             {"cursor_field", {"updated"}}},
            {{"stream", {{"name", "notes"}, {"json_schema", notes},
                         {"supported_sync_modes", {"incremental"}}}},
             {"sync_mode", "incremental"},
             {"destination_sync_mode", "append"}}}}};
}

// Ingests `lines` (RECORD lines) with the case's catalog.
void ingest(test_cluster& c, const std::string& lines, const std::string& name) {
  write(c.dir() / (name + ".jsonl"), lines);
  auto r = c.ctl({"ingest", "--airbyte", (c.dir() / (name + ".jsonl")).string(),
                  "--catalog", (c.dir() / "catalog.json").string(), "--source",
                  "wiki", "--json"},
                 {}, 120s);
  INFO(describe(r), c.diagnostics());
  REQUIRE(r.exit_code == 0);
}

// `pipeline search QUERY --json`'s results.
json search(test_cluster& c, const std::string& query, int k = 10) {
  auto r = c.ctl({"pipeline", "search", query, "--k", std::to_string(k), "--json"});
  INFO(describe(r), c.diagnostics());
  REQUIRE(r.exit_code == 0);
  auto doc = json::parse(r.out, nullptr, false);
  REQUIRE(doc.is_object());
  return doc["results"];
}

// Whether `results` hold the record of `table` with key `key` (and, when
// `word` is given, with it in the text: a replaced record may still match
// a query weakly through shared letter n-grams, by its new text).
bool holds(const json& results, const std::string& table, const json& key,
           const std::string& word = "") {
  for (auto& r : results)
    if (r["table"] == table && r["key"] == key
        && r.value("text", "").find(word) != std::string::npos)
      return true;
  return false;
}

// The vectors stage's entry of `pipeline status`.
json vectors_status(test_cluster& c) {
  auto r = c.ctl({"pipeline", "status", "--json"});
  if (r.exit_code != 0)
    return nullptr;
  auto doc = json::parse(r.out, nullptr, false);
  if (!doc.is_object())
    return nullptr;
  for (auto& s : doc["stages"])
    if (s["stage"] == "vectors")
      return s;
  return nullptr;
}

bool rebuilt(test_cluster& c) {
  auto s = vectors_status(c);
  return s.is_object() && s["rebuild"] == "done";
}

} // namespace

TEST_CASE("pipeline.search: find by words, dedup replaces, CDC deletes, "
          "rebuilt after a restart") {
  auto uri = fresh_database();
  test_cluster c;
  c.write_config({"n3"}, "\n[pipeline]\npostgres = \"" + uri + "\"\n");
  c.start("n3");
  REQUIRE_MESSAGE(wait_for([&] { return c.lists("n3", "mcp.pipeline@n3") == true; },
                           20s),
                  c.diagnostics());
  REQUIRE_MESSAGE(wait_for([&] { return rebuilt(c); }, 30s), c.diagnostics());
  write(c.dir() / "catalog.json", search_catalog().dump());
  std::string lines;
  lines += record_line("articles", {{"id", 1}, {"updated", 1},
                                    {"title", "Giraffes"},
                                    {"body", "The giraffe eats acacia leaves "
                                             "high in the savanna trees."}}) + "\n";
  lines += record_line("articles", {{"id", 2}, {"updated", 1},
                                    {"title", "Submarines"},
                                    {"body", "A submarine navigates underwater "
                                             "with sonar pings."}}) + "\n";
  lines += record_line("articles", {{"id", 3}, {"updated", 1},
                                    {"title", "Volcanoes"},
                                    {"body", "Molten lava flows down the "
                                             "volcano's slopes."}}) + "\n";
  lines += record_line("articles", {{"id", 4}, {"updated", 1}}) + "\n"; // no text
  lines += record_line("notes", {{"n", 1}, {"note", "The harbor crane lifted "
                                                     "shipping containers."}},
                       2000) + "\n";
  ingest(c, lines, "first");

  auto hits = search(c, "giraffe acacia savanna");
  INFO(hits.dump(2));
  REQUIRE(!hits.empty());
  CHECK(hits[0]["key"] == json{{"id", 1}});
  CHECK(hits[0]["table"] == "public.articles");
  CHECK(hits[0]["stream"] == "articles");
  CHECK(hits[0]["source"] == "wiki");
  CHECK(hits[0]["score"].get<double>() > 0.2);
  CHECK(hits[0]["text"].get<std::string>().find("acacia") != std::string::npos);
  auto crane = search(c, "harbor crane containers", 1);
  REQUIRE(crane.size() == 1);
  CHECK(crane[0]["table"] == "public.notes");
  // The readable text names the table and the key.
  auto text = c.ctl({"pipeline", "search", "volcano lava"});
  CHECK(text.exit_code == 0);
  CHECK(contains(text.out, "public.articles {\"id\":3}"));

  auto st = vectors_status(c);
  INFO(st.dump(2));
  CHECK(st["indexed_records"] == 4);
  CHECK(st["skipped_no_text"] == 1);
  CHECK(st["queue_records"] == 0);
  CHECK(st["dropped_records"] == 0);

  // Bad parameters are refused, naming the parameter.
  auto bad_k = c.ctl({"pipeline", "search", "giraffe", "--k", "500"});
  CHECK(bad_k.exit_code != 0);
  INFO(describe(bad_k));
  CHECK(contains(bad_k.err, "/k"));

  // A dedup re-send replaces record 1's vectors; an older one is ignored;
  // a CDC deletion removes record 2.
  lines = record_line("articles", {{"id", 1}, {"updated", 2},
                                   {"title", "Penguins"},
                                   {"body", "Emperor penguins huddle on the "
                                            "Antarctic ice."}}) + "\n";
  lines += record_line("articles", {{"id", 3}, {"updated", 0},
                                    {"title", "Stale"},
                                    {"body", "An outdated zeppelin draft."}}) + "\n";
  lines += record_line("articles", {{"id", 2}, {"updated", 5},
                                    {"_ab_cdc_deleted_at", "2024-01-01T00:00:00Z"}})
           + "\n";
  ingest(c, lines, "second");
  CHECK_FALSE(holds(search(c, "giraffe acacia savanna"), "public.articles",
                    {{"id", 1}}, "acacia"));
  auto penguins = search(c, "emperor penguins antarctic ice");
  REQUIRE(!penguins.empty());
  CHECK(penguins[0]["key"] == json{{"id", 1}});
  CHECK_FALSE(holds(search(c, "submarine sonar underwater"), "public.articles",
                    {{"id", 2}}));
  CHECK_FALSE(holds(search(c, "zeppelin draft"), "public.articles", {{"id", 3}}));
  CHECK(holds(search(c, "volcano lava"), "public.articles", {{"id", 3}}));

  // A restarted node rebuilds the index from PostgreSQL.
  c.proc("n3").kill9();
  c.start("n3");
  REQUIRE(wait_for([&] { return c.lists("n3", "mcp.pipeline@n3") == true; }, 20s));
  REQUIRE_MESSAGE(wait_for([&] { return rebuilt(c); }, 60s), c.diagnostics());
  st = vectors_status(c);
  INFO(st.dump(2));
  CHECK(st["indexed_records"] == 3); // 1 (penguins), 3, the note
  CHECK(st["rebuild_rows"].get<int>() >= 4);
  penguins = search(c, "emperor penguins antarctic ice");
  REQUIRE(!penguins.empty());
  CHECK(penguins[0]["key"] == json{{"id", 1}});
  CHECK(penguins[0]["source"] == "wiki");
  CHECK(holds(search(c, "volcano lava"), "public.articles", {{"id", 3}}));
  CHECK_FALSE(holds(search(c, "submarine sonar underwater"), "public.articles",
                    {{"id", 2}}));
  CHECK_FALSE(holds(search(c, "giraffe acacia savanna"), "public.articles",
                    {{"id", 1}}, "acacia"));
  crane = search(c, "harbor crane containers", 1);
  REQUIRE(crane.size() == 1);
  CHECK(crane[0]["table"] == "public.notes");
  CHECK(crane[0]["key"].contains("_airbyte_raw_id"));
  // Live records after the rebuild replace the rebuilt ones.
  ingest(c, record_line("articles", {{"id", 3}, {"updated", 9},
                                     {"title", "Glaciers"},
                                     {"body", "Glaciers carve fjords."}}) + "\n",
         "third");
  CHECK_FALSE(holds(search(c, "volcano lava"), "public.articles", {{"id", 3}},
                    "lava"));
  CHECK(holds(search(c, "glaciers fjords"), "public.articles", {{"id", 3}}));
  CHECK(vectors_status(c)["indexed_records"] == 3);
}

TEST_CASE("pipeline.search with [services.pinecone]: the indexed chunks are "
          "copied to Pinecone, removals too") {
  auto uri = fresh_database();
  sophia::ai_test::standin_process standin;
  ::setenv("SOPHIA_TEST_PINECONE_KEY", "test-key", 1);
  test_cluster c;
  c.write_config({"n3"}, "\n[pipeline]\npostgres = \"" + uri
                           + "\"\n\n[services.pinecone]\nbase_url = \"" + standin.url()
                           + "/pinecone\"\napi_key = \"env:SOPHIA_TEST_PINECONE_KEY\"\n"
                             "collection = \"sophia\"\n");
  c.start("n3");
  REQUIRE_MESSAGE(wait_for([&] { return c.lists("n3", "mcp.pipeline@n3") == true; },
                           20s),
                  c.diagnostics());
  write(c.dir() / "catalog.json", search_catalog().dump());
  std::string lines;
  for (int i = 0; i < 5; ++i)
    lines += record_line("articles", {{"id", i}, {"updated", 1},
                                      {"title", "article " + std::to_string(i)},
                                      {"body", "about lighthouses and tides"}})
             + "\n";
  ingest(c, lines, "first");
  // Pinecone holds the five chunks, with their metadata.
  auto stats = [&] {
    return standin.control("POST", "/pinecone/describe_index_stats", json::object(),
                           {"Api-Key: test-key"});
  };
  REQUIRE_MESSAGE(wait_for([&] { return stats().value("totalVectorCount", 0) == 5; }, 20s),
                  stats().dump(), c.diagnostics());
  auto upserts = standin.requests("pinecone", "/vectors/upsert");
  REQUIRE_FALSE(upserts.empty());
  // A CDC deletion removes the record's chunk there too.
  ingest(c, record_line("articles", {{"id", 3}, {"updated", 2},
                                     {"_ab_cdc_deleted_at", "2026-01-01T00:00:00Z"}}) + "\n",
         "second");
  CHECK(wait_for([&] { return stats().value("totalVectorCount", 0) == 4; }, 20s));
  CHECK(vectors_status(c).value("last_error", "") == "");
}

TEST_CASE("pipeline.search with [pipeline] embedder = \"together_ai\": the "
          "service's vectors for chunks and queries, its failures in "
          "pipeline status and search") {
  auto uri = fresh_database();
  sophia::ai_test::standin_process standin;
  ::setenv("SOPHIA_TEST_TOGETHER_KEY", "sk-together-test", 1);
  const std::string model = "BAAI/bge-base-en-v1.5"; // 768 dimensions there
  test_cluster c;
  // The AI role on the pipeline's node serves mcp.together_ai.
  c.set_roles("n3", {"pipeline", "ai_intelligence"});
  c.write_config({"n3"},
                 "\n[pipeline]\npostgres = \"" + uri + "\"\nembedder = \"together_ai\"\n"
                   "embedding_model = \"" + model + "\"\nvector_dimension = 768\n"
                   "embedding_batch = 2\nembedding_timeout_ms = 10000\n"
                   "\n[services.together_ai]\napi_key = \"env:SOPHIA_TEST_TOGETHER_KEY\"\n"
                   "base_url = \"" + standin.url() + "/together_ai/v1\"\n"
                   "max_retries = 0\nbreaker_failures = 0\n");
  c.start("n3");
  REQUIRE_MESSAGE(wait_for([&] {
                    return c.lists("n3", "mcp.pipeline@n3") == true
                           && c.lists("n3", "mcp.together_ai@n3") == true;
                  }, 20s),
                  c.diagnostics());
  REQUIRE_MESSAGE(wait_for([&] { return rebuilt(c); }, 30s), c.diagnostics());
  auto st = vectors_status(c);
  INFO(st.dump(2));
  CHECK(st["embedder"] == "together_ai.embed (model " + model + ")");
  CHECK(st["dimension"] == 768);

  write(c.dir() / "catalog.json", search_catalog().dump());
  std::string lines;
  lines += record_line("articles", {{"id", 1}, {"updated", 1}, {"title", "Giraffes"},
                                    {"body", "The giraffe eats acacia leaves."}}) + "\n";
  lines += record_line("articles", {{"id", 2}, {"updated", 1}, {"title", "Submarines"},
                                    {"body", "A submarine navigates with sonar."}}) + "\n";
  lines += record_line("articles", {{"id", 3}, {"updated", 1}, {"title", "Volcanoes"},
                                    {"body", "Molten lava flows down the slopes."}}) + "\n";
  ingest(c, lines, "first");
  REQUIRE_MESSAGE(wait_for([&] { return vectors_status(c)["indexed_records"] == 3; }, 20s),
                  vectors_status(c).dump(2), c.diagnostics());

  // The chunks went to the service, with the model, in batches of at
  // most 2 texts; the text the service saw for record 2 is its chunk.
  auto calls = standin.requests("together_ai", "/v1/embeddings");
  INFO(calls.dump());
  REQUIRE(calls.size() >= 3);
  std::string submarine;
  for (auto& call : calls) {
    CHECK(call["body"]["model"] == model);
    CHECK(call["body"]["input"].size() <= 2);
    for (auto& t : call["body"]["input"])
      if (t.get<std::string>().find("submarine") != std::string::npos)
        submarine = t.get<std::string>();
  }
  REQUIRE(!submarine.empty());
  // The stand-in's vectors are a function of (model, text): the query that
  // is exactly that text has the same vector, cosine 1.
  auto hits = search(c, submarine, 3);
  INFO(hits.dump(2));
  REQUIRE(!hits.empty());
  CHECK(hits[0]["key"] == json{{"id", 2}});
  CHECK(hits[0]["text"] == submarine);
  CHECK(hits[0]["score"].get<double>() == doctest::Approx(1.0).epsilon(1e-4));
  // The query was embedded by the service too.
  auto queried = standin.requests("together_ai", "/v1/embeddings");
  CHECK(queried.size() == calls.size() + 1);
  CHECK(vectors_status(c)["last_error"] == "");

  // The service fails: a record is not indexed, and says why in the status;
  // the record indexed before stays; a search fails with the error.
  standin.scenario({{"service", "together_ai"}, {"path", "/v1/embeddings"},
                    {"preset", "server_errors"}});
  ingest(c, record_line("articles", {{"id", 4}, {"updated", 1}, {"title", "Penguins"},
                                     {"body", "Emperor penguins huddle."}}) + "\n",
         "second");
  REQUIRE_MESSAGE(wait_for([&] {
                    return vectors_status(c).value("failed_records", 0) == 1;
                  }, 20s),
                  vectors_status(c).dump(2), c.diagnostics());
  st = vectors_status(c);
  INFO(st.dump(2));
  auto error = st.value("last_error", "");
  CHECK(contains(error, "together_ai.embed (model " + model + ")"));
  CHECK(st["indexed_records"] == 3);
  auto failed = c.ctl({"pipeline", "search", "penguins"});
  INFO(describe(failed));
  CHECK(failed.exit_code != 0);
  CHECK(contains(failed.err, "embedding the query"));
  CHECK(contains(failed.err, "together_ai"));

  CHECK(st["retry_waiting"] == 1);
  auto rebuilds = st["rebuilds"];

  // Back again: searches work, and a retry embeds the failed record (with
  // backoff: at most 16 s here), without a rebuild.
  standin.reset();
  hits = search(c, submarine, 1);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0]["key"] == json{{"id", 2}});
  REQUIRE_MESSAGE(wait_for([&] { return vectors_status(c)["indexed_records"] == 4; }, 90s),
                  vectors_status(c).dump(2), c.diagnostics());
  st = vectors_status(c);
  INFO(st.dump(2));
  CHECK(st["retried"] == 1);
  CHECK(st["retry_waiting"] == 0);
  CHECK(st["failed_records"] == 1);
  CHECK(st["rebuilds"] == rebuilds);
  // Its chunk, as the service saw it, finds it (the stand-in's vectors
  // are a function of the text: cosine 1).
  std::string penguins;
  for (auto& call : standin.requests("together_ai", "/v1/embeddings"))
    for (auto& t : call["body"]["input"])
      if (t.get<std::string>().find("penguins") != std::string::npos)
        penguins = t.get<std::string>();
  REQUIRE(!penguins.empty());
  hits = search(c, penguins, 1);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0]["key"] == json{{"id", 4}});
}
