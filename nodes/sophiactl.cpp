// sophiactl: talk to a running Sophia cluster.
//
//   sophiactl --config FILE [--node NAME] status [--json]
//   sophiactl --config FILE [--node NAME] reload
//   sophiactl --config FILE [--node NAME] registry [--json]
//   sophiactl --config FILE [--node NAME] tree [--json]
//   sophiactl --config FILE [--node NAME] services [--json]
//   sophiactl --config FILE [--node NAME] call NAME METHOD [PAYLOAD]
//   sophiactl --config FILE ingest --airbyte FILE|- --catalog CATALOG [--source NAME]
//   sophiactl --config FILE pipeline status|query SQL|tail TABLE [--max-rows N] [--json]
//   sophiactl --config FILE pipeline search QUERY [--k N] [--json]
//   sophiactl --config FILE pipeline replay-dead-letters SOURCE [--catalog FILE] [--max-rows N]
//
// It reaches the first live node of FILE (or NAME) and asks it. Exit codes:
// 0 ok, 1 no node reachable or the request failed, 2 bad usage or config.

#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <nlohmann/json.hpp>

#include "actors/ai/services_status.hpp"
#include "nodes/ctl_analytics.hpp"
#include "nodes/ctl_pipeline.hpp"
#include "runtime/call/call.hpp"
#include "runtime/config/loader.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/membership/view_format.hpp"
#include "runtime/node/connector.hpp"
#include "runtime/placement/decide.hpp"
#include "runtime/supervision/tree_codec.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/system/setup.hpp"
#include "runtime/wire/codec.hpp"

namespace {

using namespace sophia::runtime;
using std::chrono::milliseconds;


struct args {
  std::string config;
  std::string node;
  std::string command;
  std::vector<std::string> operands;
  bool json = false;
  int64_t timeout_ms = 2000;
  int64_t deadline_ms = 5000;
  sophia::nodes::ingest_args ingest;
  int64_t max_rows = 0;
  sophia::nodes::analytics_args analytics;
};

int usage_error(const std::string& msg) {
  std::cerr << "sophiactl: " << msg << "\nRun `sophiactl --help` for usage.\n";
  return 2;
}

/// A node reached: its name and membership actor.
struct reached {
  std::string name;
  caf::actor membership;
};

class ctl {
public:
  ctl(caf::actor_system& sys,
      const config::cluster_config& cluster,
      const args& a)
    : sys_(sys)
    , cluster_(cluster)
    , args_(a)
    , self_(sys)
    , connector_(node::spawn_connector(sys)) {}

  ~ctl() { caf::anon_send_exit(connector_, caf::exit_reason::user_shutdown); }

  /// Connects to the candidate nodes in file order; stops at the first
  /// reachable one unless `all`.
  std::vector<reached> connect(bool all) {
    std::vector<reached> out;
    for (auto& n : cluster_.nodes) {
      if (!args_.node.empty() && n.name != args_.node) continue;
      self_
        ->request(
          connector_, timeout(), caf::connect_atom::value, n.host, n.port)
        .receive(
          [&](caf::actor& a) {
            out.push_back({ n.name, std::move(a) });
          },
          [&](caf::error& err) {
            failures_ +=
              "\n  " + n.name + " (" + n.endpoint() + "): " + sys_.render(err);
          });
      if (!out.empty() && !all) break;
    }
    return out;
  }

  int unreachable() {
    std::cerr << "sophiactl: no node of cluster '" << cluster_.name
              << "' is reachable (" << cluster_.source << "):" << failures_
              << "\n";
    return 1;
  }

  int status() {
    auto nodes = connect(false);
    for (auto& n : nodes) {
      int rc = -1;
      self_->request(n.membership, timeout(), atoms::status::value)
        .receive(
          [&](const wire::buffer& buf) {
            auto view = wire::decode_membership_view(buf);
            if (!view) {
              std::cerr << "sophiactl: " << sys_.render(view.error()) << "\n";
              rc = 1;
              return;
            }
            auto running = running_roles(n);
            if (args_.json)
              std::cout << membership::to_json(*view, 2, &running) << "\n";
            else
              std::cout << membership::to_table(*view, now_ms(), &running);
            rc = 0;
          },
          [&](caf::error& err) {
            failures_ += "\n  " + n.name + ": " + sys_.render(err);
          });
      if (rc >= 0) return rc;
    }
    return unreachable();
  }

  int reload() {
    auto nodes = connect(true);
    if (nodes.empty()) return unreachable();
    int rc = 0;
    for (auto& n : nodes)
      self_->request(n.membership, milliseconds{ 10'000 }, atoms::reload::value)
        .receive(
          [&](const std::string& summary) {
            std::cout << n.name << ": " << summary << "\n";
          },
          [&](caf::error& err) {
            std::cout << n.name << ": " << sys_.render(err) << "\n";
            rc = 1;
          });
    if (!failures_.empty())
      std::cerr << "sophiactl: not reached:" << failures_ << "\n";
    return rc;
  }

  /// Asks a node for its registry actor.
  caf::actor registry_of(const reached& n) {
    caf::actor result;
    self_
      ->request(
        n.membership, timeout(), caf::get_atom::value, atoms::registry::value)
      .receive([&](caf::actor& a) { result = std::move(a); },
               [&](caf::error& err) {
                 failures_ += "\n  " + n.name + ": " + sys_.render(err);
               });
    return result;
  }

  /// Every `name@node` in the registry as node `n` sees it, or nothing.
  std::optional<std::vector<std::string>> registry_names(const reached& n) {
    auto reg = registry_of(n);
    if (!reg) return std::nullopt;
    std::optional<std::vector<std::string>> result;
    self_->request(reg, timeout(), caf::get_atom::value, atoms::all::value)
      .receive(
        [&](std::vector<std::string>& names) { result = std::move(names); },
        [&](caf::error& err) {
          failures_ += "\n  " + n.name + ": " + sys_.render(err);
        });
    return result;
  }

  /// Where roles run now: the registry's `role.NAME` entries, by node.
  membership::running_roles running_roles(const reached& n) {
    membership::running_roles out;
    for (auto& x : registry_names(n).value_or(std::vector<std::string>{})) {
      auto at = x.rfind('@');
      if (auto role = placement::role_of(x.substr(0, at)))
        out[x.substr(at + 1)].push_back(*role);
    }
    return out;
  }

  int tree() {
    for (auto& n : connect(false)) {
      int rc = -1;
      self_
        ->request(n.membership,
                  timeout(),
                  caf::get_atom::value,
                  supervision::atoms::tree::value)
        .receive(
          [&](const wire::buffer& buf) {
            auto t = supervision::decode_tree_snapshot(buf);
            if (!t) {
              std::cerr << "sophiactl: " << sys_.render(t.error()) << "\n";
              rc = 1;
              return;
            }
            std::cout << (args_.json ? supervision::to_json(*t, 2) + "\n"
                                     : supervision::to_text(*t));
            rc = 0;
          },
          [&](caf::error& err) {
            failures_ += "\n  " + n.name + ": " + sys_.render(err);
          });
      if (rc >= 0) return rc;
    }
    return unreachable();
  }

  int registry() {
    for (auto& n : connect(false)) {
      auto names = registry_names(n);
      if (!names) continue;
      if (!args_.json) {
        for (auto& x : *names)
          std::cout << x << "\n";
        return 0;
      }
      nlohmann::json entries = nlohmann::json::array();
      for (auto& x : *names) {
        auto at = x.rfind('@');
        entries.push_back(
          { { "name", x.substr(0, at) }, { "node", x.substr(at + 1) } });
      }
      std::cout << nlohmann::json{
        { "seen_from", n.name }, { "entries", entries }
      }.dump(2) << "\n";
      return 0;
    }
    return unreachable();
  }

  /// Every [services.NAME]: from the file, with the live state of the node
  /// running the AI role when one answers.
  int services() {
    auto rows = sophia::actors::ai::service_rows(cluster_);
    std::string live_error = "no node is reachable";
    bool live = false;
    for (auto& n : connect(false)) {
      auto reg = registry_of(n);
      if (!reg) continue;
      call::request req{ "resources/read",
                         R"({"uri":"sophia://services"})",
                         milliseconds{ args_.deadline_ms },
                         "sophiactl",
                         "" };
      auto result = call::call(self_, reg, "mcp.services", req);
      if (!result) {
        live_error = sys_.render(result.error());
        break;
      }
      auto doc = nlohmann::json::parse(*result, nullptr, false);
      if (doc.is_object() && doc.contains("contents")) {
        auto inner = nlohmann::json::parse(
          doc["contents"][0].value("text", std::string{}), nullptr, false);
        if (inner.is_object() && inner.contains("services")) {
          rows = inner["services"];
          live = true;
        }
      }
      break;
    }
    if (!live) sophia::actors::ai::add_live_state(rows, nlohmann::json::object());
    if (args_.json) {
      std::cout << nlohmann::json{ { "live", live }, { "services", rows } }.dump(2)
                << "\n";
    } else {
      std::cout << sophia::actors::ai::services_table(rows);
      if (!live)
        std::cout << "(from " << cluster_.source
                  << " only; no live state: " << live_error << ")\n";
    }
    return 0;
  }

  int invoke() {
    if (args_.operands.size() < 2 || args_.operands.size() > 3)
      return usage_error("call needs NAME METHOD [PAYLOAD]");
    for (auto& n : connect(false)) {
      auto reg = registry_of(n);
      if (!reg) continue;
      call::request req{ args_.operands[1],
                         args_.operands.size() == 3 ? args_.operands[2] : "",
                         milliseconds{ args_.deadline_ms },
                         "sophiactl",
                         "" };
      auto started = std::chrono::steady_clock::now();
      auto result = call::call(self_, reg, args_.operands[0], req);
      auto took = std::chrono::duration_cast<milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
      if (!result) {
        std::cerr << "sophiactl: call " << args_.operands[0] << " via "
                  << n.name << " failed after " << took
                  << " ms: " << sys_.render(result.error()) << "\n";
        return 1;
      }
      std::cout << *result << "\n";
      return 0;
    }
    return unreachable();
  }

  /// One MCP tool of the cluster, through the first live node.
  caf::expected<nlohmann::json> tool(const std::string& service,
                                     const std::string& name,
                                     const nlohmann::json& arguments,
                                     int64_t deadline_ms) {
    for (auto& n : connect(false)) {
      auto reg = registry_of(n);
      if (!reg) continue;
      call::request req{ "tools/call",
                         nlohmann::json{ { "name", name },
                                         { "arguments", arguments } }
                           .dump(),
                         milliseconds{ deadline_ms },
                         "sophiactl",
                         "" };
      auto result = call::call(self_, reg, "mcp." + service, req);
      if (!result) return result.error();
      auto doc = nlohmann::json::parse(*result, nullptr, false);
      if (doc.is_discarded())
        return make_error(errc::call_failed, "the reply is not JSON");
      return doc;
    }
    return make_error(errc::unreachable,
                      "no node of cluster '" + cluster_.name +
                        "' is reachable:" + failures_);
  }

  sophia::nodes::tool_caller tool_caller() {
    return [this](const std::string& service, const std::string& name,
                  const nlohmann::json& arguments, int64_t deadline_ms) {
      return tool(service, name, arguments, deadline_ms);
    };
  }

private:
  milliseconds timeout() const { return milliseconds{ args_.timeout_ms }; }

  static int64_t now_ms() {
    return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
  }

  caf::actor_system& sys_;
  const config::cluster_config& cluster_;
  const args& args_;
  caf::scoped_actor self_;
  caf::actor connector_;
  std::string failures_;
};


} // namespace

int main(int argc, char** argv) {
  args a;
  CLI::App app{ "sophiactl: talk to a running Sophia cluster. It reaches the "
                "first live node of the config file (or --node) and asks it.\n"
                "Exit codes: 0 ok, 1 no node reachable or the request failed, "
                "2 bad usage or config.",
                "sophiactl" };
  app.require_subcommand(1);
  // `sophiactl status --config FILE` works too.
  app.fallthrough();
  app.add_option("--config", a.config, "the cluster's cluster.conf")
    ->required()
    ->option_text("FILE");
  app.add_option("--node", a.node, "ask this node only")->option_text("NAME");
  app.add_option("--timeout-ms", a.timeout_ms, "per-step timeout")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app.add_option("--deadline-ms", a.deadline_ms, "deadline of `call`")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  auto with_json = [&](CLI::App* sub) {
    sub->add_flag("--json", a.json, "print JSON");
    return sub;
  };
  with_json(app.add_subcommand(
    "status", "every node's state as seen from a live node, and its roles"));
  app.add_subcommand("reload", "make every reachable node (or --node) re-read its cluster.conf");
  with_json(app.add_subcommand("registry", "the names in the cluster registry"));
  with_json(app.add_subcommand("tree", "a node's live supervision tree (with --node)"));
  with_json(app.add_subcommand(
    "services",
    "every external service: configured or not, its tools, breaker state, "
    "last error, and what to set to configure it"));
  auto* call_cmd = app.add_subcommand(
    "call", "call an actor through the call helper, e.g. `call runtime.echo@edge-1 echo hi`");
  call_cmd->add_option("target", a.operands, "NAME METHOD [PAYLOAD]")
    ->required()
    ->expected(2, 3);
  auto* ingest_cmd = with_json(app.add_subcommand(
    "ingest", "write Airbyte messages (JSON lines) into the pipeline's "
              "PostgreSQL, committed with their STATEs"));
  ingest_cmd->add_option("--airbyte", a.ingest.airbyte, "the messages: a file, or - for stdin")
    ->required()->option_text("FILE|-");
  ingest_cmd->add_option("--catalog", a.ingest.catalog, "the ConfiguredAirbyteCatalog (JSON)")
    ->required()->option_text("FILE");
  ingest_cmd->add_option("--source", a.ingest.source, "whose checkpoints these are")
    ->capture_default_str();
  auto* pipeline_cmd = with_json(app.add_subcommand(
    "pipeline", "the pipeline: `status`, `query SQL` (read-only), `tail SCHEMA.TABLE` (its last events), `check|discover|sync SOURCE` (an Airbyte source of [pipeline.sources])"));
  pipeline_cmd->add_option("what", a.operands, "status | query SQL | tail TABLE | search QUERY | check|discover|sync SOURCE | replay-dead-letters SOURCE")->required()->expected(1, 2);
  pipeline_cmd->add_option("--max-rows", a.max_rows, "rows a query (events a tail) returns at most");
  pipeline_cmd->add_option("--k", a.max_rows, "records a search returns at most (1..100, default 10)");
  pipeline_cmd->add_option("--catalog", a.ingest.catalog, "replay-dead-letters: the catalog to read them with (default: the configured source's)")
    ->option_text("FILE");
  auto* analytics_cmd = with_json(app.add_subcommand(
    "analytics", "the edges' tool calls: `summary` (calls, errors, latency per bucket)"));
  analytics_cmd->add_option("what", a.operands, "summary")->required()->expected(1);
  analytics_cmd->add_option("--period", a.analytics.period, "minute, hour or day")
    ->check(CLI::IsMember({ "minute", "hour", "day" }))->capture_default_str();
  analytics_cmd->add_option("--since", a.analytics.since, "from this RFC 3339 UTC time");
  analytics_cmd->add_option("--group-by", a.analytics.group_by,
                            "service, tool, caller or model")
    ->check(CLI::IsMember({ "service", "tool", "caller", "model" }));
  analytics_cmd->add_option("--max-rows", a.analytics.max_rows, "rows at most");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    // CLI11 reports a missing requirement before the word that caused it
    // (a misspelled option or command): name that word instead.
    auto rest = app.remaining();
    if (!rest.empty() && e.get_name() == "RequiredError")
      return usage_error(rest.front().rfind("-", 0) == 0
                           ? "unknown option '" + rest.front() + "'"
                           : "unknown command '" + rest.front() +
                               "' (status, reload, registry, tree, services, call, ingest, pipeline, analytics)");
    return usage_error(e.what());
  }
  a.command = app.get_subcommands().front()->get_name();
  auto loaded = config::load_or_report(a.config, a.node, std::cerr);
  if (!loaded) return 2;
  auto& cluster = *loaded;
  log::init("sophiactl", "warn");
  caf::actor_system_config cfg;
  system::prepare(cfg, cluster);
  caf::actor_system sys{ cfg };
  ctl c{ sys, cluster, a };
  if (a.command == "status") return c.status();
  if (a.command == "reload") return c.reload();
  if (a.command == "registry") return c.registry();
  if (a.command == "tree") return c.tree();
  if (a.command == "call") return c.invoke();
  if (a.command == "services") return c.services();
  a.ingest.json = a.json;
  if (a.command == "ingest")
    return sophia::nodes::ctl_ingest(a.ingest, c.tool_caller());
  if (a.command == "pipeline")
    return sophia::nodes::ctl_pipeline(a.operands, a.max_rows, a.json, c.tool_caller(),
                                       a.ingest.catalog);
  a.analytics.json = a.json;
  if (a.command == "analytics")
    return sophia::nodes::ctl_analytics(a.operands, a.analytics, c.tool_caller());
  return usage_error("unknown command '" + a.command + "'");
}
