// The pipeline role on a running node: `sophiactl ingest`, `pipeline status`
// and `pipeline query` through the cluster's call path to the role's MCP
// tools, on a real PostgreSQL.

#include <doctest/doctest.h>

#include <fstream>

#include "harness.hpp"
#include "pipeline_fixture.hpp"

using namespace sophia::itest;
using namespace std::chrono_literals;
using namespace sophia::tests::integration::pipeline;
using nlohmann::json;

namespace {

void write(const fs::path& file, const std::string& text) {
  std::ofstream out{file};
  out << text;
}

} // namespace

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
