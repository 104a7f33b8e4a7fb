#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/pipeline/airbyte/message.hpp"

namespace sophia::actors::pipeline::airbyte {

/// How the source reads a stream; it does not change what the destination
/// does with the records.
enum class sync_mode { full_refresh, incremental };

/// What the destination does with a stream's records.
enum class write_mode {
  /// Every record is a new row.
  append,
  /// One row per primary key: the record with the latest cursor wins (a
  /// null cursor loses; ties go to the later `emitted_at`), and a record
  /// whose `_ab_cdc_deleted_at` is set deletes the row.
  append_dedup,
};

/// One stream of a ConfiguredAirbyteCatalog, as the destination uses it.
struct configured_stream {
  stream_id id;
  /// The stream's JSON schema (`stream.json_schema`); empty when the
  /// source declared none (the pipeline then infers one).
  nlohmann::json json_schema;
  sync_mode sync = sync_mode::full_refresh;
  write_mode mode = write_mode::append;
  /// Top-level fields, in order; empty for `append`.
  std::vector<std::string> primary_key;
  /// A top-level field; none: the latest `emitted_at` wins.
  std::optional<std::string> cursor;
  int64_t generation_id = 0;
  int64_t minimum_generation_id = 0;
  int64_t sync_id = 0;
  /// The sync replaces the stream's earlier data, once it ends COMPLETE:
  /// `overwrite`, or generation ids with `minimum_generation_id ==
  /// generation_id` (a truncate refresh). Otherwise earlier rows stay,
  /// each with the generation that wrote it.
  bool truncate = false;
};

/// A ConfiguredAirbyteCatalog.
struct configured_catalog {
  std::vector<configured_stream> streams;

  /// The stream `id`, or null.
  const configured_stream* find(const stream_id& id) const;
};

/// Reads a ConfiguredAirbyteCatalog as Airbyte's destinations do (their
/// CatalogParser): `overwrite` is `append` with truncation; generation ids
/// either keep history (`minimum_generation_id` 0) or truncate (equal to
/// `generation_id`), any other pair is refused (a hybrid refresh); absent
/// generation and sync ids are 0 (a catalog written by hand). Refused with
/// the JSON pointer of the field: an unknown mode, `update` and
/// `soft_delete` (not supported), a nested primary key or cursor,
/// `append_dedup` without a primary key, two streams with one identity.
/// Never throws.
std::variant<configured_catalog, std::string>
parse_catalog(const nlohmann::json& doc);

} // namespace sophia::actors::pipeline::airbyte
