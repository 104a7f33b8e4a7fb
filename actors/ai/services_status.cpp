#include "actors/ai/services_status.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/ai/ai_role.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/http/client.hpp"
#include "runtime/mcp/service.hpp"

namespace sophia::actors::ai {

namespace mcp = runtime::mcp;
using nlohmann::json;

json service_rows(const runtime::config::cluster_config& cluster) {
  auto rows = ai_service_rows(cluster);
  for (auto& [name, svc] : cluster.services) {
    bool listed = false;
    for (auto& r : rows) listed = listed || r["service"] == name;
    if (listed) continue;
    rows.push_back({ { "service", name },
                     { "domain", "" },
                     { "kind", svc.kind == "auto" ? name : svc.kind },
                     { "configured", false },
                     { "reason", "Sophia has no client for this service yet" },
                     { "configure", "" },
                     { "api_key", svc.api_key },
                     { "base_url", svc.base_url },
                     { "tools", json::array() } });
  }
  return rows;
}

void add_live_state(json& rows, const json& stats) {
  for (auto& r : rows) {
    auto name = r["service"].get<std::string>();
    if (!stats.is_object() || !stats.contains(name)) {
      r["breaker"] = r["configured"].get<bool>() ? "closed" : "";
      r["last_error"] = "";
      r["requests"] = json::object();
      continue;
    }
    auto& s = stats[name];
    r["breaker"] = s.value("breaker", "closed");
    r["last_error"] = s.value("last_error", "");
    r["in_flight"] = s.value("in_flight", 0);
    r["queued"] = s.value("queued", 0);
    json requests = json::object();
    if (auto resp = s.find("responses"); resp != s.end() && resp->is_object())
      for (auto& [status, h] : resp->items())
        requests[status] = h.value("count", 0);
    r["requests"] = std::move(requests);
  }
}

std::string services_table(const json& rows) {
  std::string out = "SERVICE           CONFIGURED  BREAKER    TOOLS / WHAT TO SET\n";
  auto pad = [](std::string s, size_t n) {
    if (s.size() < n) s.resize(n, ' ');
    return s + " ";
  };
  for (auto& r : rows) {
    std::string what;
    if (r.value("configured", false)) {
      for (auto& t : r["tools"]) what += (what.empty() ? "" : ", ") + t.get<std::string>();
    } else {
      what = r.value("reason", "");
      if (auto c = r.value("configure", ""); !c.empty()) what += "; " + c;
    }
    out += pad(r["service"].get<std::string>(), 17) +
           pad(r.value("configured", false) ? "yes" : "no", 11) +
           pad(r.value("breaker", ""), 10) + what + "\n";
    if (auto e = r.value("last_error", ""); !e.empty())
      out += std::string(18, ' ') + "last error: " + e + "\n";
  }
  return out;
}

caf::expected<caf::actor> spawn_services_status(
  caf::actor_system& sys,
  caf::actor registry,
  std::function<runtime::config::cluster_config()> current,
  std::shared_ptr<caf::actor> http,
  std::string domain) {
  // Answers `c` with the rows and the client's live state, as `wrap` shapes it.
  auto answer = [current, http](const mcp::call_ptr& c, auto wrap) {
    auto live = service_rows(current());
    if (!*http) {
      add_live_state(live, json::object());
      return wrap(c, std::move(live));
    }
    c->self()
      ->request(*http, std::chrono::seconds{ 2 }, runtime::http::stats::value)
      .then(
        [c, live, wrap](const std::string& stats) mutable {
          add_live_state(live, json::parse(stats, nullptr, false));
          wrap(c, std::move(live));
        },
        [c, live, wrap](caf::error&) mutable {
          add_live_state(live, json::object());
          wrap(c, std::move(live));
        });
  };
  mcp::service_spec spec{ "services", std::move(domain) };
  spec.prefix = "sophia.";
  spec.tools.push_back(
    { .name = "services",
      .title = "External services",
      .description =
        "Lists every external service of the cluster: whether it is "
        "configured (and if not, what to set), the tools it serves, its "
        "circuit breaker and last error, and its requests by HTTP status.",
      .input_schema = R"({"type":"object","properties":{},"additionalProperties":false})",
      .hints = { .read_only = true, .destructive = false, .idempotent = true,
                 .open_world = false },
      .run = [answer](const mcp::call_ptr& c) {
        answer(c, [](const mcp::call_ptr& c, json live) {
          c->reply(services_table(live), { { "services", std::move(live) } });
        });
      } });
  spec.resources = json::array(
    { { { "uri", "sophia://services" },
        { "name", "services" },
        { "description",
          "Every external service: configured or not, tools, breaker state, "
          "last error, what to set to configure it." },
        { "mimeType", "application/json" } } });
  spec.methods["resources/read"] = [answer](const mcp::call_ptr& c) {
    if (c->params().value("uri", "") != "sophia://services")
      return c->reject(runtime::errc::not_found,
                       "resource not found: " + c->params().value("uri", ""));
    answer(c, [](const mcp::call_ptr& c, json live) {
      c->reply_result(
        { { "contents",
            json::array({ { { "uri", "sophia://services" },
                            { "mimeType", "application/json" },
                            { "text", json{ { "services", std::move(live) } }.dump(2) } } }) } });
    });
  };
  return mcp::spawn_service(sys, std::move(registry), std::move(spec));
}

} // namespace sophia::actors::ai
