#include "actors/pipeline/analytics/aggregates.hpp"

#include <algorithm>
#include <sstream>

#include "actors/pipeline/analytics/tool_calls_stream.hpp"
#include "actors/pipeline/postgres/connection.hpp"

namespace sophia::actors::pipeline::analytics {

using nlohmann::json;
namespace pg = postgres;

namespace {

constexpr const char* periods[] = {"minute", "hour", "day"};

bool known_period(const std::string& p) {
  return std::find(std::begin(periods), std::end(periods), p) != std::end(periods);
}

std::string tables_ddl() {
  std::string sql = "CREATE SCHEMA IF NOT EXISTS sophia_analytics;";
  for (auto* p : periods)
    sql += std::string{"CREATE TABLE IF NOT EXISTS sophia_analytics.by_"} + p
           + " (bucket timestamptz NOT NULL, grain text NOT NULL, "
             "service text NOT NULL, tool text NOT NULL, caller text NOT NULL, "
             "model text NOT NULL, "
             "calls bigint NOT NULL, errors bigint NOT NULL, "
             "timeouts bigint NOT NULL, p50_ms double precision, "
             "p95_ms double precision, p99_ms double precision, "
             "avg_ms double precision, max_ms double precision, "
             "tokens_in bigint, tokens_out bigint, cost_usd numeric, "
             "updated_at timestamptz NOT NULL DEFAULT now(), "
             "PRIMARY KEY (bucket, grain, service, tool, caller, model));";
  return sql;
}

std::string timestamp(int64_t ms) {
  return "'" + format_utc_ms(ms) + "'::timestamptz";
}

// Upserts the buckets of `period` between the two times.
std::string refresh_sql(const std::string& period, int64_t from_ms, int64_t to_ms) {
  auto trunc = [&](int64_t ms) {
    return "date_trunc('" + period + "', " + timestamp(ms) + ")";
  };
  return "WITH src AS (SELECT date_trunc('" + period + "', at) AS bucket, "
         "coalesce(service, '') AS service, coalesce(tool, '') AS tool, "
         "coalesce(nullif(key, ''), 'session:' || coalesce(session, '')) AS caller, "
         "coalesce(model, '') AS model, "
         "outcome, duration_ms::float8 AS ms, tokens_in, tokens_out, cost_usd "
         "FROM sophia.tool_calls WHERE at >= " + trunc(from_ms)
         + " AND at < " + trunc(to_ms) + " + interval '1 " + period + "') "
         "INSERT INTO sophia_analytics.by_" + period
         + " (bucket, grain, service, tool, caller, model, calls, errors, "
           "timeouts, p50_ms, p95_ms, p99_ms, avg_ms, max_ms, tokens_in, "
           "tokens_out, cost_usd, updated_at) "
           // GROUPING's bits: service 8, tool 4, caller 2, model 1 (set when
           // the column is grouped out).
           "SELECT bucket, CASE GROUPING(service, tool, caller, model) WHEN 15 "
           "THEN 'all' WHEN 7 THEN 'service' WHEN 3 THEN 'tool' WHEN 13 THEN "
           "'caller' WHEN 6 THEN 'model' ELSE 'detail' END, "
           "CASE WHEN GROUPING(service) = 1 THEN '' ELSE service END, "
           "CASE WHEN GROUPING(tool) = 1 THEN '' ELSE tool END, "
           "CASE WHEN GROUPING(caller) = 1 THEN '' ELSE caller END, "
           "CASE WHEN GROUPING(model) = 1 THEN '' ELSE model END, "
           "count(*), count(*) FILTER (WHERE outcome IS DISTINCT FROM 'ok'), "
           "count(*) FILTER (WHERE outcome = 'timeout'), "
           "percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), "
           "percentile_cont(0.95) WITHIN GROUP (ORDER BY ms), "
           "percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), "
           "avg(ms), max(ms), sum(tokens_in), sum(tokens_out), sum(cost_usd), "
           "now() FROM src GROUP BY bucket, GROUPING SETS ((), (service), "
           "(service, tool), (caller), (service, tool, caller), "
           "(service, model)) "
           // Calls without a model (not an AI tool) have no model row.
           "HAVING NOT (GROUPING(service, tool, caller, model) = 6 AND model = '') "
           "ON CONFLICT (bucket, grain, service, tool, caller, model) DO UPDATE SET "
           "calls = EXCLUDED.calls, errors = EXCLUDED.errors, "
           "timeouts = EXCLUDED.timeouts, p50_ms = EXCLUDED.p50_ms, "
           "p95_ms = EXCLUDED.p95_ms, p99_ms = EXCLUDED.p99_ms, "
           "avg_ms = EXCLUDED.avg_ms, max_ms = EXCLUDED.max_ms, "
           "tokens_in = EXCLUDED.tokens_in, tokens_out = EXCLUDED.tokens_out, "
           "cost_usd = EXCLUDED.cost_usd, updated_at = EXCLUDED.updated_at;";
}

json number_or_null(const pg::result& r, int row, int col, bool integer) {
  auto v = r.get(row, col);
  if (!v)
    return nullptr;
  std::string text{*v};
  try {
    if (integer)
      return std::stoll(text);
    return std::stod(text);
  } catch (...) {
    return nullptr;
  }
}

} // namespace

std::optional<std::pair<int64_t, int64_t>> record_span(const std::string& lines) {
  if (lines.find("\"tool_calls\"") == std::string::npos)
    return std::nullopt;
  std::optional<std::pair<int64_t, int64_t>> out;
  std::istringstream in{lines};
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("\"tool_calls\"") == std::string::npos)
      continue;
    auto msg = json::parse(line, nullptr, false);
    if (!msg.is_object() || msg.value("type", "") != "RECORD")
      continue;
    auto& rec = msg["record"];
    if (!rec.is_object() || rec.value("stream", "") != stream_name
        || rec.value("namespace", "") != stream_namespace
        || !rec["data"].is_object())
      continue;
    auto at = parse_utc_ms(rec["data"].value("at", std::string{}));
    if (at < 0)
      continue;
    if (!out)
      out.emplace(at, at);
    out->first = std::min(out->first, at);
    out->second = std::max(out->second, at);
  }
  return out;
}

std::optional<std::string> refresh(pg::connection& db, int64_t from_ms,
                                   int64_t to_ms) {
  // Buckets are derived data: tables of an older layout (before the model
  // grain) are dropped and every bucket is recomputed from the calls.
  auto old = db.query(
    "SELECT to_regclass('sophia_analytics.by_minute') IS NOT NULL AND NOT "
    "EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = "
    "'sophia_analytics' AND table_name = 'by_minute' AND column_name = 'model')");
  if (auto* err = std::get_if<std::string>(&old))
    return *err;
  std::string sql = "BEGIN;";
  if (std::get<pg::result>(old).text(0, 0) == "t") {
    auto first = db.query("SELECT (extract(epoch FROM min(at)) * 1000)::bigint "
                          "FROM sophia.tool_calls");
    if (auto* err = std::get_if<std::string>(&first))
      return *err;
    if (auto v = std::get<pg::result>(first).get(0, 0))
      from_ms = std::min<int64_t>(from_ms, std::stoll(std::string{*v}));
    for (auto* p : periods)
      sql += std::string{"DROP TABLE sophia_analytics.by_"} + p + ";";
  }
  sql += tables_ddl();
  for (auto* p : periods)
    sql += refresh_sql(p, from_ms, to_ms);
  sql += "COMMIT;";
  if (auto err = db.exec(sql)) {
    db.exec("ROLLBACK");
    return err;
  }
  return std::nullopt;
}

std::variant<json, std::string> summary(pg::connection& db,
                                        const std::string& period,
                                        const std::string& since,
                                        const std::string& group_by,
                                        size_t max_rows) {
  if (!known_period(period))
    return std::string{"period must be minute, hour or day"};
  if (!group_by.empty() && group_by != "service" && group_by != "tool"
      && group_by != "caller" && group_by != "model")
    return std::string{"group_by must be service, tool, caller or model"};
  std::string from;
  if (!since.empty()) {
    auto ms = parse_utc_ms(since);
    if (ms < 0)
      return std::string{"since must be an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)"};
    from = timestamp(ms);
  } else {
    from = "(date_trunc('" + period + "', now()) - interval '59 " + period + "')";
  }
  json out{{"period", period},
           {"group_by", group_by.empty() ? json() : json(group_by)},
           {"rows", json::array()}};
  auto exists = db.query("SELECT to_regclass('sophia_analytics.by_" + period + "') IS NOT NULL");
  if (auto* err = std::get_if<std::string>(&exists))
    return *err;
  if (std::get<pg::result>(exists).text(0, 0) != "t") {
    out["since"] = since;
    return out; // no tool call was shipped yet
  }
  auto r = db.query(
    "SELECT to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "service, tool, caller, calls, errors, timeouts, p50_ms, p95_ms, p99_ms, "
    "avg_ms, max_ms, tokens_in, tokens_out, cost_usd, "
    "to_char(" + from + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), model "
    "FROM sophia_analytics.by_" + period + " WHERE grain = $1 AND bucket >= "
    + from + " ORDER BY bucket DESC, calls DESC, service, tool, caller, model LIMIT "
    + std::to_string(max_rows),
    {group_by.empty() ? std::string{"all"} : group_by});
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  auto& res = std::get<pg::result>(r);
  out["since"] = since;
  for (int i = 0; i < res.rows(); ++i) {
    json row{{"bucket", res.text(i, 0)}};
    if (group_by == "service" || group_by == "tool" || group_by == "model")
      row["service"] = res.text(i, 1);
    if (group_by == "model")
      row["model"] = res.text(i, 16);
    if (group_by == "tool")
      row["tool"] = res.text(i, 2);
    if (group_by == "caller")
      row["caller"] = res.text(i, 3);
    row["calls"] = number_or_null(res, i, 4, true);
    row["errors"] = number_or_null(res, i, 5, true);
    row["timeouts"] = number_or_null(res, i, 6, true);
    row["p50_ms"] = number_or_null(res, i, 7, false);
    row["p95_ms"] = number_or_null(res, i, 8, false);
    row["p99_ms"] = number_or_null(res, i, 9, false);
    row["avg_ms"] = number_or_null(res, i, 10, false);
    row["max_ms"] = number_or_null(res, i, 11, false);
    row["tokens_in"] = number_or_null(res, i, 12, true);
    row["tokens_out"] = number_or_null(res, i, 13, true);
    row["cost_usd"] = number_or_null(res, i, 14, false);
    if (since.empty())
      out["since"] = res.text(i, 15);
    out["rows"].push_back(std::move(row));
  }
  return out;
}

} // namespace sophia::actors::pipeline::analytics
