// The spool actor: records are buffered, then written and fsynced every
// fsync_ms or every fsync_records records; a clean stop writes the rest.

#include <doctest/doctest.h>

#include <chrono>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/pipeline/spool/tool_call_spool.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace sophia::actors::pipeline::spool;

namespace {

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    path = fs::temp_directory_path()
           / ("sophia-spool-actor-test-" + std::to_string(rd()) + std::to_string(rd()));
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// The lines on disk, every segment.
std::vector<nlohmann::json> on_disk(const fs::path& dir) {
  std::vector<nlohmann::json> out;
  std::vector<fs::path> segs;
  std::error_code ec;
  for (auto& e : fs::directory_iterator{dir, ec})
    if (e.path().extension() == ".jsonl")
      segs.push_back(e.path());
  std::sort(segs.begin(), segs.end());
  for (auto& p : segs) {
    std::ifstream in{p};
    std::string line;
    while (std::getline(in, line))
      out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

template <class Pred>
bool eventually(Pred p, std::chrono::milliseconds max = 5s) {
  auto until = std::chrono::steady_clock::now() + max;
  while (std::chrono::steady_clock::now() < until) {
    if (p())
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return p();
}

std::string rec(int i) {
  return nlohmann::json{{"tool", "t" + std::to_string(i)}, {"outcome", "ok"}}.dump();
}

} // namespace

TEST_CASE("spool actor: records wait for the fsync interval, then are on "
          "disk with an id") {
  temp_dir d;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  tool_call_spool_options o;
  o.node = "n1";
  o.dir = d.path.string();
  o.fsync_ms = 700;
  o.fsync_records = 1000;
  auto spool = spawn_tool_call_spool(sys, o);
  REQUIRE(spool);
  tool_call_sink sink;
  sink.set(*spool);
  auto t0 = std::chrono::steady_clock::now();
  sink(rec(1));
  sink(rec(2));
  std::this_thread::sleep_for(200ms);
  // Buffered, not written: this is what a kill -9 now would lose.
  if (std::chrono::steady_clock::now() - t0 < 650ms)
    CHECK(on_disk(d.path).empty());
  REQUIRE(eventually([&] { return on_disk(d.path).size() == 2; }));
  auto lines = on_disk(d.path);
  CHECK(lines[0]["tool"] == "t1");
  CHECK(lines[1]["tool"] == "t2");
  CHECK(lines[0]["id"].get<std::string>().rfind("n1-", 0) == 0);
  CHECK(lines[0]["id"] != lines[1]["id"]);
  caf::anon_send_exit(*spool, caf::exit_reason::user_shutdown);
}

TEST_CASE("spool actor: fsync_records records are written at once; a "
          "clean stop writes the rest") {
  temp_dir d;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  tool_call_spool_options o;
  o.node = "n2";
  o.dir = d.path.string();
  o.fsync_ms = 60000; // never, within the case
  o.fsync_records = 3;
  auto spool = spawn_tool_call_spool(sys, o);
  REQUIRE(spool);
  tool_call_sink sink;
  sink.set(*spool);
  for (int i = 0; i < 4; ++i)
    sink(rec(i));
  REQUIRE(eventually([&] { return on_disk(d.path).size() == 3; }));
  std::this_thread::sleep_for(100ms);
  CHECK(on_disk(d.path).size() == 3);
  // Bad input is dropped, not written.
  sink("not json at all");
  sink("{\"a\":\"multi\nline\"}");
  caf::anon_send_exit(*spool, caf::exit_reason::user_shutdown);
  REQUIRE(eventually([&] { return on_disk(d.path).size() == 4; }));
  {
    caf::scoped_actor self{sys};
    self->wait_for(*spool);
  }
  CHECK(on_disk(d.path).size() == 4);
  // Its status says so.
  auto again = spawn_tool_call_spool(sys, o);
  REQUIRE(again);
  caf::scoped_actor self{sys};
  std::string st;
  self->request(*again, caf::infinite, atoms::status::value)
    .receive([&](const std::string& s) { st = s; },
             [&](caf::error& e) { FAIL(caf::to_string(e)); });
  auto j = nlohmann::json::parse(st);
  CHECK(j["pending"] == true);
  caf::anon_send_exit(*again, caf::exit_reason::user_shutdown);
}
