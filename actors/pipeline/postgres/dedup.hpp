#pragma once

#include <optional>
#include <string>
#include <vector>

/// The SQL that applies a staged batch of an `append_dedup` stream to its
/// table, in the batch's transaction. Per primary key the latest record
/// wins: the higher cursor (a NULL cursor loses to any other), then the
/// later `_airbyte_extracted_at`, then the later arrival; a winner whose
/// `_ab_cdc_deleted_at` is set deletes the row. NULL key values group
/// together, as in Airbyte's destination.
namespace sophia::actors::pipeline::postgres::dedup {

struct plan {
  /// `"schema"."table"` written, and the staging table (a temp table with
  /// the same columns plus `_sophia_seq`, the arrival order).
  std::string target;
  std::string stage;
  /// Quoted column names.
  std::vector<std::string> key;
  std::optional<std::string> cursor;
  std::optional<std::string> deleted_at;
  /// Every column the COPY wrote, quoted (meta columns included).
  std::vector<std::string> columns;
  /// Whether a staged key has a NULL part: matching then needs IS NOT
  /// DISTINCT FROM, which PostgreSQL cannot hash, so it runs only then.
  bool null_keys = false;
};

/// The statements, in order.
std::vector<std::string> statements(const plan& p);

} // namespace sophia::actors::pipeline::postgres::dedup
