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

/// A valid [[node]] block; it takes five lines.
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

/// A valid cluster of one edge node, lines 1 to 7, followed by `rest`.
std::string with_edge_node(std::string_view rest) {
  return with_cluster(node("a", 7401) + std::string{ rest });
}

/// Compares everything the file says, not where it said it.
// Compares every key of a list of keys.hpp: a key added there is compared
// here without another line.
#define SAME_KEY(TYPE, NAME, ...) CHECK_MESSAGE(x.NAME == y.NAME, #NAME);

template <class Map, class F>
void check_same_tables(const Map& a, const Map& b, F check) {
  REQUIRE(a.size() == b.size());
  for (const auto& [name, x] : a) {
    REQUIRE(b.count(name) == 1);
    CHECK(x.name == b.at(name).name);
    check(x, b.at(name));
  }
}

/// Checks that `a` and `b` have the same value for every key.
void check_same(const cluster_config& x, const cluster_config& y) {
  SOPHIA_CONFIG_KEYS_CLUSTER(SAME_KEY)
  REQUIRE(x.nodes.size() == y.nodes.size());
  for (size_t i = 0; i < x.nodes.size(); ++i) {
    auto check = [](const node_config& x, const node_config& y) {
      SOPHIA_CONFIG_KEYS_NODE(SAME_KEY)
    };
    check(x.nodes[i], y.nodes[i]);
  }
  check_same_tables(x.roles, y.roles, [](auto& x, auto& y) {
    SOPHIA_CONFIG_KEYS_ROLE(SAME_KEY)
  });
  check_same_tables(x.services, y.services, [](auto& x, auto& y) {
    SOPHIA_CONFIG_KEYS_SERVICE(SAME_KEY)
  });
  check_same_tables(x.models, y.models, [](auto& x, auto& y) {
    SOPHIA_CONFIG_KEYS_MODEL(SAME_KEY)
  });
  [](const edge_config& x, const edge_config& y) {
    SOPHIA_CONFIG_KEYS_EDGE(SAME_KEY)
  }(x.edge, y.edge);
  check_same_tables(x.api_keys, y.api_keys, [](auto& x, auto& y) {
    SOPHIA_CONFIG_KEYS_API_KEY(SAME_KEY)
  });
  [](const conformance_config& x, const conformance_config& y) {
    SOPHIA_CONFIG_KEYS_CONFORMANCE(SAME_KEY)
  }(x.conformance, y.conformance);
  [](const pipeline_config& x, const pipeline_config& y) {
    SOPHIA_CONFIG_KEYS_PIPELINE(SAME_KEY)
  }(x.pipeline, y.pipeline);
  check_same_tables(x.pipeline.sources, y.pipeline.sources, [](auto& x, auto& y) {
    SOPHIA_CONFIG_KEYS_PIPELINE_SOURCE(SAME_KEY)
    CHECK(x.config_json == y.config_json);
  });
}

#undef SAME_KEY

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
  CHECK(cfg.nodes[0].edge_port == node_config{}.edge_port);
  edge_config edge;
  CHECK(cfg.edge.address == edge.address);
  CHECK(cfg.edge.port == edge.port);
  CHECK(cfg.edge.allowed_hosts == edge.allowed_hosts);
  CHECK(cfg.edge.max_body_bytes == edge.max_body_bytes);
  CHECK(cfg.edge.call_timeout_ms == edge.call_timeout_ms);
  CHECK(cfg.edge.idle_timeout_ms == edge.idle_timeout_ms);
  CHECK(cfg.edge.session_idle_ms == edge.session_idle_ms);
  CHECK(cfg.edge.max_sessions == edge.max_sessions);
  CHECK(cfg.edge.replay_events == edge.replay_events);
  CHECK(cfg.edge.replay_bytes == edge.replay_bytes);
  CHECK(cfg.edge.header_timeout_ms == edge.header_timeout_ms);
  CHECK(cfg.edge.max_connections == edge.max_connections);
  CHECK(cfg.edge.sse_keepalive_ms == edge.sse_keepalive_ms);
  CHECK(cfg.edge.max_sessions_per_client == edge.max_sessions_per_client);
  CHECK(cfg.edge.replay_budget_bytes == edge.replay_budget_bytes);
  CHECK(cfg.edge.failover_wait_ms == edge.failover_wait_ms);
  CHECK(cfg.edge.page_size == edge.page_size);
  CHECK(cfg.edge.io_threads == edge.io_threads);
  CHECK(cfg.edge.ai_intelligence_port == edge.ai_intelligence_port);
  CHECK(cfg.edge.data_intelligence_port == edge.data_intelligence_port);
  CHECK(cfg.edge.infrastructure_intelligence_port ==
        edge.infrastructure_intelligence_port);
  CHECK(cfg.edge.business_intelligence_port == edge.business_intelligence_port);
  CHECK(cfg.api_keys.empty());
  CHECK(cfg.conformance.enabled == conformance_config{}.enabled);
  CHECK(cfg.conformance.role == conformance_config{}.role);
}

TEST_CASE("[edge], [api_keys] and [conformance] have documented defaults") {
  auto cfg = config_of(with_cluster(node("a", 1) + R"(
[api_keys.ops]
key = "env:SOPHIA_MCP_KEY"
)"));
  CHECK(cfg.edge.address == "127.0.0.1");
  CHECK(cfg.edge.port == 8080);
  CHECK(cfg.edge.allowed_hosts.empty());
  CHECK(cfg.edge.max_body_bytes == 4194304);
  CHECK(cfg.edge.call_timeout_ms == 60000);
  CHECK(cfg.edge.idle_timeout_ms == 300000);
  CHECK(cfg.edge.session_idle_ms == 1800000);
  CHECK(cfg.edge.max_sessions == 10000);
  CHECK(cfg.edge.replay_events == 256);
  CHECK(cfg.edge.replay_bytes == 1048576);
  CHECK(cfg.edge.header_timeout_ms == 10000);
  CHECK(cfg.edge.max_connections == 4096);
  CHECK(cfg.edge.sse_keepalive_ms == 15000);
  CHECK(cfg.edge.max_sessions_per_client == 1000);
  CHECK(cfg.edge.replay_budget_bytes == 67108864);
  CHECK(cfg.edge.failover_wait_ms == 5000);
  CHECK(cfg.edge.page_size == 100);
  CHECK(cfg.edge.io_threads == 1);
  CHECK(cfg.edge.ai_intelligence_port == 0);
  CHECK(cfg.edge.data_intelligence_port == 0);
  CHECK(cfg.edge.infrastructure_intelligence_port == 0);
  CHECK(cfg.edge.business_intelligence_port == 0);
  CHECK(cfg.nodes[0].edge_port == 0);
  CHECK(cfg.nodes[0].mcp_port(cfg.edge) == 8080);
  REQUIRE(cfg.api_keys.size() == 1);
  const auto& ops = cfg.api_keys.at("ops");
  CHECK(ops.name == "ops");
  CHECK(ops.key == "env:SOPHIA_MCP_KEY");
  CHECK(ops.tools == std::vector<std::string>{ "*" });
  CHECK(ops.position.line == 9);
  CHECK(ops.position.column == 1);
  CHECK_FALSE(cfg.conformance.enabled);
  CHECK(cfg.conformance.role == "business_intelligence");
}

TEST_CASE("[edge], [api_keys] and [conformance] override the defaults") {
  auto cfg = config_of(R"([cluster]
name = "t"

[edge]
address = "::"
port = 9000
allowed_hosts = ["sophia.example.com", "10.0.0.5"]
max_body_bytes = 1024
call_timeout_ms = 3600000
idle_timeout_ms = 100
session_idle_ms = 1000
max_sessions = 1
replay_events = 0
replay_bytes = 0
page_size = 10000
io_threads = 64
ai_intelligence_port = 9001
data_intelligence_port = 9002
infrastructure_intelligence_port = 9003
business_intelligence_port = 9004

[[node]]
name = "edge-1"
host = "10.0.0.1"
port = 7401
roles = ["edge"]

[[node]]
name = "edge-2"
host = "10.0.0.2"
port = 7402
roles = ["edge", "data_intelligence"]
edge_port = 9100

[[node]]
name = "edge-3"
host = "10.0.0.3"
port = 7401
roles = ["pipeline"]
standby = ["edge"]
edge_port = 9000

[api_keys.ops]
key = "file:/run/secrets/mcp"
tools = ["*"]

[api_keys.hashed]
key = "sha256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
tools = ["sophia.*", "data_*"]

[conformance]
enabled = true
role = "data_intelligence"
)");
  CHECK(cfg.edge.address == "::");
  CHECK(cfg.edge.port == 9000);
  CHECK(cfg.edge.allowed_hosts ==
        std::vector<std::string>{ "sophia.example.com", "10.0.0.5" });
  CHECK(cfg.edge.max_body_bytes == 1024);
  CHECK(cfg.edge.call_timeout_ms == 3600000);
  CHECK(cfg.edge.idle_timeout_ms == 100);
  CHECK(cfg.edge.session_idle_ms == 1000);
  CHECK(cfg.edge.max_sessions == 1);
  CHECK(cfg.edge.replay_events == 0);
  CHECK(cfg.edge.replay_bytes == 0);
  CHECK(cfg.edge.page_size == 10000);
  CHECK(cfg.edge.io_threads == 64);
  CHECK(cfg.edge.ai_intelligence_port == 9001);
  CHECK(cfg.edge.data_intelligence_port == 9002);
  CHECK(cfg.edge.infrastructure_intelligence_port == 9003);
  CHECK(cfg.edge.business_intelligence_port == 9004);
  CHECK(cfg.nodes[0].mcp_port(cfg.edge) == 9000);
  CHECK(cfg.nodes[1].edge_port == 9100);
  CHECK(cfg.nodes[1].mcp_port(cfg.edge) == 9100);
  CHECK(cfg.nodes[2].mcp_port(cfg.edge) == 9000);
  REQUIRE(cfg.api_keys.size() == 2);
  CHECK(cfg.api_keys.at("ops").key == "file:/run/secrets/mcp");
  CHECK(cfg.api_keys.at("hashed").tools ==
        std::vector<std::string>{ "sophia.*", "data_*" });
  CHECK(cfg.conformance.enabled);
  CHECK(cfg.conformance.role == "data_intelligence");
}

TEST_CASE("edge nodes share a host through edge_port") {
  auto cfg = config_of(
    with_cluster(node("a", 7401) + node("b", 7402) + "edge_port = 8081\n" +
                 node("c", 7403, R"(["pipeline"])") +
                 "standby = [\"edge\"]\nedge_port = 8082\n"));
  CHECK(cfg.nodes[0].mcp_port(cfg.edge) == 8080);
  CHECK(cfg.nodes[1].mcp_port(cfg.edge) == 8081);
  CHECK(cfg.nodes[2].mcp_port(cfg.edge) == 8082);
  // Nodes on other hosts may use the same ports.
  auto other = config_of(
    with_cluster(node("a", 7401) +
                 "[[node]]\nname = \"b\"\nhost = \"10.0.0.2\"\nport = "
                 "7401\nroles = [\"edge\"]\n[edge]\nai_intelligence_port = "
                 "9001\n"));
  CHECK(other.nodes[1].mcp_port(other.edge) == 8080);
}

TEST_CASE("[edge] address takes IPv4, IPv6 and localhost") {
  for (auto addr :
       { "0.0.0.0", "192.168.1.20", "::1", "fe80::1", "localhost" }) {
    INFO(addr);
    auto cfg = config_of(
      with_edge_node(std::string{ "[edge]\naddress = \"" } + addr + "\"\n"));
    CHECK(cfg.edge.address == addr);
  }
}

TEST_CASE("a disabled [conformance] may name a role no node runs") {
  auto cfg = config_of(
    with_edge_node("[conformance]\nenabled = false\nrole = \"gpu_worker\"\n"));
  CHECK_FALSE(cfg.conformance.enabled);
  CHECK(cfg.conformance.role == "gpu_worker");
}

TEST_CASE("is_api_key_reference") {
  auto hex = std::string(64, 'a');
  CHECK(is_api_key_reference("env:X"));
  CHECK(is_api_key_reference("file:/k"));
  CHECK(is_api_key_reference("sha256:" + hex));
  CHECK(is_api_key_reference("sha256:" + std::string(64, 'F')));
  CHECK_FALSE(is_api_key_reference("env:"));
  CHECK_FALSE(is_api_key_reference("file:"));
  CHECK_FALSE(is_api_key_reference("sha256:" + hex + "a"));
  CHECK_FALSE(is_api_key_reference("sha256:" + hex.substr(1) + "g"));
  CHECK_FALSE(is_api_key_reference("esc:acme/prod#key"));
  CHECK_FALSE(is_api_key_reference("sk-live-0123"));
  CHECK_FALSE(is_api_key_reference(""));
}

TEST_CASE("node_config, find_node and known_roles") {
  node_config n;
  n.host = "::1";
  n.port = 7401;
  CHECK(n.endpoint() == "[::1]:7401");
  n.host = "localhost";
  CHECK(n.endpoint() == "localhost:7401");
  edge_config edge;
  CHECK(n.mcp_port(edge) == 8080);
  edge.port = 9000;
  CHECK(n.mcp_port(edge) == 9000);
  n.edge_port = 8081;
  CHECK(n.mcp_port(edge) == 8081);
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
        std::vector<std::string>{ "data_intelligence", "monitoring" });
  CHECK(cfg.find_node("data-1")->standby ==
        std::vector<std::string>{ "ai_intelligence" });
  CHECK(cfg.roles.at("ai_intelligence").failover);
  CHECK(cfg.roles.at("data_intelligence").failover);
  CHECK(cfg.roles.at("monitoring").failover);
  CHECK(cfg.services.at("openrouter").api_key == "env:OPENROUTER_API_KEY");
  // `tools/sophia up` serves MCP on 127.0.0.1:8080, without keys or fixtures.
  CHECK(cfg.find_node("edge-1")->roles.front() == "edge");
  CHECK(cfg.edge.address == "127.0.0.1");
  CHECK(cfg.find_node("edge-1")->mcp_port(cfg.edge) == 8080);
  CHECK(cfg.api_keys.empty());
  CHECK_FALSE(cfg.conformance.enabled);
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
  // The shipped file has no [api_keys.NAME]; add one so its keys print too.
  auto shipped = config_of(
    read_all(path) + "\n[api_keys.ops]\nkey = \"env:K\"\n"
      + "\n[models.\"openai/gpt-4o\"]\nprompt_usd_per_mtok = 2.5\nquality_code = 0.1\n"
      + "\n[pipeline.sources.s1]\ncommand = [\"/bin/src\"]\ncatalog = "
        "\"/etc/c.json\"\nconfig = { host = \"h\", n = 2, tls = { on = true } }\n", path.string());
  auto text = render_effective(shipped);
  INFO(text);
  auto again = config_of(text, "effective.conf");
  check_same(shipped, again);
  // Every key is printed, defaults included.
  for (const auto& spec : schema())
    CHECK(text.find("\n" + std::string{ spec.key } + " = ") !=
          std::string::npos);
}

TEST_CASE("the schema follows keys.hpp and the structs' defaults") {
  // Defaults are rendered from default-constructed structs: spot-check that
  // what the loader fills in is what the code sees without a file.
  CHECK(find_key("cluster", "heartbeat_ms")->default_value == "500");
  CHECK(find_key("cluster", "log_level")->default_value == "\"info\"");
  CHECK(find_key("api_keys.*", "tools")->default_value == "[\"*\"]");
  CHECK(find_key("node", "roles")->default_value == "[]");
  CHECK(find_key("roles.*", "failover")->default_value == "false");
  CHECK(find_key("node", "port")->required);
  CHECK(find_key("node", "port")->type == value_type::integer);
  CHECK(find_key("node", "roles")->type == value_type::string_array);
  CHECK(find_key("services.*", "api_key")->secret);
  CHECK(find_key("cluster", "scheduler_policy")->choices.size() == 2);
  for (const auto& spec : schema()) {
    INFO(spec.table, ".", spec.key);
    CHECK(spec.required == spec.default_value.empty());
    CHECK_FALSE(spec.doc.empty());
    if (spec.type == value_type::integer) CHECK(spec.min <= spec.max);
  }
  // A table without a key section in keys.hpp would have no keys.
  for (const auto& table : tables())
    CHECK_MESSAGE(!keys_of(table.keys).empty(), table.name);
}

TEST_CASE("render_reference documents every key") {
  auto text = render_reference();
  for (const auto& table : tables())
    CHECK(text.find("## `" + std::string{ table.header } + "`") !=
          std::string::npos);
  for (const auto& spec : schema()) {
    INFO(spec.table, ".", spec.key);
    CHECK(text.find("| `" + std::string{ spec.key } + "` | " +
                    std::string{ to_string(spec.type) } + " | ") !=
          std::string::npos);
  }
  CHECK(text.find("| `heartbeat_ms` | integer | `500` | 10 … 60000 | "
                  "interval of BASP heartbeats") != std::string::npos);
  CHECK(text.find("| `log_level` | string | `\"info\"` | trace, debug, info, "
                  "warn, error, off |") != std::string::npos);
  CHECK(text.find("| `name` | string | required |") != std::string::npos);
  CHECK(text.find("| `idle_timeout_ms` | integer | `300000` | ≥ 100 |") !=
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

[edge]
address = "::1"
port = 65535
allowed_hosts = ["a.example", "b \"q\""]
max_body_bytes = 1073741824
idle_timeout_ms = 9223372036854775807
replay_bytes = 0
ai_intelligence_port = 1

[api_keys.a_1]
key = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
tools = ["sophia.*", "x\\y"]

[api_keys.b]
key = "env:B"

[conformance]
enabled = true
role = "pipeline"
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

TEST_CASE("render_effective keeps the references of [api_keys]") {
  auto hash = "sha256:" + std::string(64, 'c');
  auto cfg = config_of(with_edge_node(R"(
[api_keys.e]
key = "env:SOPHIA_MCP_KEY"

[api_keys.f]
key = "file:/run/secrets/mcp"
tools = ["sophia.*"]

[api_keys.h]
key = ")" + hash + "\"\n"));
  auto text = render_effective(cfg);
  INFO(text);
  CHECK(text.find("<redacted>") == std::string::npos);
  CHECK(text.find("[api_keys.e]\nkey = \"env:SOPHIA_MCP_KEY\"\ntools = "
                  "[\"*\"]\n") != std::string::npos);
  CHECK(text.find("[api_keys.f]\nkey = \"file:/run/secrets/mcp\"\ntools = "
                  "[\"sophia.*\"]\n") != std::string::npos);
  CHECK(text.find("[api_keys.h]\nkey = \"" + hash + "\"\n") !=
        std::string::npos);
  CHECK(text.find("\n[edge]\naddress = \"127.0.0.1\"\nport = 8080\n") !=
        std::string::npos);
  CHECK(text.find("\n[conformance]\nenabled = false\nrole = "
                  "\"business_intelligence\"\n") != std::string::npos);
  CHECK(text.find("\nedge_port = 0\n") != std::string::npos);
  check_same(cfg, config_of(text));
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

TEST_CASE("[models.\"ID\"] tables take numbers, floats or integers") {
  auto cfg = config_of(with_edge_node(R"([models."openai/gpt-4o"]
provider = "openrouter"
prompt_usd_per_mtok = 2.5
completion_usd_per_mtok = 10
quality_code = 0.93
capabilities = ["chat", "code"]

[models.local]
quality_simple = 0
)"));
  REQUIRE(cfg.models.size() == 2);
  const auto& m = cfg.models.at("openai/gpt-4o");
  CHECK(m.name == "openai/gpt-4o");
  CHECK(m.provider == "openrouter");
  CHECK(m.prompt_usd_per_mtok == 2.5);
  CHECK(m.completion_usd_per_mtok == 10.0);
  CHECK(m.quality_code == 0.93);
  CHECK(m.quality_simple == -1);
  CHECK(m.context_length == 0);
  CHECK(m.capabilities == std::vector<std::string>{ "chat", "code" });
  CHECK(cfg.models.at("local").quality_simple == 0);
  auto text = render_effective(cfg);
  INFO(text);
  CHECK(text.find("[models.\"openai/gpt-4o\"]") != std::string::npos);
  CHECK(text.find("completion_usd_per_mtok = 10.0\n") != std::string::npos);
  CHECK(text.find("quality_code = 0.93\n") != std::string::npos);
  check_same(cfg, config_of(text, "effective.conf"));
  CHECK(toml_number(0.1) == "0.1");
  CHECK(toml_number(-1) == "-1.0");
  CHECK(toml_number(1e-7) == "1e-07");
}

TEST_CASE("rejects numbers out of range or of the wrong type") {
  expect_error(with_edge_node("[models.m]\nquality_code = 1.5\n"),
               9,
               16,
               "quality_code in [models.m]: 1.5 is out of range -1..1");
  expect_error(with_edge_node("[models.m]\nprompt_usd_per_mtok = \"cheap\"\n"),
               9,
               23,
               "prompt_usd_per_mtok in [models.m]: expected number, got string");
  expect_error(with_edge_node("[models.\"a/b\"]\nquality_simple = nan\n"),
               9,
               18,
               "quality_simple in [models.\"a/b\"]: nan is not a finite number");
  expect_error(with_edge_node("[models.m]\nqualty_code = 0.5\n"),
               9,
               1,
               "unknown key 'qualty_code' in [models.m]; did you mean 'quality_code'?");
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

TEST_CASE("rejects a replicated role that also fails over") {
  expect_error(with_cluster(node("a", 1, R"(["edge", "pipeline"])") +
                            "[roles.pipeline]\nreplicated = true\nfailover = true\n"),
               8,
               8,
               "[roles.pipeline]: replicated = true runs the role on every node "
               "listing it and cannot be combined with failover");
  auto cfg = config_of(with_cluster(node("a", 1, R"(["edge", "pipeline"])") +
                                    node("b", 2, R"(["pipeline"])") +
                                    "[roles.pipeline]\nreplicated = true\n"));
  CHECK(cfg.roles.at("pipeline").replicated);
}

TEST_CASE("rejects cluster-wide AI limits without the limiter's role") {
  expect_error(with_edge_node("[api_keys.team]\nkey = \"env:TEAM_KEY\"\n"
                              "tokens_per_minute = 1000\n"),
               8,
               1,
               "[api_keys.team] tokens_per_minute: the cluster-wide limits are "
               "held by the limiter of role monitoring, which no node runs");
  auto cfg = config_of(with_cluster(node("a", 1, R"(["edge", "monitoring"])") +
                                    "[api_keys.team]\nkey = \"env:TEAM_KEY\"\n"
                                    "daily_budget_cents = 100\n"));
  CHECK(cfg.api_keys.at("team").daily_budget_cents == 100);
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

// -- rejected [edge], [api_keys.NAME] and [conformance] -----------------------

TEST_CASE("rejects unknown [edge], [api_keys] and [conformance] names") {
  expect_error(with_edge_node("[edge]\nprot = 9000\n"),
               9,
               1,
               "unknown key 'prot' in [edge]; did you mean 'port'?");
  expect_error(with_edge_node("[api_key.ops]\nkey = \"env:K\"\n"),
               8,
               2,
               "unknown table 'api_key'; did you mean 'api_keys'?");
  expect_error(with_edge_node("[conformence]\nenabled = false\n"),
               8,
               2,
               "unknown table 'conformence'; did you mean 'conformance'?");
  expect_error(with_edge_node("[api_keys.ops]\nkey = \"env:K\"\ntool = "
                              "[\"*\"]\n"),
               10,
               1,
               "unknown key 'tool' in [api_keys.ops]; did you mean 'tools'?");
  expect_error(with_edge_node("[conformance]\nenable = true\n"),
               9,
               1,
               "unknown key 'enable' in [conformance]; did you mean "
               "'enabled'?");
}

TEST_CASE("rejects [edge], [api_keys] and [conformance] of the wrong type") {
  expect_error("edge = 3\n" + with_edge_node(""),
               1,
               8,
               "edge: expected table [edge], got integer");
  expect_error("conformance = true\n" + with_edge_node(""),
               1,
               15,
               "conformance: expected table [conformance], got boolean");
  expect_error("api_keys = 3\n" + with_edge_node(""),
               1,
               12,
               "api_keys: expected [api_keys.NAME] tables, got integer");
  expect_error(with_edge_node("[api_keys]\nops = 1\n"),
               9,
               7,
               "ops in [api_keys]: expected a [api_keys.NAME] table, got "
               "integer");
  expect_error(with_edge_node("[edge]\nport = \"8080\"\n"),
               9,
               8,
               "port in [edge]: expected integer, got string");
  expect_error(with_edge_node("[edge]\nallowed_hosts = \"a\"\n"),
               9,
               17,
               "allowed_hosts in [edge]: expected string array, got string");
  expect_error(with_edge_node("[api_keys.ops]\nkey = \"env:K\"\ntools = "
                              "\"*\"\n"),
               10,
               9,
               "tools in [api_keys.ops]: expected string array, got string");
  expect_error(with_edge_node("[conformance]\nenabled = \"yes\"\n"),
               9,
               11,
               "enabled in [conformance]: expected boolean, got string");
}

TEST_CASE("rejects [edge] values out of range") {
  struct {
    std::string_view line;
    uint32_t col;
    std::string_view message;
  } cases[] = {
    { "port = -1", 8, "port in [edge]: -1 is out of range 0..65535" },
    { "port = 65536", 8, "port in [edge]: 65536 is out of range 0..65535" },
    { "max_body_bytes = 1023",
      18,
      "max_body_bytes in [edge]: 1023 is out of range 1024..1073741824" },
    { "max_body_bytes = 1073741825",
      18,
      "max_body_bytes in [edge]: 1073741825 is out of range "
      "1024..1073741824" },
    { "call_timeout_ms = 9",
      19,
      "call_timeout_ms in [edge]: 9 is out of range 10..3600000" },
    { "call_timeout_ms = 3600001",
      19,
      "call_timeout_ms in [edge]: 3600001 is out of range 10..3600000" },
    { "idle_timeout_ms = 99",
      19,
      "idle_timeout_ms in [edge]: 99 is below the minimum 100" },
    { "session_idle_ms = 999",
      19,
      "session_idle_ms in [edge]: 999 is below the minimum 1000" },
    { "max_sessions = 0",
      16,
      "max_sessions in [edge]: 0 is below the minimum 1" },
    { "replay_events = -1",
      17,
      "replay_events in [edge]: -1 is out of range 0..100000" },
    { "replay_events = 100001",
      17,
      "replay_events in [edge]: 100001 is out of range 0..100000" },
    { "replay_bytes = -1",
      16,
      "replay_bytes in [edge]: -1 is below the minimum 0" },
    { "page_size = 0", 13, "page_size in [edge]: 0 is out of range 1..10000" },
    { "page_size = 10001",
      13,
      "page_size in [edge]: 10001 is out of range 1..10000" },
    { "io_threads = 0", 14, "io_threads in [edge]: 0 is out of range 1..64" },
    { "io_threads = 65", 14, "io_threads in [edge]: 65 is out of range 1..64" },
    { "ai_intelligence_port = 65536",
      24,
      "ai_intelligence_port in [edge]: 65536 is out of range 0..65535" },
    { "data_intelligence_port = -1",
      26,
      "data_intelligence_port in [edge]: -1 is out of range 0..65535" },
    { "infrastructure_intelligence_port = 70000",
      36,
      "infrastructure_intelligence_port in [edge]: 70000 is out of range "
      "0..65535" },
    { "business_intelligence_port = 65536",
      30,
      "business_intelligence_port in [edge]: 65536 is out of range "
      "0..65535" },
  };
  for (const auto& x : cases) {
    INFO(x.line);
    expect_error(with_edge_node("[edge]\n" + std::string{ x.line } + "\n"),
                 9,
                 x.col,
                 x.message);
  }
  expect_error(with_edge_node("edge_port = 70000\n"),
               8,
               13,
               "edge_port in [[node]] 'a': 70000 is out of range 0..65535");
  expect_error(with_edge_node("edge_port = -1\n"),
               8,
               13,
               "edge_port in [[node]] 'a': -1 is out of range 0..65535");
}

TEST_CASE("rejects an [edge] address that is not an IP address") {
  expect_error(with_edge_node("[edge]\naddress = \"example.com\"\n"),
               9,
               11,
               "address in [edge]: \"example.com\" is not an IPv4 or IPv6 "
               "address or \"localhost\"");
  expect_error(with_edge_node("[edge]\naddress = \"256.0.0.1\"\n"),
               9,
               11,
               "address in [edge]: \"256.0.0.1\" is not an IPv4 or IPv6 "
               "address or \"localhost\"");
  expect_error(with_edge_node("[edge]\naddress = \"\"\n"),
               9,
               11,
               "address in [edge]: \"\" is not an IPv4 or IPv6 address or "
               "\"localhost\"");
  expect_error(with_edge_node("[edge]\naddress = \"[::1]\"\n"),
               9,
               11,
               "address in [edge]: \"[::1]\" is not an IPv4 or IPv6 address "
               "or \"localhost\"; write IPv6 addresses without brackets");
}

TEST_CASE("rejects an empty name in [edge] allowed_hosts") {
  expect_error(with_edge_node("[edge]\nallowed_hosts = [\"a\", \"\"]\n"),
               9,
               23,
               "allowed_hosts in [edge]: a name must not be empty");
}

TEST_CASE("rejects a domain port equal to the MCP port") {
  expect_error(with_edge_node("[edge]\nai_intelligence_port = 8080\n"),
               9,
               24,
               "ai_intelligence_port in [edge]: 8080 is already the MCP port "
               "(port)");
  expect_error(with_edge_node("[edge]\nport = 9000\n"
                              "business_intelligence_port = 9000\n"),
               10,
               30,
               "business_intelligence_port in [edge]: 9000 is already the "
               "MCP port (port)");
  expect_error(with_edge_node("[edge]\nai_intelligence_port = 9001\n"
                              "data_intelligence_port = 9001\n"),
               10,
               26,
               "data_intelligence_port in [edge]: 9001 is already "
               "ai_intelligence_port");
  // A node's edge_port is its MCP port.
  expect_error(with_edge_node("edge_port = 9001\n[edge]\n"
                              "ai_intelligence_port = 9001\n"),
               8,
               13,
               "edge_port in [[node]] 'a': 9001 is already "
               "ai_intelligence_port of [edge]");
}

TEST_CASE("rejects two edge nodes on one host with the same MCP port") {
  expect_error(with_cluster(node("a", 7401) + node("b", 7402)),
               8,
               1,
               "MCP port 8080 of [[node]] 'b' on host 127.0.0.1 is already "
               "the MCP port of edge node 'a'; give one of them its own "
               "edge_port");
  expect_error(with_cluster(node("a", 7401) + "edge_port = 9000\n" +
                            node("b", 7402) + "edge_port = 9000\n"),
               14,
               13,
               "MCP port 9000 of [[node]] 'b' on host 127.0.0.1 is already "
               "the MCP port of edge node 'a'; give one of them its own "
               "edge_port");
  // Only nodes running the edge role bind it.
  config_of(with_cluster(node("a", 7401) + node("b", 7402, R"(["pipeline"])") +
                         "standby = [\"edge\"]\n"));
}

TEST_CASE("rejects an edge port that is a node's cluster port") {
  expect_error(
    with_cluster(node("a", 7401) + node("b", 8080, R"(["pipeline"])")),
    3,
    1,
    "MCP port 8080 of [[node]] 'a' on host 127.0.0.1 is already "
    "the cluster port of node 'b'");
  expect_error(with_edge_node("edge_port = 7401\n"),
               8,
               13,
               "MCP port 7401 of [[node]] 'a' on host 127.0.0.1 is already "
               "the cluster port of node 'a'");
  expect_error(with_edge_node("[edge]\nai_intelligence_port = 7401\n"),
               9,
               24,
               "ai_intelligence_port in [edge]: edge node 'a' would bind 7401 "
               "on host 127.0.0.1, which is already the cluster port of node "
               "'a'");
}

TEST_CASE("rejects domain ports of two edge nodes on one host") {
  expect_error(with_cluster(node("a", 7401) + node("b", 7402) +
                            "edge_port = 8081\n[edge]\n"
                            "ai_intelligence_port = 9001\n"),
               15,
               24,
               "ai_intelligence_port in [edge]: edge node 'b' would bind 9001 "
               "on host 127.0.0.1, which is already ai_intelligence_port of "
               "edge node 'a'");
}

TEST_CASE("rejects edge_port on a node without the edge role") {
  expect_error(
    with_cluster(node("a", 1, R"(["pipeline"])") + "edge_port = 8081\n"),
    8,
    13,
    "edge_port in [[node]] 'a': the node neither runs nor stands by "
    "for the edge role");
}

TEST_CASE("rejects invalid [api_keys.NAME] names") {
  expect_error(with_edge_node("[api_keys.Ops-Key]\nkey = \"env:K\"\n"),
               8,
               11,
               "invalid API key name 'Ops-Key': must match [a-z0-9_]+");
}

TEST_CASE("rejects an [api_keys.NAME] key that is not a reference") {
  constexpr std::string_view literal =
    "key in [api_keys.ops]: must be a reference (env:VAR, file:PATH or "
    "sha256:<64 hex digits>), not the key itself, so that keys never sit in "
    "this file";
  auto key = [](std::string_view value) {
    return with_edge_node("[api_keys.ops]\nkey = \"" + std::string{ value } +
                          "\"\n");
  };
  expect_error(key("sk-live-0123456789"), 9, 7, literal);
  expect_error(key(""), 9, 7, literal);
  expect_error(key("esc:acme/prod#mcp.key"),
               9,
               7,
               "key in [api_keys.ops]: esc: references are not supported for "
               "API keys; use env:VAR, file:PATH or sha256:<64 hex digits>");
  expect_error(key("ENV:SOPHIA_MCP_KEY"), 9, 7, literal);
  // The message never repeats the value: it may be the key itself.
  for (const auto& d : errors_of(key("sk-live-0123456789")))
    CHECK(d.message.find("sk-live") == std::string::npos);
  constexpr std::string_view bad_hash =
    "key in [api_keys.ops]: sha256: must be followed by exactly 64 hex "
    "digits, the SHA-256 of the key";
  expect_error(key("sha256:" + std::string(63, 'a')), 9, 7, bad_hash);
  expect_error(key("sha256:" + std::string(65, 'a')), 9, 7, bad_hash);
  expect_error(key("sha256:" + std::string(63, 'a') + "g"), 9, 7, bad_hash);
  expect_error(key("sha256:"), 9, 7, bad_hash);
  expect_error(key("env:"),
               9,
               7,
               "key in [api_keys.ops]: env: must be followed by the name of "
               "an environment variable");
  expect_error(key("file:"),
               9,
               7,
               "key in [api_keys.ops]: file: must be followed by the path of "
               "a file");
  expect_error(with_edge_node("[api_keys.ops]\ntools = [\"*\"]\n"),
               8,
               1,
               "missing required key 'key' in [api_keys.ops]");
}

TEST_CASE("rejects empty [api_keys.NAME] tools") {
  expect_error(with_edge_node("[api_keys.ops]\nkey = \"env:K\"\ntools = []\n"),
               10,
               9,
               "tools in [api_keys.ops]: must list at least one pattern (\"*\" "
               "allows every tool)");
  expect_error(with_edge_node("[api_keys.ops]\nkey = \"env:K\"\n"
                              "tools = [\"sophia.*\", \"\"]\n"),
               10,
               22,
               "tools in [api_keys.ops]: a pattern must not be empty");
}

TEST_CASE("rejects an unknown [conformance] role with a suggestion") {
  expect_error(with_edge_node("[conformance]\nrole = "
                              "\"busines_intelligence\"\n"),
               9,
               8,
               "unknown role 'busines_intelligence' in role of [conformance]; "
               "did you mean 'business_intelligence'?");
  expect_error(with_edge_node("[conformance]\nrole = \"fixtures\"\n"),
               9,
               8,
               "unknown role 'fixtures' in role of [conformance]");
}

TEST_CASE("rejects an enabled [conformance] whose role no node runs") {
  expect_error(with_edge_node("[conformance]\nenabled = true\n"),
               9,
               11,
               "[conformance] is enabled but no node runs role "
               "'business_intelligence'");
  // Standing by for a role is not running it.
  expect_error(with_edge_node("standby = [\"pipeline\"]\n[conformance]\n"
                              "enabled = true\nrole = \"pipeline\"\n"),
               11,
               8,
               "[conformance] is enabled but no node runs role 'pipeline'");
}

// -- [pipeline.sources.NAME] --------------------------------------------------

TEST_CASE("a pipeline source is read with its config as JSON") {
  auto cfg = config_of(with_edge_node(R"([pipeline]
batch_records = 10

[pipeline.sources.github]
command = ["python3", "/opt/src/main.py"]
catalog = "catalogs/github.json"
schedule_s = 300
config = { repo = "acme/x", token = "env:GH_TOKEN", pages = [1, 2], opt = { deep = true } }

[pipeline.sources.local]
command = ["/usr/bin/src"]
catalog = "/abs/catalog.json"
)"),
                       "/etc/sophia/cluster.conf");
  CHECK(cfg.pipeline.batch_records == 10);
  REQUIRE(cfg.pipeline.sources.size() == 2);
  const auto& gh = cfg.pipeline.sources.at("github");
  CHECK(gh.name == "github");
  CHECK(gh.command
        == std::vector<std::string>{ "python3", "/opt/src/main.py" });
  CHECK(gh.catalog == "/etc/sophia/catalogs/github.json");
  CHECK(gh.schedule_s == 300);
  CHECK(gh.timeout_s == 3600);
  // References stay references: they are resolved when the command runs.
  CHECK(gh.config_json
        == R"({"opt":{"deep":true},"pages":[1,2],"repo":"acme/x","token":"env:GH_TOKEN"})");
  const auto& local = cfg.pipeline.sources.at("local");
  CHECK(local.catalog == "/abs/catalog.json");
  CHECK(local.config_json == "{}");
  CHECK(local.schedule_s == 0);
}

TEST_CASE("bad pipeline sources are reported at their key") {
  // Lines 1-7 are the cluster and its node.
  expect_error(with_edge_node("[pipeline.sources.s]\ncatalog = \"c.json\"\n"),
               8, 1, "missing required key 'command' in [pipeline.sources.s]");
  expect_error(with_edge_node("[pipeline.sources.s]\ncommand = []\n"
                              "catalog = \"c.json\"\n"),
               9, 11, "command in [pipeline.sources.s]: must name the program");
  expect_error(with_edge_node("[pipeline.sources.s]\ncommand = [\"x\"]\n"
                              "catalog = \"c.json\"\ntimeout_s = 0\n"),
               11, 13, "timeout_s in [pipeline.sources.s]: 0 is out of range");
  expect_error(with_edge_node("[pipeline.sources.s]\ncommand = [\"x\"]\n"
                              "catalog = \"c.json\"\nconfig = 3\n"),
               11, 10, "config in [pipeline.sources.s]: expected a table");
  expect_error(with_edge_node("[pipeline.sources.s]\ncommand = [\"x\"]\n"
                              "catalog = \"c.json\"\nschedule = 5\n"),
               11, 1, "unknown key 'schedule' in [pipeline.sources.s]; did "
                      "you mean 'schedule_s'?");
  expect_error(with_edge_node("[pipeline.sources.Bad]\ncommand = [\"x\"]\n"
                              "catalog = \"c.json\"\n"),
               8, 19, "invalid source name 'Bad'");
  expect_error(with_edge_node("[pipeline]\nsources = 1\n"), 9, 11,
               "sources in [pipeline]: expected [pipeline.sources.NAME] "
               "tables");
}

TEST_CASE("render_effective prints a source's config without literal "
          "secrets") {
  auto cfg = config_of(with_edge_node(
    "[pipeline.sources.db]\ncommand = [\"src\"]\ncatalog = \"/c.json\"\n"
    "config = { host = \"h\", password = \"hunter2\", auth = { api_key = "
    "\"env:DB_KEY\" }, credentials = { user = \"u\" } }\n"));
  auto text = render_effective(cfg);
  INFO(text);
  CHECK(text.find("[pipeline.sources.db]") != std::string::npos);
  CHECK(text.find("\"host\" = \"h\"") != std::string::npos);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("\"password\" = \"<redacted>\"") != std::string::npos);
  CHECK(text.find("\"api_key\" = \"env:DB_KEY\"") != std::string::npos);
  CHECK(text.find("\"user\" = \"<redacted>\"") != std::string::npos);
}

TEST_CASE("[pipeline] embedder: hashing, or an AI service with an embed "
          "tool and its model") {
  auto cfg = config_of(with_edge_node(""));
  CHECK(cfg.pipeline.embedder == "hashing");
  CHECK(cfg.pipeline.embedding_batch == 64);
  CHECK(cfg.pipeline.embedding_timeout_ms == 30000);
  cfg = config_of(with_edge_node(
    "[services.together_ai]\napi_key = \"env:K\"\n\n[pipeline]\n"
    "embedder = \"together_ai\"\nembedding_model = \"BAAI/bge-base-en-v1.5\"\n"
    "vector_dimension = 768\nembedding_batch = 16\n"));
  CHECK(cfg.pipeline.embedder == "together_ai");
  CHECK(cfg.pipeline.embedding_model == "BAAI/bge-base-en-v1.5");
  CHECK(cfg.pipeline.embedding_batch == 16);
  // Any OpenAI-compatible endpoint has an embed tool.
  cfg = config_of(with_edge_node(
    "[services.local]\nkind = \"openai_compatible\"\nbase_url = "
    "\"http://127.0.0.1:9/v1\"\n\n[pipeline]\nembedder = \"local\"\n"
    "embedding_model = \"m\"\n"));
  CHECK(cfg.pipeline.embedder == "local");
  // A service needs its model.
  expect_error(with_edge_node("[services.together_ai]\napi_key = \"env:K\"\n\n"
                              "[pipeline]\nembedder = \"together_ai\"\n"),
               11, 1,
               "embedding_model in [pipeline]: required when embedder = "
               "\"together_ai\"");
  // Not a service, or one without an embed tool.
  expect_error(with_edge_node("[pipeline]\nembedder = \"together\"\n"
                              "embedding_model = \"m\"\n"),
               9, 12, "embedder in [pipeline]: expected \"hashing\" or a "
                      "configured AI service with an embed tool");
  expect_error(with_edge_node("[services.openrouter]\napi_key = \"env:K\"\n\n"
                              "[pipeline]\nembedder = \"openrouter\"\n"
                              "embedding_model = \"m\"\n"),
               12, 12, "got \"openrouter\"");
  expect_error(with_edge_node("[pipeline]\nembedding_batch = 0\n"), 9, 19,
               "embedding_batch");
}
