#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

/// Rolling aggregates of the tool calls (`sophia.tool_calls`, see
/// `tool_calls_stream.hpp`) in PostgreSQL: `sophia_analytics.by_minute`,
/// `by_hour` and `by_day`, one row per bucket and group, for the grains
/// `all`, `service`, `tool` (service and tool), `caller`, `detail`
/// (service, tool and caller) and `model` (service and model, for the
/// calls that name one): calls, errors (outcome not ok), timeouts,
/// latency p50/p95/p99 (exact: percentile_cont over the bucket's rows),
/// mean and max, and the token and cost sums (NULL where no call reported
/// them). The caller is the API key's name, else `session:ID`.
///
/// The worker refreshes the buckets a committed batch of tool calls
/// touched right after its commit (`refresh`), recomputing them from the
/// table, so that a record sent twice or late counts once.
namespace sophia::actors::pipeline::postgres {
class connection;
} // namespace sophia::actors::pipeline::postgres

namespace sophia::actors::pipeline::analytics {

/// The earliest and latest `at` (ms) of the `sophia.tool_calls` RECORDs
/// among `lines` (Airbyte messages, one per line); nothing when none.
std::optional<std::pair<int64_t, int64_t>> record_span(const std::string& lines);

/// Recomputes (upserts) every bucket of each period that [from_ms,
/// to_ms] touches, in one transaction; creates the tables first.
std::optional<std::string> refresh(postgres::connection& db, int64_t from_ms,
                                   int64_t to_ms);

/// The rows of `period` (minute, hour, day) from `since` (RFC 3339; empty:
/// the last 60 buckets) for `group_by` (service, tool, caller, model;
/// empty: the totals), newest first, at most `max_rows`:
/// `{period, group_by, since, rows: [{bucket, service?, tool?, caller?, model?,
/// calls, errors, timeouts, p50_ms, p95_ms, p99_ms, avg_ms, max_ms,
/// tokens_in, tokens_out, cost_usd}]}`.
std::variant<nlohmann::json, std::string>
summary(postgres::connection& db, const std::string& period,
        const std::string& since, const std::string& group_by, size_t max_rows);

} // namespace sophia::actors::pipeline::analytics
