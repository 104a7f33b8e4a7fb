// The edge's own tools and resources: what they look like to clients and
// what they do, in one place.
#include "actors/edge/engine.hpp"

#include <caf/all.hpp>

#include "actors/edge/jsonrpc.hpp"
#include "runtime/error.hpp"
#include "runtime/mcp/results.hpp"
#include "runtime/mcp/service.hpp"
#include "runtime/membership/view_format.hpp"
#include "runtime/placement/decide.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::actors::edge {

namespace {

using json = nlohmann::json;
namespace rpc = jsonrpc;

constexpr auto ask_timeout = std::chrono::seconds{ 5 };

/// A tool's failure as MCP wants it: a result, not a JSON-RPC error.
std::string tool_error(const std::string& text) {
  return runtime::mcp::error_result(text);
}

std::string tool_result(const std::string& text, const json& structured) {
  return runtime::mcp::text_result(text, structured);
}

/// The edge's figures as lines under the membership table.
std::string edge_lines(const json& e) {
  auto& s = e["sessions"];
  auto line = "edge " + e["node"].get<std::string>() + ": " +
              std::to_string(s["live"].get<size_t>()) + " sessions of " +
              std::to_string(s["clients"].get<size_t>()) + " clients, " +
              std::to_string(s["evicted_at_capacity"].get<uint64_t>() +
                             s["evicted_at_client_quota"].get<uint64_t>()) +
              " evicted, " +
              std::to_string(s["refused_full"].get<uint64_t>() +
                             s["refused_client_full"].get<uint64_t>()) +
              " refused; replay " +
              std::to_string(e["replay"]["bytes"].get<size_t>()) + " of " +
              std::to_string(e["replay"]["budget_bytes"].get<size_t>()) +
              " bytes";
  if (e.contains("http")) {
    auto& h = e["http"];
    line += "; " + std::to_string(h["connections"].get<int64_t>()) +
            " connections, " +
            std::to_string(h["refused_at_capacity"].get<uint64_t>()) +
            " refused at max_connections, " +
            std::to_string(h["header_timeouts"].get<uint64_t>()) +
            " header timeouts, " +
            std::to_string(h["slow_streams_dropped"].get<uint64_t>()) +
            " slow streams dropped";
  }
  return line + "\n";
}

} // namespace

// Declared like every service's tools (runtime/mcp/service.hpp); answered
// by the engine itself on the HTTP thread (call_builtin), hence no handler.
std::vector<json> engine::builtin_tools() {
  namespace mcp = runtime::mcp;
  const mcp::tool_hints read_only{ .read_only = true,
                                   .idempotent = true,
                                   .open_world = false };
  return {
    mcp::describe_tool(
      { .name = "sophia.cluster_status",
        .title = "Cluster status",
        .description =
          "The cluster's membership table as this edge sees it: every node, "
          "its state (up, suspect, down), its roles and the roles running on "
          "it now; and this edge's own figures (sessions, evictions, "
          "connections, replay memory).",
        .input_schema = R"({"type":"object","properties":{},"additionalProperties":false})",
        .output_schema =
          R"({"type":"object","properties":{"cluster":{"type":"string"},)"
          R"("seen_from":{"type":"string"},"members":{"type":"array",)"
          R"("items":{"type":"object"}},"edge":{"type":"object"}},)"
          R"("required":["cluster","members","edge"]})",
        .hints = read_only }),
    mcp::describe_tool(
      { .name = "sophia.echo",
        .title = "Echo",
        .description =
          "Returns its text argument unchanged; a liveness probe of the edge.",
        .input_schema =
          R"({"type":"object","properties":{"text":{"type":"string",)"
          R"("description":"what to echo"}},"required":["text"],)"
          R"("additionalProperties":false})",
        .output_schema =
          R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})",
        .hints = read_only }),
  };
}

std::vector<json> engine::builtin_resources() {
  return {
    json::parse(R"({"uri":"sophia://cluster","name":"cluster",
      "title":"Cluster membership",
      "description":"Every node of the cluster with its state and roles, and this edge's own figures (JSON).",
      "mimeType":"application/json"})"),
    json::parse(R"({"uri":"sophia://tools","name":"tools",
      "title":"Tool catalog",
      "description":"Every tool this session may call, with its service, domain and node (JSON).",
      "mimeType":"application/json"})"),
  };
}

void engine::call_builtin(session& s,
                          const catalog::item& tool,
                          const json& args,
                          const std::string& key) {
  if (tool.name == "sophia.echo") {
    auto text = args.value("text", std::string{});
    finish(s, key, rpc::result(key, tool_result(text, { { "text", text } })));
    return;
  }
  // sophia.cluster_status
  cluster_status([this, session_id = s.id, key](std::string text, json st) {
    session* s = nullptr;
    if (waiting(session_id, key, &s) == nullptr) return;
    finish(*s,
           key,
           rpc::result(key,
                       st.is_null() ? tool_error(text)
                                    : tool_result(text, std::move(st))));
  });
}

bool engine::read_builtin(session& s,
                          const std::string& uri,
                          const std::string& key) {
  auto contents = [uri](std::string text) {
    json r{ { "contents",
              json::array({ { { "uri", uri },
                              { "mimeType", "application/json" },
                              { "text", std::move(text) } } }) } };
    return r.dump();
  };
  if (uri == "sophia://tools") {
    finish(s,
           key,
           rpc::result(key, contents(catalog_.tool_list(view_of(s)).dump(2))));
    return true;
  }
  if (uri != "sophia://cluster") return false;
  cluster_status(
    [this, session_id = s.id, key, contents](std::string text, json st) {
      session* s = nullptr;
      if (waiting(session_id, key, &s) == nullptr) return;
      finish(*s,
             key,
             st.is_null() ? rpc::error(key, rpc::internal_error, text)
                          : rpc::result(key, contents(st.dump(2))));
    });
  return true;
}

void engine::cluster_status(std::function<void(std::string, json)> done) {
  auto membership = opts_.membership ? opts_.membership() : caf::actor{};
  if (!membership) {
    done("the membership actor is not reachable", nullptr);
    return;
  }
  self_->request(membership, ask_timeout, runtime::atoms::status::value)
    .then(
      [this, done](const runtime::wire::buffer& buf) {
        auto guard = lock();
        auto view = runtime::wire::decode_membership_view(buf);
        if (!view) {
          done("cannot decode the membership view: " +
                 runtime::detail_of(view.error()),
               nullptr);
          return;
        }
        // Called with the engine's lock held, so status() is consistent.
        auto finish_with = [this, done, v = *view](
                             const runtime::membership::running_roles* run) {
          auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
          auto doc = json::parse(runtime::membership::to_json(v, -1, run));
          auto mine = status();
          auto text = runtime::membership::to_table(v, now, run);
          text += edge_lines(mine);
          json st{ { "cluster", doc["cluster"] },
                   { "seen_from", doc["seen_from"] },
                   { "members", doc["nodes"] },
                   { "edge", std::move(mine) } };
          done(std::move(text), std::move(st));
        };
        if (!registry_) {
          finish_with(nullptr);
          return;
        }
        self_
          ->request(registry_,
                    ask_timeout,
                    caf::get_atom::value,
                    runtime::atoms::all::value)
          .then(
            [this, finish_with](const std::vector<std::string>& names) {
              auto guard = lock();
              runtime::membership::running_roles run;
              for (auto& x : names) {
                auto at = x.rfind('@');
                if (at == std::string::npos) continue;
                if (auto role = runtime::placement::role_of(x.substr(0, at)))
                  run[x.substr(at + 1)].push_back(*role);
              }
              finish_with(&run);
            },
            [this, finish_with](caf::error&) {
              auto guard = lock();
              finish_with(nullptr);
            });
      },
      [this, done](caf::error& err) {
        auto guard = lock();
        done("the membership actor did not answer: " + runtime::detail_of(err),
             nullptr);
      });
}

} // namespace sophia::actors::edge
