#include "actors/pipeline/analytics/analytics_service.hpp"

#include <chrono>
#include <cstdio>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/pipeline/atoms.hpp"
#include "runtime/error.hpp"
#include "runtime/mcp/service.hpp"

namespace sophia::actors::pipeline::analytics {

namespace mcp = runtime::mcp;
using nlohmann::json;

namespace {

std::string fixed(const json& v) {
  if (!v.is_number())
    return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v.get<double>());
  return buf;
}

// One line per row: bucket, group, calls, errors, latencies.
std::string summary_text(const json& r) {
  auto& rows = r["rows"];
  if (rows.empty())
    return "no tool calls since " + r.value("since", std::string{"then"});
  std::string out = "bucket\tgroup\tcalls\terrors\ttimeouts\tp50_ms\tp95_ms\tp99_ms";
  for (auto& row : rows) {
    std::string group = row.contains("caller") ? row.value("caller", "")
                        : row.contains("tool")
                          ? row.value("service", "") + "/" + row.value("tool", "")
                        : row.contains("service") ? row.value("service", "")
                                                  : "all";
    out += "\n" + row.value("bucket", "") + "\t" + group + "\t"
           + row["calls"].dump() + "\t" + row["errors"].dump() + "\t"
           + row["timeouts"].dump() + "\t" + fixed(row["p50_ms"]) + "\t"
           + fixed(row["p95_ms"]) + "\t" + fixed(row["p99_ms"]);
  }
  return out;
}

} // namespace

caf::expected<caf::actor> spawn_analytics_service(caf::actor_system& sys,
                                                  caf::actor registry,
                                                  caf::actor worker,
                                                  std::string domain) {
  mcp::service_spec spec{"analytics", std::move(domain)};
  spec.prefix = "analytics.";
  spec.tools.push_back(
    {.name = "summary",
     .title = "Tool-call analytics",
     .description =
       "Rolling aggregates of the MCP tool calls every edge of the cluster "
       "served: per minute, hour or day bucket (newest first) the calls, "
       "errors, timeouts, latency p50/p95/p99, mean and max in ms, tokens "
       "and cost (null until the AI role reports them); totals, or per "
       "service, tool or caller (API key, else session). `since` is an "
       "RFC 3339 UTC time (default: the last 60 buckets). Records reach "
       "the pipeline within about a second of the call.",
     .input_schema = R"({"type":"object","properties":{
        "period":{"type":"string","enum":["minute","hour","day"]},
        "since":{"type":"string","minLength":1},
        "group_by":{"type":"string","enum":["service","tool","caller"]},
        "max_rows":{"type":"integer","minimum":1,"maximum":10000}},
        "additionalProperties":false})",
     .output_schema = R"({"type":"object","properties":{
        "period":{"type":"string"},
        "group_by":{"type":["string","null"]},
        "since":{"type":"string"},
        "rows":{"type":"array","items":{"type":"object"}}},
        "required":["period","rows"]})",
     .hints = {.read_only = true, .destructive = false, .idempotent = true,
               .open_world = false},
     .run = [worker](const mcp::call_ptr& c) {
       auto& args = c->arguments();
       c->self()
         ->request(worker, caf::duration{std::chrono::seconds{60}},
                   atoms::analytics::value,
                   args.value("period", std::string{"hour"}),
                   args.value("since", std::string{}),
                   args.value("group_by", std::string{}),
                   args.value("max_rows", int64_t{1000}))
         .then(
           [c](const std::string& out) {
             auto r = json::parse(out, nullptr, false);
             if (!r.is_object()) {
               c->fail("analytics: malformed answer of the pipeline worker");
               return;
             }
             auto text = summary_text(r);
             c->reply(std::move(text), std::move(r));
           },
           [c](caf::error& err) {
             c->fail("analytics: " + runtime::detail_of(err));
           });
     }});
  return mcp::spawn_service(sys, std::move(registry), std::move(spec));
}

} // namespace sophia::actors::pipeline::analytics
