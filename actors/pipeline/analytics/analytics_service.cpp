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
  if (rows.empty()) {
    auto since = r["since"].is_string() ? r["since"].get<std::string>() : "";
    return since.empty() ? "no tool calls in the last 60 " + r.value("period", "minute") + "s"
                         : "no tool calls since " + since;
  }
  std::string out = "bucket\tgroup\tcalls\terrors\ttimeouts\tp50_ms\tp95_ms\tp99_ms"
                    "\ttokens_in\ttokens_out\tcost_usd";
  auto count = [](const json& v) { return v.is_number() ? v.dump() : std::string{"-"}; };
  for (auto& row : rows) {
    std::string group = row.contains("model") ? row.value("service", "") + "/" + row.value("model", "")
                        : row.contains("caller") ? row.value("caller", "")
                        : row.contains("tool")
                          ? row.value("service", "") + "/" + row.value("tool", "")
                        : row.contains("service") ? row.value("service", "")
                                                  : "all";
    out += "\n" + row.value("bucket", "") + "\t" + group + "\t"
           + row["calls"].dump() + "\t" + row["errors"].dump() + "\t"
           + row["timeouts"].dump() + "\t" + fixed(row["p50_ms"]) + "\t"
           + fixed(row["p95_ms"]) + "\t" + fixed(row["p99_ms"]) + "\t"
           + count(row["tokens_in"]) + "\t" + count(row["tokens_out"]) + "\t"
           + count(row["cost_usd"]);
  }
  return out;
}

} // namespace

caf::expected<caf::actor> spawn_analytics_service(caf::actor_system& sys,
                                                  caf::actor registry,
                                                  caf::actor reader,
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
       "and cost (summed from what AI tools report; null where none did); "
       "totals, or per service, tool, caller (API key, else session) or "
       "model (service and model, for the calls that name one). `since` is an "
       "RFC 3339 UTC time (default: the last 60 buckets). Records reach "
       "the pipeline within about a second of the call.",
     .input_schema = R"({"type":"object","properties":{
        "period":{"type":"string","enum":["minute","hour","day"]},
        "since":{"type":"string","minLength":1},
        "group_by":{"type":"string","enum":["service","tool","caller","model"]},
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
     .run = [reader](const mcp::call_ptr& c) {
       auto& args = c->arguments();
       c->self()
         ->request(reader, caf::duration{std::chrono::seconds{60}},
                   atoms::analytics::value,
                   args.value("period", std::string{"hour"}),
                   args.value("since", std::string{}),
                   args.value("group_by", std::string{}),
                   args.value("max_rows", int64_t{1000}))
         .then(
           [c](const std::string& out) {
             auto r = json::parse(out, nullptr, false);
             if (!r.is_object()) {
               c->fail("analytics: malformed answer of the pipeline reader");
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
