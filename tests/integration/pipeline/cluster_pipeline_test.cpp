// The pipeline role on a running node: `sophiactl ingest`, `pipeline status`
// and `pipeline query` through the cluster's call path to the role's MCP
// tools, on a real PostgreSQL.

#include <doctest/doctest.h>

#include <fstream>
#include <thread>

#include "harness.hpp"
#include "pipeline_fixture.hpp"
#include "redis_server.hpp"

using namespace sophia::itest;
using namespace std::chrono_literals;
using namespace sophia::tests::integration::pipeline;
using nlohmann::json;

TEST_CASE("the pipeline role: sophiactl ingest, status and read-only "
          "queries") {
  auto uri = fresh_database();
  test_cluster c;
  c.write_config({"n3"}, "\n[pipeline]\npostgres = \"" + uri
                           + "\"\nquery_timeout_ms = 1000\n");
  c.start("n3");
  REQUIRE_MESSAGE(wait_for([&] { return c.lists("n3", "mcp.pipeline@n3") == true; },
                           20s),
                  c.diagnostics());
  auto schema = json::parse(R"({"type":"object","properties":{
    "id":{"type":"integer"},"name":{"type":"string"}}})");
  json catalog{{"streams",
                {{{"stream", {{"name", "users"}, {"json_schema", schema},
                              {"supported_sync_modes", {"incremental"}}}},
                  {"sync_mode", "incremental"},
                  {"destination_sync_mode", "append_dedup"},
                  {"primary_key", {{"id"}}},
                  {"cursor_field", json::array()}}}}};
  write(c.dir() / "catalog.json", catalog.dump());
  std::string lines;
  for (int i = 0; i < 3000; ++i) {
    lines += record_line("users", {{"id", i % 1000}, {"name", "u" + std::to_string(i)}},
                         1000 + i) + "\n";
    if (i % 1000 == 999)
      lines += state_line("users", i) + "\n";
  }
  lines += "{not an airbyte message\n";
  write(c.dir() / "messages.jsonl", lines);
  auto r = c.ctl({"ingest", "--airbyte", (c.dir() / "messages.jsonl").string(),
                  "--catalog", (c.dir() / "catalog.json").string(), "--json"},
                 {}, 120s);
  INFO(describe(r), c.diagnostics());
  REQUIRE(r.exit_code == 0);
  auto report = json::parse(r.out);
  CHECK(report["records"] == 3000);
  CHECK(report["dead_letters"] == 1);
  CHECK(report["last_state"]["stream"]["stream_state"]["cursor"] == 2999);
  CHECK(scalar(uri, "SELECT count(*) FROM public.users") == "1000");
  CHECK(scalar(uri, "SELECT name FROM public.users WHERE id = 7") == "u2007");

  auto q = c.ctl({"pipeline", "query", "SELECT count(*) AS n, max(name) AS top "
                  "FROM public.users", "--json"});
  INFO(describe(q));
  REQUIRE(q.exit_code == 0);
  auto result = json::parse(q.out);
  CHECK(result["columns"] == json{"n", "top"});
  CHECK(result["rows"] == json{{1000, "u2999"}});
  CHECK(result["truncated"] == false);

  // It cannot write, however asked, and a slow query is cut off.
  auto del = c.ctl({"pipeline", "query", "DELETE FROM public.users"});
  CHECK(del.exit_code == 1);
  CHECK(contains(del.err, "read-only query"));
  auto cte = c.ctl({"pipeline", "query", "WITH x AS (DELETE FROM public.users "
                    "RETURNING 1) SELECT count(*) FROM x"});
  CHECK(cte.exit_code == 1);
  CHECK((contains(cte.err, "read-only transaction")
         || contains(cte.err, "must not contain data-modifying statements")));
  auto two = c.ctl({"pipeline", "query", "SELECT 1; DELETE FROM public.users"});
  CHECK(two.exit_code == 1);
  auto slow = c.ctl({"pipeline", "query", "SELECT pg_sleep(30)"}, {}, 60s);
  CHECK(slow.exit_code == 1);
  CHECK(contains(slow.err, "statement timeout"));
  CHECK(scalar(uri, "SELECT count(*) FROM public.users") == "1000");

  // The node still serves, and says what it did.
  auto st = c.ctl({"pipeline", "status", "--json"});
  INFO(describe(st));
  REQUIRE(st.exit_code == 0);
  auto status = json::parse(st.out);
  CHECK(status["reachable"] == true);
  CHECK(status["stages"][0]["records"] == 3000);
  CHECK(status["stages"][0]["dead_letters"] == 1);
  CHECK(status["dead_letters_waiting"] == 1);

  // Dead letters come back once their cause is fixed: a record of a stream
  // the catalog lacked is read with a catalog that has it; the line that
  // is not JSON keeps waiting, not added twice.
  write(c.dir() / "admins.jsonl", record_line("admins", {{"id", 1}, {"name", "root"}}) + "\n");
  auto late = c.ctl({"ingest", "--airbyte", (c.dir() / "admins.jsonl").string(),
                     "--catalog", (c.dir() / "catalog.json").string(), "--json"});
  REQUIRE(late.exit_code == 0);
  CHECK(json::parse(late.out)["dead_letters"] == 1);
  auto fixed = catalog;
  fixed["streams"].push_back(catalog["streams"][0]);
  fixed["streams"][1]["stream"]["name"] = "admins";
  write(c.dir() / "fixed.json", fixed.dump());
  auto replay = c.ctl({"pipeline", "replay-dead-letters", "sophiactl", "--catalog",
                       (c.dir() / "fixed.json").string(), "--json"});
  INFO(describe(replay));
  REQUIRE(replay.exit_code == 0);
  auto rep = json::parse(replay.out);
  CHECK(rep["waiting"] == 2);
  CHECK(rep["replayed"] == 1);
  CHECK(rep["still_dead"] == 1);
  CHECK(scalar(uri, "SELECT name FROM public.admins") == "root");
  CHECK(scalar(uri, "SELECT count(*) FROM sophia_pipeline.dead_letters WHERE "
                    "replayed_at IS NULL") == "1");
  CHECK(scalar(uri, "SELECT count(*) FROM sophia_pipeline.dead_letters") == "2");
  auto again = c.ctl({"pipeline", "replay-dead-letters", "sophiactl", "--catalog",
                      (c.dir() / "fixed.json").string(), "--json"});
  REQUIRE(again.exit_code == 0);
  CHECK(json::parse(again.out)["replayed"] == 0);
  CHECK(scalar(uri, "SELECT count(*) FROM public.admins") == "1");
  // Without a catalog, and no such configured source: a clear error.
  auto bare = c.ctl({"pipeline", "replay-dead-letters", "sophiactl"});
  CHECK(bare.exit_code == 1);
  CHECK(contains(bare.err, "--catalog"));
}

TEST_CASE("the pipeline role without PostgreSQL says what to set") {
  test_cluster c;
  c.write_config({"n3"});
  c.start("n3");
  REQUIRE(wait_for([&] { return c.lists("n3", "mcp.pipeline@n3") == true; }, 20s));
  auto st = c.ctl({"pipeline", "status", "--json"});
  REQUIRE(st.exit_code == 0);
  auto status = json::parse(st.out);
  CHECK(status["configured"] == false);
  CHECK(contains(status.value("reason", ""), "[pipeline] postgres"));
  auto q = c.ctl({"pipeline", "query", "SELECT 1"});
  CHECK(q.exit_code == 1);
  CHECK(contains(q.err, "[pipeline] postgres"));
}

namespace {

// N append records of stream "events" with a STATE (cursor = last id) after
// every `every`; lines from record `from` on.
std::string events(int from, int n, int every) {
  std::string out;
  for (int i = from; i < n; ++i) {
    out += record_line("events", {{"id", i}, {"payload", "event number " + std::to_string(i)}},
                       1000 + i) + "\n";
    if (i % every == every - 1)
      out += state_line("events", i) + "\n";
  }
  return out;
}

json events_catalog() {
  auto schema = json::parse(R"({"type":"object","properties":{
    "id":{"type":"integer"},"payload":{"type":"string"}}})");
  return {{"streams",
           {{{"stream", {{"name", "events"}, {"json_schema", schema},
                         {"supported_sync_modes", {"incremental"}}}},
             {"sync_mode", "incremental"},
             {"destination_sync_mode", "append"}}}}};
}

int64_t count_events(const std::string& uri) {
  auto n = scalar(uri, "SELECT count(*) FROM pg_tables WHERE tablename = 'events'");
  return n == "1" ? std::stoll(scalar(uri, "SELECT count(*) FROM public.events")) : 0;
}

// The node's peak resident memory, kB.
int64_t peak_rss_kb(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stoll(line.substr(6));
  return -1;
}

} // namespace

TEST_CASE("kill -9 of the pipeline's node mid-ingest: what was committed "
          "stays with its STATE, the source resumes from it, exact counts") {
  auto uri = fresh_database();
  test_cluster c;
  c.write_config({"n3"}, "\n[pipeline]\npostgres = \"" + uri + "\"\n");
  c.start("n3");
  REQUIRE(wait_for([&] { return c.lists("n3", "mcp.pipeline@n3") == true; }, 20s));
  constexpr int n = 400000, every = 1000;
  write(c.dir() / "catalog.json", events_catalog().dump());
  write(c.dir() / "all.jsonl", events(0, n, every));
  auto ingest = c.start_ctl({"ingest", "--airbyte", (c.dir() / "all.jsonl").string(),
                             "--catalog", (c.dir() / "catalog.json").string()},
                            "ingest.log");
  REQUIRE(wait_for([&] { return count_events(uri) > 0; }, 60s));
  c.proc("n3").kill9();
  ingest.wait(30s);
  auto committed = count_events(uri);
  auto cursor = scalar(uri, "SELECT state->'stream'->'stream_state'->>'cursor' "
                            "FROM sophia_pipeline.state WHERE source = 'sophiactl'");
  REQUIRE_FALSE(cursor.empty());
  auto resume = std::stoi(cursor) + 1;
  MESSAGE("killed after " << committed << " of " << n << " records committed");
  // Every committed record is there with its checkpoint, nothing after it.
  CHECK(committed == resume);
  c.start("n3");
  REQUIRE(wait_for([&] { return c.lists("n3", "mcp.pipeline@n3") == true; }, 20s));
  write(c.dir() / "rest.jsonl", events(resume, n, every));
  auto r = c.ctl({"ingest", "--airbyte", (c.dir() / "rest.jsonl").string(),
                  "--catalog", (c.dir() / "catalog.json").string()},
                 {}, 300s);
  INFO(describe(r), c.diagnostics());
  REQUIRE(r.exit_code == 0);
  CHECK(count_events(uri) == n);
  CHECK(scalar(uri, "SELECT count(DISTINCT id) FROM public.events") == std::to_string(n));
}

TEST_CASE("PostgreSQL stopped for 10 s mid-ingest: the ingest waits, memory "
          "stays bounded, nothing is lost") {
  auto uri = fresh_database();
  test_cluster c;
  c.write_config({"n3"}, "\n[pipeline]\npostgres = \"" + uri + "\"\n");
  c.start("n3");
  REQUIRE(wait_for([&] { return c.lists("n3", "mcp.pipeline@n3") == true; }, 20s));
  constexpr int n = 200000;
  write(c.dir() / "catalog.json", events_catalog().dump());
  write(c.dir() / "all.jsonl", events(0, n, 1000));
  auto ingest = c.start_ctl({"ingest", "--airbyte", (c.dir() / "all.jsonl").string(),
                             "--catalog", (c.dir() / "catalog.json").string()},
                            "ingest.log");
  REQUIRE(wait_for([&] { return count_events(uri) > 0; }, 60s));
  server().stop();
  std::this_thread::sleep_for(10s);
  auto rss_during = peak_rss_kb(c.proc("n3").pid());
  server().start();
  auto rc = ingest.wait(300s);
  INFO(sophia::tests::integration::tail(c.dir() / "ingest.log"), c.diagnostics());
  REQUIRE(rc);
  CHECK(*rc == 0);
  CHECK(count_events(uri) == n);
  CHECK(scalar(uri, "SELECT count(DISTINCT id) FROM public.events") == std::to_string(n));
  // One 4 MB piece of messages and one batch in flight, not the input.
  MESSAGE("node peak RSS " << rss_during / 1024 << " MiB");
  CHECK(rss_during < 512 * 1024);
}

TEST_CASE("the pipeline role with Redis: the latest version by key and the "
          "table's events follow what PostgreSQL committed") {
  auto uri = fresh_database();
  sophia::tests::integration::redis_server redis;
  test_cluster c;
  c.write_config({"n3"}, "\n[pipeline]\npostgres = \"" + uri + "\"\nredis = \""
                           + redis.uri() + "\"\n");
  c.start("n3");
  REQUIRE(wait_for([&] { return c.lists("n3", "mcp.pipeline@n3") == true; }, 20s));
  auto schema = json::parse(R"({"type":"object","properties":{
    "id":{"type":"integer"},"v":{"type":"string"},"at":{"type":"integer"},
    "_ab_cdc_deleted_at":{"type":"string"}}})");
  json catalog{{"streams",
                {{{"stream", {{"name", "kv"}, {"json_schema", schema},
                              {"supported_sync_modes", {"incremental"}}}},
                  {"sync_mode", "incremental"},
                  {"destination_sync_mode", "append_dedup"},
                  {"primary_key", {{"id"}}},
                  {"cursor_field", {"at"}}}}}};
  write(c.dir() / "catalog.json", catalog.dump());
  std::string lines = record_line("kv", {{"id", 1}, {"v", "new"}, {"at", 2}}) + "\n"
                      + record_line("kv", {{"id", 1}, {"v", "old"}, {"at", 1}}) + "\n"
                      + record_line("kv", {{"id", 2}, {"v", "gone"}, {"at", 1}}) + "\n"
                      + state_line("kv", 1) + "\n"
                      + record_line("kv", {{"id", 2}, {"at", 2},
                                           {"_ab_cdc_deleted_at", "2024-01-01"}}) + "\n"
                      + record_line("kv", {{"id", 3}, {"v", "three"}, {"at", 1}}) + "\n";
  write(c.dir() / "m.jsonl", lines);
  auto r = c.ctl({"ingest", "--airbyte", (c.dir() / "m.jsonl").string(), "--catalog",
                  (c.dir() / "catalog.json").string()}, {}, 60s);
  INFO(describe(r), c.diagnostics());
  REQUIRE(r.exit_code == 0);
  CHECK(scalar(uri, "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM public.kv")
        == "1=new,3=three");
  // Redis: the same latest versions (the stale one skipped, the deleted gone).
  auto one = redis.cli({"HGET", "sophia:public.kv:[1]", "data"});
  CHECK(json::parse(one)["v"] == "new");
  CHECK(redis.cli({"EXISTS", "sophia:public.kv:[2]"}) == "0");
  CHECK(json::parse(redis.cli({"HGET", "sophia:public.kv:[3]", "data"}))["v"] == "three");
  CHECK(redis.cli({"XLEN", "sophia:events:public.kv"}) == "5");
  auto t = c.ctl({"pipeline", "tail", "public.kv", "--json"});
  INFO(describe(t));
  REQUIRE(t.exit_code == 0);
  auto events = json::parse(t.out)["events"];
  REQUIRE(events.size() == 5);
  CHECK(events[3]["op"] == "delete");
  CHECK(events[4]["data"]["v"] == "three");
  auto st = json::parse(c.ctl({"pipeline", "status", "--json"}).out);
  CHECK(st["stages"][1]["stage"] == "redis");
  CHECK(st["stages"][1]["events"] == 5);
  CHECK(st["stages"][1]["skipped_stale"] == 1);
}
