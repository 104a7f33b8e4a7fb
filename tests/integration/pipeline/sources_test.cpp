// Airbyte sources run as commands ([pipeline.sources.NAME]): check,
// discover and sync through sophiactl and the role's MCP tools, with a
// real Airbyte-protocol source (sources/counter_source.sh, bash only) and
// a real PostgreSQL: resuming from the committed STATE, a source that
// fails mid-read, one that hangs past its timeout, one on a schedule.

#include <doctest/doctest.h>

#include <fstream>

#include "harness.hpp"
#include "pipeline_fixture.hpp"

using namespace sophia::itest;
using namespace std::chrono_literals;
using namespace sophia::tests::integration::pipeline;
using nlohmann::json;

namespace {

std::string source_script() {
  return std::string{SOPHIA_SOURCE_DIR}
         + "/tests/integration/pipeline/sources/counter_source.sh";
}

// A configured catalog of one incremental, appended stream.
json counter_catalog(const std::string& stream) {
  auto schema = json::parse(R"({"type":"object","properties":{
    "id":{"type":"integer"},"label":{"type":"string"}}})");
  return {{"streams",
           {{{"stream", {{"name", stream}, {"json_schema", schema},
                         {"supported_sync_modes", {"incremental"}}}},
             {"sync_mode", "incremental"},
             {"destination_sync_mode", "append"},
             {"cursor_field", {"id"}}}}}};
}

// A [pipeline.sources.NAME] table running the counter source on stream
// NAME; `config` is the rest of its config table (TOML, inline).
std::string source_table(const test_cluster& c, const std::string& name,
                         const std::string& config,
                         const std::string& more = "") {
  write(c.dir() / (name + ".json"), counter_catalog(name).dump());
  return "\n[pipeline.sources." + name + "]\ncommand = [\"bash\", \""
         + source_script() + "\"]\ncatalog = \"" + name + ".json\"\n" + more
         + "config = { stream = \"" + name + "\"" + (config.empty() ? "" : ", ")
         + config + " }\n";
}

int64_t count_of(const std::string& uri, const std::string& table) {
  return std::stoll(scalar(uri, "SELECT count(*) FROM public." + table));
}

std::optional<json> source_status(test_cluster& c, const std::string& name) {
  auto st = c.ctl({"pipeline", "status", "--json"});
  if (st.exit_code != 0)
    return std::nullopt;
  auto doc = json::parse(st.out, nullptr, false);
  for (auto& s : doc.value("sources", json::array()))
    if (s.value("source", "") == name)
      return s;
  return std::nullopt;
}

} // namespace

TEST_CASE("airbyte sources: check, discover, sync resuming from its STATE, "
          "failures and timeouts") {
  auto uri = fresh_database();
  test_cluster c;
  auto dir = c.dir().string();
  write(c.dir() / "total", "12");
  std::string conf = "\n[pipeline]\npostgres = \"" + uri + "\"\n";
  conf += source_table(c, "counter",
                       "state_every = 5, total_file = \"" + dir
                         + "/total\", log_file = \"" + dir + "/counter.log\"");
  conf += source_table(c, "denied",
                       "fail = true, message = \"bad password for svc\"");
  conf += source_table(c, "broken",
                       "total = 20, state_every = 5, fail_after = 13");
  conf += source_table(c, "stuck", "total = 20, state_every = 2, hang_after = 3",
                       "timeout_s = 2\n");
  conf += source_table(c, "slow", "total = 20, state_every = 2, hang_after = 3",
                       "timeout_s = 20\n");
  c.write_config({"n3"}, conf);
  c.start("n3");
  REQUIRE_MESSAGE(wait_for([&] { return c.lists("n3", "mcp.pipeline@n3") == true; },
                           20s),
                  c.diagnostics());

  SUBCASE("check") {
    auto ok = c.ctl({"pipeline", "check", "counter", "--json"});
    INFO(describe(ok));
    REQUIRE(ok.exit_code == 0);
    CHECK(json::parse(ok.out)["status"] == "SUCCEEDED");
    auto bad = c.ctl({"pipeline", "check", "denied"});
    INFO(describe(bad));
    CHECK(bad.exit_code == 1);
    CHECK(contains(bad.err, "source denied: check FAILED: bad password for svc"));
    auto none = c.ctl({"pipeline", "check", "nope"});
    CHECK(none.exit_code == 1);
    CHECK(contains(none.err, "no source 'nope'"));
  }

  SUBCASE("discover") {
    auto d = c.ctl({"pipeline", "discover", "counter", "--json"});
    INFO(describe(d));
    REQUIRE(d.exit_code == 0);
    auto catalog = json::parse(d.out);
    REQUIRE(catalog["streams"].size() == 1);
    CHECK(catalog["streams"][0]["name"] == "counter");
    CHECK(catalog["streams"][0]["json_schema"]["properties"].contains("id"));
  }

  SUBCASE("sync twice: the second read resumes from the committed STATE") {
    auto s1 = c.ctl({"pipeline", "sync", "counter", "--json"}, {}, 120s);
    INFO(describe(s1), c.diagnostics());
    REQUIRE(s1.exit_code == 0);
    auto r1 = json::parse(s1.out);
    CHECK(r1["records"] == 12);
    CHECK(r1["last_state"]["stream"]["stream_state"]["cursor"] == 12);
    write(c.dir() / "total", "20");
    auto s2 = c.ctl({"pipeline", "sync", "counter", "--json"}, {}, 120s);
    INFO(describe(s2));
    REQUIRE(s2.exit_code == 0);
    CHECK(json::parse(s2.out)["records"] == 8);
    // Exactly once each: the second read started after id 12.
    auto q = c.ctl({"pipeline", "query", "SELECT count(*) AS n, count(DISTINCT "
                    "id) AS ids, max(id) AS top FROM public.counter", "--json"});
    INFO(describe(q));
    REQUIRE(q.exit_code == 0);
    CHECK(json::parse(q.out)["rows"] == json{{20, 20, 20}});
    std::ifstream log{c.dir() / "counter.log"};
    std::string l1, l2;
    std::getline(log, l1);
    std::getline(log, l2);
    CHECK(l1 == "read cursor=none");
    CHECK(l2 == "read cursor=12");
    auto st = source_status(c, "counter");
    REQUIRE(st);
    CHECK((*st)["syncs"] == 2);
    CHECK((*st)["last_result"] == "ok");
    CHECK((*st)["last_records"] == 8);
  }

  SUBCASE("a source failing mid-read: its error, and what was committed "
          "stays") {
    auto s = c.ctl({"pipeline", "sync", "broken"}, {}, 120s);
    INFO(describe(s));
    CHECK(s.exit_code == 1);
    CHECK(contains(s.err, "source broken"));
    CHECK(contains(s.err, source_script() + " read`"));
    CHECK(contains(s.err, "exit status 3"));
    CHECK(contains(s.err, "lost the upstream connection after id 13"));
    CHECK(contains(s.err, "\"cursor\":10"));
    // Committed up to its last STATE (id 10); 11..13 came after it.
    CHECK(count_of(uri, "broken") == 10);
    auto st = source_status(c, "broken");
    REQUIRE(st);
    CHECK((*st)["last_result"] == "failed");
    CHECK(contains((*st)["last_error"].get<std::string>(), "exit status 3"));
  }

  SUBCASE("a source that hangs is stopped at timeout_s; the node serves on") {
    auto started = std::chrono::steady_clock::now();
    auto s = c.ctl({"pipeline", "sync", "stuck"}, {}, 120s);
    auto took = std::chrono::steady_clock::now() - started;
    INFO(describe(s));
    CHECK(s.exit_code == 1);
    CHECK(contains(s.err, "ran longer than timeout_s = 2 s"));
    CHECK(contains(s.err, "waiting for the upstream for ever"));
    CHECK(took < 30s);
    CHECK(count_of(uri, "stuck") == 2);
    auto st = c.ctl({"pipeline", "status", "--json"});
    INFO(describe(st));
    REQUIRE(st.exit_code == 0);
    CHECK(json::parse(st.out)["reachable"] == true);
    auto again = c.ctl({"pipeline", "check", "counter"});
    CHECK(again.exit_code == 0);
  }

  SUBCASE("status and query answer while a sync runs") {
    // The worker is inside this sync for 20 s (the source hangs after id
    // 3); the reader answers meanwhile: the answers say the sync runs.
    auto sync = c.start_ctl({"pipeline", "sync", "slow"}, "slow_sync.log");
    std::optional<json> seen;
    CHECK(wait_for(
      [&] {
        seen = source_status(c, "slow");
        return seen && seen->value("running", false);
      },
      15s));
    INFO(c.diagnostics());
    auto st = c.ctl({"pipeline", "status", "--json"});
    INFO(describe(st));
    REQUIRE(st.exit_code == 0);
    auto doc = json::parse(st.out);
    CHECK(doc["reachable"] == true);
    // What it committed so far (ids 1 and 2, with their STATE) is counted.
    CHECK(wait_for(
      [&] {
        auto now = c.ctl({"pipeline", "status", "--json"});
        if (now.exit_code != 0)
          return false;
        auto pg = json::parse(now.out)["stages"][0];
        return pg["stage"] == "postgres" && pg["running"] == true
               && pg["commits"] == 1;
      },
      15s));
    CHECK(count_of(uri, "slow") == 2);
    auto q = c.ctl({"pipeline", "query", "SELECT count(*) FROM public.slow",
                    "--json"});
    INFO(describe(q));
    REQUIRE(q.exit_code == 0);
    CHECK(json::parse(q.out)["rows"] == json{{2}});
    auto running = source_status(c, "slow");
    REQUIRE(running);
    CHECK((*running)["running"] == true);
    // The sync ends at its timeout, failed; the status says so.
    CHECK(sync.wait(60s) == std::optional<int>{1});
    auto after = source_status(c, "slow");
    REQUIRE(after);
    CHECK((*after)["running"] == false);
    CHECK((*after)["last_result"] == "failed");
  }
}

TEST_CASE("airbyte sources: a scheduled source syncs by itself") {
  auto uri = fresh_database();
  test_cluster c;
  std::string conf = "\n[pipeline]\npostgres = \"" + uri + "\"\n";
  conf += source_table(c, "ticker", "total = 4, state_every = 2",
                       "schedule_s = 1\n");
  c.write_config({"n3"}, conf);
  c.start("n3");
  REQUIRE_MESSAGE(wait_for([&] { return c.lists("n3", "mcp.pipeline@n3") == true; },
                           20s),
                  c.diagnostics());
  // Its first sync writes ids 1..4; the later ones resume after 4.
  CHECK(wait_for(
    [&] {
      auto st = source_status(c, "ticker");
      return st && st->value("syncs", 0) >= 2 && st->value("last_result", "") == "ok";
    },
    30s));
  CHECK(count_of(uri, "ticker") == 4);
}
