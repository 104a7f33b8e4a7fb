// ai.costs: AI spend by API key, model, provider and period, read from
// sophia.ai_interactions (the pipeline's PostgreSQL, the system of record).

#include "actors/optimizer/router_state.hpp"
#include "actors/optimizer/sql_value.hpp"

#include <caf/all.hpp>

#include "runtime/mcp/call_tool.hpp"
#include "runtime/error.hpp"
#include "runtime/mcp/results.hpp"
#include "runtime/utc.hpp"

namespace sophia::actors::optimizer {

namespace mcp = runtime::mcp;
using nlohmann::json;

namespace {

const char* schema = R"({
  "type": "object",
  "properties": {
    "period": {"type": "string", "enum": ["hour", "day", "month"], "default": "day"},
    "since": {"type": "string",
              "description": "RFC 3339 UTC, e.g. 2026-12-01T00:00:00Z; default: 30 days ago"},
    "group_by": {"type": "array", "uniqueItems": true,
                 "items": {"type": "string", "enum": ["api_key", "model", "provider", "source"]},
                 "default": ["api_key", "model", "provider"]},
    "api_key": {"type": "string", "description": "Only this API key's spend."}
  },
  "additionalProperties": false
})";

/// A SQL string literal.
std::string literal(const std::string& s) {
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'')
      out += '\'';
    out += ch;
  }
  return out + "'";
}

} // namespace

mcp::tool costs_tool(const router_ptr& st) {
  return {
    .name = "costs",
    .title = "AI spend",
    .description =
      "AI spend in USD with calls and tokens, by period (hour, day or "
      "month, UTC) and by API key, model and provider (choose with "
      "group_by), since a time (default 30 days). Counts every "
      "interaction the router made or was told of (ai.log_ai_interaction), "
      "from the pipeline's PostgreSQL.",
    .input_schema = schema,
    .hints = {.read_only = true, .destructive = false, .idempotent = true,
              .open_world = false},
    .run =
      [st](const mcp::call_ptr& c) {
        auto& a = c->arguments();
        auto period = a.value("period", "day");
        int64_t since = runtime::unix_ms_now() - int64_t{30} * 86400 * 1000;
        if (a.contains("since")) {
          since = runtime::parse_utc_ms(a["since"].get<std::string>());
          if (since < 0)
            return c->reject(runtime::errc::rejected,
                             "Invalid arguments for tool ai.costs: since must be "
                             "RFC 3339 UTC like 2026-12-01T00:00:00Z");
        }
        auto group = a.value("group_by", json::array({"api_key", "model", "provider"}));
        std::string cols = "to_char(date_trunc('" + period
                           + "', at AT TIME ZONE 'UTC'), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
        std::vector<std::string> names{"period"};
        for (auto& g : group) {
          cols += ", " + g.get<std::string>();
          names.push_back(g.get<std::string>());
        }
        auto n = names.size();
        std::string by;
        for (size_t i = 1; i <= n; ++i)
          by += (i > 1 ? ", " : "") + std::to_string(i);
        auto sql = "SELECT " + cols
                   + ", count(*), coalesce(sum(cost_usd), 0), "
                     "coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0) "
                     "FROM sophia.ai_interactions WHERE at >= "
                   + literal(runtime::format_utc_ms(since)) + "::timestamptz"
                   + (a.contains("api_key")
                        ? " AND api_key = " + literal(a["api_key"].get<std::string>())
                        : std::string{})
                   + " GROUP BY " + by + " ORDER BY 1 DESC, " + std::to_string(n + 2)
                   + " DESC";
        mcp::call_tool(
          c->self(), st->opts.registry, "mcp.pipeline",
          {.tool = "query", .arguments = {{"sql", sql}, {"max_rows", 10000}},
           .deadline = std::chrono::seconds{30}, .caller = "ai.costs"},
            [c, names](json& doc) {
              json rows = json::array();
              double total = 0;
              std::string text;
              auto sc = doc.value("structuredContent", json::object());
              for (auto& r : sc.value("rows", json::array())) {
                json row = json::object();
                size_t i = 0;
                for (; i < names.size() && i < r.size(); ++i)
                  row[names[i]] = r[i];
                auto num = [&](size_t k) { return k < r.size() ? number_of(r[k]) : 0.0; };
                row["calls"] = static_cast<int64_t>(num(i));
                row["cost_usd"] = num(i + 1);
                row["prompt_tokens"] = static_cast<int64_t>(num(i + 2));
                row["completion_tokens"] = static_cast<int64_t>(num(i + 3));
                total += num(i + 1);
                std::string line;
                for (auto& nm : names)
                  line += (line.empty() ? "" : " ")
                          + (row[nm].is_string() ? row[nm].get<std::string>()
                                                 : row[nm].dump());
                char buf[64];
                std::snprintf(buf, sizeof buf, ": $%.6f in %lld calls",
                              row["cost_usd"].get<double>(),
                              static_cast<long long>(row["calls"].get<int64_t>()));
                text += line + buf + "\n";
                rows.push_back(std::move(row));
              }
              char head[64];
              std::snprintf(head, sizeof head, "$%.6f in total\n", total);
              c->reply(head + text, {{"rows", std::move(rows)}, {"total_usd", total}});
            },
            [c](caf::error& err) {
              auto why = runtime::detail_of(err);
              if (runtime::code_of(err) == runtime::errc::call_failed) {
                // The query ran and failed: before the first interaction
                // the table does not exist yet.
                if (why.find("does not exist") != std::string::npos)
                  return c->reply("no AI interactions recorded yet",
                                  {{"rows", json::array()}, {"total_usd", 0}});
                return c->fail("ai.costs: " + why);
              }
              c->fail("ai.costs: the pipeline is unreachable (" + why
                      + "); costs are read from its PostgreSQL (configure "
                        "[pipeline] and the pipeline role)");
            });
      },
  };
}

} // namespace sophia::actors::optimizer
