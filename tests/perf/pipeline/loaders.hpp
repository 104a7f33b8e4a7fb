#pragma once

// The rows of the benchmark: ways to get the same records into the same
// kind of table, each in a database of its own. Each prepares its table
// untimed (Sophia's writer creates it, so every row loads an identical
// table), then times only the load, up to the last commit.

#include <cstddef>
#include <string>

#include "records.hpp"

namespace sophia::bench::pipeline {

/// One timed load.
struct load_result {
  double seconds = 0;
  /// CPU of this process during the load.
  double cpu_seconds = 0;
  /// CPU of the PostgreSQL backend that served the load.
  double server_cpu_seconds = 0;
  /// Empty, or why the load failed (the round then counts as lost rows).
  std::string error;
};

/// Sophia: every line through `ingest_session::line`, then `flush`; the
/// stream `append` or `append_dedup`, declared schema. With `redis` (a
/// URI), each committed batch then goes on to Redis as the pipeline's
/// worker sends it (latest by key, events), within the timed load.
load_result sophia_sync(const std::string& uri, const input& in, bool dedup,
                        const std::string& redis = {});

/// Checks what a load left in Redis: one event per record in the table's
/// stream, and (dedup) one latest version per key. Empty, or what is wrong.
std::string verify_redis(const std::string& redis_cli_xlen,
                         const std::string& redis_cli_keys, const input& in,
                         bool dedup);

/// A simple loader: each line parsed with nlohmann::json, one prepared
/// INSERT per record (PQexecPrepared, text parameters, the raw id from
/// gen_random_uuid()), a transaction per STATE interval.
load_result row_by_row(const std::string& uri, const input& in);

/// The ceiling: Sophia's own COPY rows for the records, formatted before
/// the clock starts, sent as one `COPY ... FROM STDIN` (64 KB pieces).
/// Without `with_data`, the table lacks `_airbyte_data` and the rows that
/// field: what the jsonb copy of the record costs the server.
load_result raw_copy(const std::string& uri, const input& in, bool with_data);

/// Checks what a load left in `public.orders`: every record (append) or
/// one row per key holding its last record (dedup). Empty, or what is
/// wrong; `rows` gets the table's row count.
std::string verify(const std::string& uri, const input& in, bool dedup,
                   size_t& rows);

} // namespace sophia::bench::pipeline
