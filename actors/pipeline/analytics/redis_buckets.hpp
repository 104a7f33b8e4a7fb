#pragma once

#include <cstdint>
#include <optional>
#include <string>

/// The analytics buckets in Redis (when the pipeline has a Redis stage):
/// one hash per bucket, `sophia:analytics:PERIOD:BUCKET` (BUCKET as
/// `2026-01-02T03:04:00Z`), one field per group, `GRAIN|SERVICE|TOOL|
/// CALLER` (empty parts for what the grain leaves out, e.g. `all|||`;
/// the model grain appends `|MODEL`: `model|openrouter|||gpt-4o-mini`),
/// whose value is the row as JSON (calls, errors, timeouts, p50_ms,
/// p95_ms, p99_ms, avg_ms, max_ms, tokens_in, tokens_out, cost_usd).
/// PostgreSQL stays the system of record: the hashes of the buckets a
/// batch touched are rewritten from it after each refresh, and expire
/// (minutes after 2 days, hours after 60, days after 2 years).
namespace sophia::actors::pipeline::postgres {
class connection;
} // namespace sophia::actors::pipeline::postgres

namespace sophia::actors::pipeline::redis {
class connection;
} // namespace sophia::actors::pipeline::redis

namespace sophia::actors::pipeline::analytics {

/// Copies the rows of the buckets [from_ms, to_ms] touch, every period,
/// from PostgreSQL to Redis.
std::optional<std::string> mirror_to_redis(postgres::connection& db,
                                           redis::connection& cache,
                                           int64_t from_ms, int64_t to_ms);

} // namespace sophia::actors::pipeline::analytics
