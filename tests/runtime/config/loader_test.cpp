#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runtime/config/loader.hpp"
#include "runtime/config/schema.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace sophia::runtime::config;

namespace {

constexpr auto file = "test.conf";

/// Returns the diagnostics of `text`, failing the test if it is valid.
std::vector<diagnostic> errors_of(std::string_view text) {
  auto result = parse(text, file);
  auto* diags = std::get_if<std::vector<diagnostic>>(&result);
  REQUIRE_MESSAGE(diags != nullptr, "expected the configuration to fail");
  return *diags;
}

/// Returns the configuration of `text`, failing the test if it is invalid.
cluster_config config_of(std::string_view text, const std::string& name) {
  auto result = parse(text, name);
  if (auto* diags = std::get_if<std::vector<diagnostic>>(&result)) {
    for (const auto& d : *diags)
      MESSAGE(d.to_string());
    FAIL("expected the configuration to be valid");
  }
  return std::get<cluster_config>(result);
}

cluster_config config_of(std::string_view text) {
  return config_of(text, file);
}

/// Checks that `text` yields exactly one diagnostic, at `line`:`col`, whose
/// message contains `part`.
void expect_error(std::string_view text,
                  uint32_t line,
                  uint32_t col,
                  std::string_view part) {
  auto diags = errors_of(text);
  std::string all;
  for (const auto& d : diags)
    all += d.to_string() + '\n';
  INFO("diagnostics:\n", all);
  REQUIRE(diags.size() == 1);
  auto str = diags[0].to_string();
  auto prefix = std::string{ file } + ':' + std::to_string(line) + ':' +
                std::to_string(col) + ": error: ";
  CHECK(str.rfind(prefix, 0) == 0);
  CHECK(str.find(part) != std::string::npos);
}

/// A valid [cluster] table for tests that are about something else; it
/// takes lines 1 and 2.
constexpr std::string_view cluster_header = "[cluster]\nname = \"t\"\n";

/// A valid [[node]] block; it takes four lines.
std::string node(std::string_view name,
                 int port,
                 std::string_view roles = R"(["edge"])") {
  std::ostringstream out;
  out << "[[node]]\nname = \"" << name
      << "\"\nhost = \"127.0.0.1\"\nport = " << port << "\nroles = " << roles
      << '\n';
  return out.str();
}

std::string with_cluster(std::string_view rest) {
  return std::string{ cluster_header } + std::string{ rest };
}

/// Compares everything the file says, not where it said it.
void check_same(const cluster_config& a, const cluster_config& b) {
  CHECK(a.name == b.name);
  CHECK(a.heartbeat_ms == b.heartbeat_ms);
  CHECK(a.failure_timeout_ms == b.failure_timeout_ms);
  CHECK(a.connect_timeout_ms == b.connect_timeout_ms);
  CHECK(a.reconnect_ms == b.reconnect_ms);
  CHECK(a.scheduler_policy == b.scheduler_policy);
  CHECK(a.scheduler_threads == b.scheduler_threads);
  CHECK(a.log_level == b.log_level);
  REQUIRE(a.nodes.size() == b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    CHECK(a.nodes[i].name == b.nodes[i].name);
    CHECK(a.nodes[i].host == b.nodes[i].host);
    CHECK(a.nodes[i].port == b.nodes[i].port);
    CHECK(a.nodes[i].roles == b.nodes[i].roles);
    CHECK(a.nodes[i].standby == b.nodes[i].standby);
    CHECK(a.nodes[i].gpus == b.nodes[i].gpus);
  }
  REQUIRE(a.roles.size() == b.roles.size());
  for (const auto& [name, role] : a.roles) {
    REQUIRE(b.roles.count(name) == 1);
    CHECK(role.name == b.roles.at(name).name);
    CHECK(role.failover == b.roles.at(name).failover);
    CHECK(role.move_back == b.roles.at(name).move_back);
  }
  REQUIRE(a.services.size() == b.services.size());
  for (const auto& [name, svc] : a.services) {
    REQUIRE(b.services.count(name) == 1);
    CHECK(svc.name == b.services.at(name).name);
    CHECK(svc.api_key == b.services.at(name).api_key);
    CHECK(svc.base_url == b.services.at(name).base_url);
    CHECK(svc.timeout_ms == b.services.at(name).timeout_ms);
  }
}

std::filesystem::path source_dir() {
  if (const auto* dir = std::getenv("SOPHIA_SOURCE_DIR")) return dir;
  // tests/runtime/config/loader_test.cpp -> the repository root.
  return std::filesystem::path{ __FILE__ }.parent_path() / ".." / ".." / "..";
}

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in{ path };
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

} // namespace

// -- the happy path -----------------------------------------------------------

TEST_CASE("a valid configuration is read with defaults filled in") {
  auto cfg = config_of(R"([cluster]
name = "demo"
heartbeat_ms = 100
scheduler_policy = "stealing"

[[node]]
name = "edge-1"
host = "10.0.0.1"
port = 7401
roles = ["edge", "monitoring"]

[[node]]
name = "ai-1"
host = "10.0.0.2"
port = 7402
roles = ["ai_intelligence"]
standby = ["edge"]
gpus = 2

[roles.ai_intelligence]
failover = true

[services.tavily]
api_key = "env:TAVILY_API_KEY"
)");
  CHECK(cfg.source == file);
  CHECK(cfg.name == "demo");
  CHECK(cfg.heartbeat_ms == 100);
  CHECK(cfg.failure_timeout_ms == 2000);
  CHECK(cfg.connect_timeout_ms == 1000);
  CHECK(cfg.reconnect_ms == 250);
  CHECK(cfg.scheduler_policy == "stealing");
  CHECK(cfg.scheduler_threads == 1);
  CHECK(cfg.log_level == "info");
  REQUIRE(cfg.nodes.size() == 2);
  const auto& edge = cfg.nodes[0];
  CHECK(edge.name == "edge-1");
  CHECK(edge.endpoint() == "10.0.0.1:7401");
  CHECK(edge.roles == std::vector<std::string>{ "edge", "monitoring" });
  CHECK(edge.standby.empty());
  CHECK(edge.gpus == 0);
  CHECK(edge.position.file == file);
  CHECK(edge.position.line == 6);
  CHECK(edge.position.column == 1);
  const auto* ai = cfg.find_node("ai-1");
  REQUIRE(ai != nullptr);
  CHECK(ai->port == 7402);
  CHECK(ai->standby == std::vector<std::string>{ "edge" });
  CHECK(ai->gpus == 2);
  CHECK(cfg.find_node("nope") == nullptr);
  // Every role that runs has an entry; unset ones get the defaults.
  REQUIRE(cfg.roles.size() == 3);
  CHECK(cfg.roles.at("ai_intelligence").failover);
  CHECK_FALSE(cfg.roles.at("ai_intelligence").move_back);
  CHECK(cfg.roles.at("edge").name == "edge");
  CHECK_FALSE(cfg.roles.at("edge").failover);
  CHECK_FALSE(cfg.roles.at("monitoring").failover);
  REQUIRE(cfg.services.size() == 1);
  const auto& svc = cfg.services.at("tavily");
  CHECK(svc.name == "tavily");
  CHECK(svc.api_key == "env:TAVILY_API_KEY");
  CHECK(svc.base_url.empty());
  CHECK(svc.timeout_ms == 30000);
}

TEST_CASE("standby may list a role the node does not run") {
  auto cfg = config_of(with_cluster(node("a", 1, R"(["edge"])") +
                                    "standby = [\"pipeline\"]\n" +
                                    node("b", 2, R"(["pipeline"])")));
  CHECK(cfg.nodes[0].standby == std::vector<std::string>{ "pipeline" });
}

TEST_CASE("the schema's defaults agree with the structs' initializers") {
  // cluster.name is required, so the struct's default never shows.
  auto cfg = config_of(with_cluster(node("a", 1)));
  cluster_config plain;
  CHECK(cfg.heartbeat_ms == plain.heartbeat_ms);
  CHECK(cfg.failure_timeout_ms == plain.failure_timeout_ms);
  CHECK(cfg.connect_timeout_ms == plain.connect_timeout_ms);
  CHECK(cfg.reconnect_ms == plain.reconnect_ms);
  CHECK(cfg.scheduler_policy == plain.scheduler_policy);
  CHECK(cfg.scheduler_threads == plain.scheduler_threads);
  CHECK(cfg.log_level == plain.log_level);
  CHECK(cfg.nodes[0].gpus == node_config{}.gpus);
  CHECK(cfg.roles.at("edge").failover == role_config{}.failover);
  CHECK(cfg.roles.at("edge").move_back == role_config{}.move_back);
  CHECK(service_config{}.timeout_ms == 30000);
}

TEST_CASE("node_config, find_node and known_roles") {
  node_config n;
  n.host = "::1";
  n.port = 7401;
  CHECK(n.endpoint() == "[::1]:7401");
  n.host = "localhost";
  CHECK(n.endpoint() == "localhost:7401");
  const auto& roles = known_roles();
  CHECK(roles.size() == 8);
  for (auto role : { "edge",
                     "ai_intelligence",
                     "data_intelligence",
                     "infrastructure_intelligence",
                     "business_intelligence",
                     "pipeline",
                     "gpu_worker",
                     "monitoring" })
    CHECK(std::find(roles.begin(), roles.end(), role) != roles.end());
}

TEST_CASE("the shipped cluster.conf validates") {
  auto path = source_dir() / "cluster.conf";
  INFO("reading ", path.string());
  auto result = load(path.string());
  std::string all;
  if (auto* diags = std::get_if<std::vector<diagnostic>>(&result))
    for (const auto& d : *diags)
      all += d.to_string() + '\n';
  INFO("diagnostics:\n", all);
  REQUIRE(std::holds_alternative<cluster_config>(result));
  const auto& cfg = std::get<cluster_config>(result);
  CHECK(cfg.name == "sophia-local");
  REQUIRE(cfg.nodes.size() == 3);
  CHECK(cfg.nodes[0].endpoint() == "127.0.0.1:7401");
  CHECK(cfg.find_node("ai-1")->standby ==
        std::vector<std::string>{ "data_intelligence" });
  CHECK(cfg.find_node("data-1")->standby ==
        std::vector<std::string>{ "ai_intelligence" });
  CHECK(cfg.roles.at("ai_intelligence").failover);
  CHECK(cfg.roles.at("data_intelligence").failover);
  CHECK(cfg.services.at("openrouter").api_key == "env:OPENROUTER_API_KEY");
  // Its comments document every key of the schema.
  auto text = read_all(path);
  for (const auto& spec : schema()) {
    INFO("key ", spec.table, ".", spec.key);
    CHECK(text.find("#   " + std::string{ spec.key } + ": ") !=
          std::string::npos);
  }
}

TEST_CASE("load reports a missing file") {
  auto result = load("/nonexistent/cluster.conf");
  auto* diags = std::get_if<std::vector<diagnostic>>(&result);
  REQUIRE(diags != nullptr);
  REQUIRE(diags->size() == 1);
  CHECK(diags->front().to_string().rfind(
          "/nonexistent/cluster.conf:1:1: error: cannot read", 0) == 0);
}

// -- rendering ----------------------------------------------------------------

TEST_CASE("render_effective round-trips through parse") {
  auto path = source_dir() / "cluster.conf";
  auto shipped = config_of(read_all(path), path.string());
  auto text = render_effective(shipped);
  INFO(text);
  auto again = config_of(text, "effective.conf");
  check_same(shipped, again);
  // Every key is printed, defaults included.
  for (const auto& spec : schema())
    CHECK(text.find("\n" + std::string{ spec.key } + " = ") !=
          std::string::npos);
}

TEST_CASE("render_effective round-trips unusual values") {
  auto cfg = config_of(R"([cluster]
name = "quote \" backslash \\ tab \t é"
heartbeat_ms = 10
failure_timeout_ms = 600000
log_level = "off"

[[node]]
name = "n0_x-1"
host = "::1"
port = 65535
roles = ["gpu_worker", "pipeline"]
standby = ["edge", "monitoring"]
gpus = 64

[roles.pipeline]
move_back = true

[services.a_b]
api_key = "file:/run/secrets/key \"x\""
base_url = "https://example.com/v1"
timeout_ms = 1
)");
  auto text = render_effective(cfg);
  INFO(text);
  check_same(cfg, config_of(text));
}

TEST_CASE("render_effective redacts literal secrets and keeps references") {
  auto cfg = config_of(with_cluster(node("a", 1) + R"(
[services.literal]
api_key = "sk-live-0123456789"

[services.env]
api_key = "env:OPENROUTER_API_KEY"

[services.file]
api_key = "file:/run/secrets/tavily"

[services.esc]
api_key = "esc:acme/prod#tavily.key"

[services.none]
base_url = "http://127.0.0.1:9000"
)"));
  // The loaded value stays usable; only printing hides it.
  CHECK(cfg.services.at("literal").api_key == "sk-live-0123456789");
  auto text = render_effective(cfg);
  INFO(text);
  CHECK(text.find("sk-live") == std::string::npos);
  CHECK(text.find(R"(api_key = "<redacted>")") != std::string::npos);
  CHECK(text.find(R"(api_key = "env:OPENROUTER_API_KEY")") !=
        std::string::npos);
  CHECK(text.find(R"(api_key = "file:/run/secrets/tavily")") !=
        std::string::npos);
  CHECK(text.find(R"(api_key = "esc:acme/prod#tavily.key")") !=
        std::string::npos);
  CHECK(text.find(R"(api_key = "")") != std::string::npos);
  // Still valid TOML: the redacted key reads back as the marker.
  auto again = config_of(text);
  CHECK(again.services.at("literal").api_key == "<redacted>");
}

// -- rejected configurations: one case per rule -------------------------------

TEST_CASE("rejects TOML syntax errors") {
  expect_error(R"([cluster]
name = "t"
heartbeat_ms = = 5
)",
               3,
               16,
               "TOML syntax error in value: could not determine value "
               "type");
  expect_error("[cluster]\nname = \"t\"\n[cluster]\n",
               3,
               1,
               "TOML syntax error in table header: cannot redefine existing "
               "table 'cluster'");
}

TEST_CASE("rejects unknown keys with a suggestion") {
  expect_error(with_cluster("heartbeat = 500\n" + node("a", 1)),
               3,
               1,
               "unknown key 'heartbeat' in [cluster]; did you mean "
               "'heartbeat_ms'?");
  expect_error(with_cluster(node("a", 1) + "role = [\"edge\"]\n"),
               8,
               1,
               "unknown key 'role' in [[node]] 'a'; did you mean 'roles'?");
  expect_error(with_cluster(node("a", 1) + "colour = 3\n"),
               8,
               1,
               "unknown key 'colour' in [[node]] 'a'");
}

TEST_CASE("rejects unknown tables with a suggestion") {
  expect_error(with_cluster(node("a", 1) + "[service.openrouter]\n"),
               8,
               2,
               "unknown table 'service'; did you mean 'services'?");
  expect_error(with_cluster(node("a", 1) + "[[nodes]]\n"),
               8,
               3,
               "unknown table 'nodes'; did you mean 'node'?");
  // Keys above [cluster] are top-level keys, not cluster keys ...
  expect_error("log_level = \"debug\"\n" + with_cluster(node("a", 1)),
               1,
               1,
               "unknown key 'log_level'; did you mean to put it under "
               "[cluster]?");
  // ... and tables written as keys below [cluster] belong to it.
  expect_error(with_cluster("node = []\n" + node("a", 1)),
               3,
               1,
               "unknown key 'node' in [cluster]; did you mean a [[node]] "
               "block?");
}

TEST_CASE("rejects values of the wrong type") {
  expect_error(with_cluster("heartbeat_ms = \"500\"\n" + node("a", 1)),
               3,
               16,
               "heartbeat_ms in [cluster]: expected integer, got string");
  expect_error(with_cluster(node("a", 1) + "gpus = 1.5\n"),
               8,
               8,
               "gpus in [[node]] 'a': expected integer, got float");
  expect_error(with_cluster(node("a", 1, R"("edge")")),
               7,
               9,
               "roles in [[node]] 'a': expected string array, got string");
  expect_error(with_cluster(node("a", 1, R"(["edge", 3])")),
               7,
               18,
               "expected string array, got array containing integer");
  expect_error(with_cluster(node("a", 1) + "[roles.edge]\nfailover = 1\n"),
               9,
               12,
               "failover in [roles.edge]: expected boolean, got "
               "integer");
  expect_error("cluster = 3\n" + node("a", 1),
               1,
               11,
               "expected table [cluster], got integer");
  expect_error(with_cluster("[node]\nname = \"a\"\n"),
               3,
               1,
               "expected [[node]] blocks, got table");
}

TEST_CASE("rejects values out of range") {
  expect_error(with_cluster("heartbeat_ms = 5\n" + node("a", 1)),
               3,
               16,
               "heartbeat_ms in [cluster]: 5 is out of range 10..60000");
  expect_error(with_cluster(node("a", 70000)),
               6,
               8,
               "port in [[node]] 'a': 70000 is out of range 1..65535");
  expect_error(with_cluster(node("a", 1) + "gpus = -1\n"),
               8,
               8,
               "-1 is out of range 0..64");
  expect_error(with_cluster("scheduler_threads = 0\n" + node("a", 1)),
               3,
               21,
               "0 is out of range 1..64");
}

TEST_CASE("rejects strings outside their choices") {
  expect_error(with_cluster("scheduler_policy = \"staeling\"\n" + node("a", 1)),
               3,
               20,
               "scheduler_policy in [cluster]: expected one of \"sharing\", "
               "\"stealing\", got \"staeling\"; did you mean 'stealing'?");
  expect_error(with_cluster("log_level = \"verbose\"\n" + node("a", 1)),
               3,
               13,
               "expected one of \"trace\"");
}

TEST_CASE("rejects invalid node and service names") {
  expect_error(
    with_cluster(node("Edge_1", 1)), 4, 8, "invalid node name 'Edge_1'");
  expect_error(with_cluster(node("-a", 1)), 4, 8, "invalid node name '-a'");
  expect_error(with_cluster(node("a", 1) + "[services.Open-Router]\n"),
               8,
               11,
               "invalid service name 'Open-Router'");
}

TEST_CASE("rejects duplicate node names") {
  expect_error(with_cluster(node("a", 1) + node("a", 2)),
               9,
               8,
               "duplicate node name 'a' (first defined at line 4)");
}

TEST_CASE("rejects duplicate host:port pairs") {
  expect_error(with_cluster(node("a", 7401) + node("b", 7401)),
               11,
               8,
               "duplicate endpoint 127.0.0.1:7401 in [[node]] 'b': node 'a' "
               "already uses it");
}

TEST_CASE("rejects unknown roles with a suggestion") {
  expect_error(with_cluster(node("a", 1, R"(["edge", "monitorign"])")),
               7,
               18,
               "unknown role 'monitorign' in roles of [[node]] 'a'; did you "
               "mean 'monitoring'?");
  expect_error(with_cluster(node("a", 1) + "standby = [\"ai_inteligence\"]\n"),
               8,
               12,
               "unknown role 'ai_inteligence' in standby of [[node]] 'a'; did "
               "you mean 'ai_intelligence'?");
  expect_error(with_cluster(node("a", 1, R"(["dancing"])")),
               7,
               10,
               "unknown role 'dancing' in roles of [[node]] 'a'");
}

TEST_CASE("rejects unknown [roles.X] tables") {
  expect_error(with_cluster(node("a", 1) + "[roles.egde]\nfailover = true\n"),
               8,
               8,
               "unknown role 'egde' in [roles.egde]; did you mean 'edge'?");
}

TEST_CASE("rejects a [roles.X] table for a role no node runs") {
  // Standing by for a role is not running it.
  expect_error(with_cluster(node("a", 1) + "standby = [\"pipeline\"]\n" +
                            "[roles.pipeline]\nfailover = true\n"),
               9,
               8,
               "role 'pipeline' is configured in [roles.pipeline] but no node "
               "runs it");
}

TEST_CASE("rejects a node listing the same role twice") {
  expect_error(with_cluster(node("a", 1, R"(["edge", "pipeline", "edge"])")),
               7,
               30,
               "role 'edge' is listed twice in roles of [[node]] 'a'");
  expect_error(with_cluster(node("a", 1) + "standby = [\"pipeline\", "
                                           "\"pipeline\"]\n"),
               8,
               24,
               "role 'pipeline' is listed twice in standby");
}

TEST_CASE("rejects missing required keys") {
  expect_error(R"([cluster]
heartbeat_ms = 500
[[node]]
name = "a"
host = "h"
port = 1
)",
               1,
               1,
               "missing required key 'name' in [cluster]");
  expect_error(with_cluster("[[node]]\nname = \"a\"\nhost = \"h\"\n"),
               3,
               1,
               "missing required key 'port' in [[node]] 'a'");
  expect_error(with_cluster("[[node]]\nport = 1\nhost = \"h\"\n"),
               3,
               1,
               "missing required key 'name' in [[node]] #1");
}

TEST_CASE("rejects a file without [cluster]") {
  expect_error("\n\n" + node("a", 1), 1, 1, "missing required table [cluster]");
}

TEST_CASE("rejects a file without any [[node]]") {
  expect_error(with_cluster(""),
               1,
               1,
               "no [[node]] blocks: a cluster needs at least one node");
}

TEST_CASE("rejects failure_timeout_ms <= heartbeat_ms") {
  expect_error(with_cluster("heartbeat_ms = 500\nfailure_timeout_ms = 500\n" +
                            node("a", 1)),
               4,
               22,
               "failure_timeout_ms (500) must be greater than heartbeat_ms "
               "(500)");
  // With the timeout defaulted, the heartbeat that broke it is at fault.
  expect_error(with_cluster("heartbeat_ms = 3000\n" + node("a", 1)),
               3,
               16,
               "failure_timeout_ms (2000) must be greater than heartbeat_ms "
               "(3000)");
}

TEST_CASE("reports every problem, in file order") {
  auto diags = errors_of(R"([cluster]
name = "t"
heartbeat_ms = "fast"
colour = "blue"

[[node]]
name = "a"
host = "h"
port = 0
roles = ["edg"]

[[node]]
name = "a"
host = "h"
)");
  std::vector<std::string> lines;
  std::string all;
  for (const auto& d : diags) {
    lines.push_back(d.to_string());
    all += lines.back() + '\n';
  }
  INFO("diagnostics:\n", all);
  REQUIRE(lines.size() == 6);
  CHECK(lines[0].rfind("test.conf:3:16: error: heartbeat_ms", 0) == 0);
  CHECK(lines[1].rfind("test.conf:4:1: error: unknown key 'colour'", 0) == 0);
  CHECK(lines[2].rfind("test.conf:9:8: error: port", 0) == 0);
  CHECK(lines[3].rfind("test.conf:10:10: error: unknown role 'edg'", 0) == 0);
  CHECK(lines[4].rfind("test.conf:12:1: error: missing required key 'port'",
                       0) == 0);
  CHECK(lines[5].rfind("test.conf:13:8: error: duplicate node name 'a'", 0) ==
        0);
}
