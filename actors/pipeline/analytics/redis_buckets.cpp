#include "actors/pipeline/analytics/redis_buckets.hpp"

#include <nlohmann/json.hpp>

#include "actors/pipeline/analytics/tool_calls_stream.hpp"
#include "actors/pipeline/postgres/connection.hpp"
#include "actors/pipeline/redis/connection.hpp"

namespace sophia::actors::pipeline::analytics {

using nlohmann::json;

namespace {

struct period_ttl {
  const char* period;
  const char* ttl_s;
};

constexpr period_ttl periods[] = {
  {"minute", "172800"}, {"hour", "5184000"}, {"day", "63072000"}};

json value_of(const postgres::result& r, int row, int col) {
  auto v = r.get(row, col);
  if (!v)
    return nullptr;
  auto parsed = json::parse(*v, nullptr, false);
  return parsed.is_number() ? parsed : json(std::string{*v});
}

} // namespace

std::optional<std::string> mirror_to_redis(postgres::connection& db,
                                           redis::connection& cache,
                                           int64_t from_ms, int64_t to_ms) {
  static const char* columns[] = {"calls",  "errors", "timeouts",  "p50_ms",
                                  "p95_ms", "p99_ms", "avg_ms",    "max_ms",
                                  "tokens_in", "tokens_out", "cost_usd"};
  for (auto& p : periods) {
    std::string period = p.period;
    auto r = db.query(
      "SELECT to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
      "grain || '|' || service || '|' || tool || '|' || caller || CASE WHEN "
      "model = '' THEN '' ELSE '|' || model END, calls, errors, "
      "timeouts, p50_ms, p95_ms, p99_ms, avg_ms, max_ms, tokens_in, tokens_out, "
      "cost_usd FROM sophia_analytics.by_" + period + " WHERE bucket >= "
      "date_trunc('" + period + "', $1::timestamptz) AND bucket <= "
      "date_trunc('" + period + "', $2::timestamptz)",
      {format_utc_ms(from_ms), format_utc_ms(to_ms)});
    if (auto* err = std::get_if<std::string>(&r))
      return *err;
    auto& res = std::get<postgres::result>(r);
    std::string last_key;
    for (int i = 0; i < res.rows(); ++i) {
      auto key = "sophia:analytics:" + period + ":" + res.text(i, 0);
      json row;
      for (int c = 0; c < 11; ++c)
        row[columns[c]] = value_of(res, i, c + 2);
      auto field = res.text(i, 1);
      auto text = row.dump();
      cache.append({"HSET", key, field, text});
      if (key != last_key) {
        cache.append({"EXPIRE", key, p.ttl_s});
        last_key = key;
      }
    }
    auto sent = cache.flush();
    if (auto* err = std::get_if<std::string>(&sent))
      return *err;
  }
  return std::nullopt;
}

} // namespace sophia::actors::pipeline::analytics
