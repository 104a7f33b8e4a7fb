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
///
/// A deletion that wins leaves a tombstone (`sophia_pipeline.tombstones`:
/// the table, the key and the deletion's cursor and extraction time as
/// jsonb), so that an older record of the key arriving in a later batch
/// does not bring the row back (Airbyte's cdcOrdering_updateAfterDelete);
/// a newer record clears it. Cursors compare as jsonb there: numbers as
/// numbers, strings and timestamps (ISO text, UTC) as text.
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

/// After a truncate refresh swapped `tmp` in as `table` (both
/// `"schema"."table"`): the old generation's tombstones go, the new
/// one's are the table's.
std::string move_tombstones(const std::string& tmp, const std::string& table);

} // namespace sophia::actors::pipeline::postgres::dedup
