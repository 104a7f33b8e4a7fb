#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/pipeline/airbyte/message.hpp"

namespace sophia::actors::pipeline::redis {

/// One record of a table, as the Redis stage writes it.
struct table_record {
  /// The record's fields, an object.
  nlohmann::json data;
  /// When the source emitted it, epoch milliseconds.
  int64_t emitted_at_ms = 0;
  /// A CDC deletion (`_ab_cdc_deleted_at` set): removes the latest
  /// version instead of replacing it.
  bool deleted = false;
};

/// What PostgreSQL committed for one table, handed on to Redis.
struct table_batch {
  /// `schema.table`.
  std::string table;
  /// The stream's primary key, top-level fields in order; none: the
  /// table gets events only (no latest version by key).
  std::vector<std::string> key;
  /// The cursor field; none: the later `emitted_at` wins.
  std::optional<std::string> cursor;
  /// In arrival order.
  std::vector<table_record> records;
};

/// Whether `data` is a CDC deletion: `_ab_cdc_deleted_at` present and not
/// null.
bool is_cdc_deletion(const nlohmann::json& data);

/// `r` as a table record (its data copied).
table_record to_table_record(const airbyte::record& r);

} // namespace sophia::actors::pipeline::redis
