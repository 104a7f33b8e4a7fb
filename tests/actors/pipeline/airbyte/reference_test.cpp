// Airbyte's own messages and catalogs (../shared/reference/airbyte, read by
// path, never copied): every message of the destination test fixtures
// parses, the one malformed line is named, the catalog examples parse or
// fail as Airbyte's do.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "actors/pipeline/airbyte/catalog.hpp"
#include "actors/pipeline/airbyte/message.hpp"
#include "reference.hpp"

using namespace sophia::actors::pipeline::airbyte;
namespace fs = std::filesystem;

namespace {

std::string airbyte_dir() {
  auto dir = sophia::testing::reference_dir("airbyte");
  if (dir.empty())
    MESSAGE("skipped: ../shared/reference/airbyte is absent (set "
            "SOPHIA_REFERENCE_DIR to the folder that holds airbyte/)");
  return dir;
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in{ p };
  return nlohmann::json::parse(in);
}

} // namespace

TEST_CASE("every message of Airbyte's destination fixtures parses") {
  auto dir = airbyte_dir();
  if (dir.empty()) return;
  std::map<std::string, size_t> seen;
  std::vector<std::string> failures;
  size_t files = 0;
  size_t injected = 0;
  for (auto* sub : { "cdk/dat", "postgres/dat", "dat-acceptance/v0",
                     "dat-acceptance/v1" }) {
    std::vector<fs::path> paths;
    for (auto& e : fs::directory_iterator{ fs::path{ dir } / "pg-2.4.0_2024-09" / sub })
      paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    for (auto& p : paths) {
      auto name = p.filename().string();
      bool messages = (name.find("messages") != std::string::npos
                       || name.find("_message.txt") != std::string::npos
                       || name == "sync_null_pk.jsonl")
                      && name.find("_out") == std::string::npos;
      if (!messages) continue;
      ++files;
      std::ifstream in{ p };
      size_t n = 0;
      for (std::string line; std::getline(in, line);) {
        ++n;
        // The fixtures' conventions: `//` comments and blank lines are not
        // messages, and the harness names the stream of the typing and
        // deduping fixtures' records.
        if (is_blank(line) || line.rfind("//", 0) == 0) continue;
        auto doc = nlohmann::json::parse(line, nullptr, false);
        if (!doc.is_discarded() && doc.value("type", "") == "RECORD"
            && doc.contains("record") && !doc["record"].contains("stream")) {
          doc["record"]["stream"] = "test_stream";
          line = doc.dump();
          ++injected;
        }
        auto r = parse_message(line, 1 << 20);
        if (auto* e = std::get_if<std::string>(&r)) {
          failures.push_back(std::string{ sub } + "/" + name + ":"
                             + std::to_string(n) + ": " + *e);
          continue;
        }
        auto& m = std::get<message>(r);
        seen[std::holds_alternative<record>(m)          ? "RECORD"
             : std::holds_alternative<state>(m)         ? "STATE"
             : std::holds_alternative<stream_status>(m) ? "TRACE"
                                                        : "other"]++;
      }
    }
  }
  CHECK(files == 33);
  CHECK(injected == 26);
  CHECK(seen["RECORD"] == 149);
  CHECK(seen["STATE"] == 27);
  CHECK(seen["TRACE"] == 52);
  CHECK(seen["other"] == 0);
  // The one line Airbyte's own (lenient) parser lets through: an extra
  // brace after the message.
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].rfind("dat-acceptance/v0/users_with_generation_id_messages"
                          ".txt:4: not JSON: parse error at line 1, column 235",
                          0)
        == 0);
}

TEST_CASE("the Bulk CDK's catalog and state examples") {
  auto dir = airbyte_dir();
  if (dir.empty()) return;
  auto ex = fs::path{ dir } / "protocol" / "examples-bulk-cdk-2024-09";
  auto good = parse_catalog(read_json(ex / "catalog.json"));
  if (auto* e = std::get_if<std::string>(&good)) FAIL(*e);
  for (auto& s : std::get<configured_catalog>(good).streams)
    CHECK_FALSE(s.id.name.empty());
  auto no_ns = parse_catalog(read_json(ex / "catalog-no-namespace.json"));
  REQUIRE(std::holds_alternative<configured_catalog>(no_ns));
  for (auto& s : std::get<configured_catalog>(no_ns).streams)
    CHECK_FALSE(s.id.ns);
  auto invalid = parse_catalog(read_json(ex / "catalog-invalid.json"));
  REQUIRE(std::holds_alternative<std::string>(invalid));
  CHECK(std::get<std::string>(invalid)
        == "/streams/0/sync_mode: 'BLARGH' is neither full_refresh nor"
           " incremental");
  for (auto* file : { "vanilla-stream-states.json", "vanilla-global-states.json",
                      "vanilla-mixed-states.json", "duplicate-states.json" }) {
    auto states = read_json(ex / file);
    REQUIRE(states.is_array());
    for (size_t i = 0; i < states.size(); ++i) {
      auto st = parse_state(states[i], "/" + std::to_string(i));
      if (auto* e = std::get_if<std::string>(&st)) FAIL(file << ": " << *e);
      CHECK(std::get<state>(st).type != state::kind::legacy);
    }
  }
}
