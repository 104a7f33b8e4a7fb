#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "actors/pipeline/airbyte/catalog.hpp"
#include "actors/pipeline/postgres/column_kind.hpp"

/// The table of one stream: its columns (one per top-level field, named
/// as Airbyte does, typed from the declared or inferred schema) and the
/// DDL that brings an existing table to them without losing anything.
namespace sophia::actors::pipeline::postgres {

class connection;

/// A column of a field of the records.
struct column {
  /// The field's name in the records (kept as the column's comment).
  std::string field;
  /// The column's name.
  std::string name;
  column_kind kind = column_kind::unknown;
};

/// The columns every stream table has first, Airbyte's plus the record as
/// it arrived (`_airbyte_data`), so that nothing is lost and a column can
/// be re-typed from it.
inline constexpr const char* meta_columns[] = {
  "_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_generation_id",
  "_airbyte_meta", "_airbyte_data"};

class stream_table {
public:
  /// The stream's table from its configuration: schema `ns` (or
  /// `default_schema`), table name, the declared columns. No I/O.
  stream_table(airbyte::configured_stream config,
               const std::string& default_schema);

  /// Reads the table as it is (if it exists) and creates or alters it to
  /// hold the declared columns: new fields add columns, a column whose
  /// type must widen is re-typed (bigint -> numeric -> varchar, anything
  /// -> jsonb), columns no longer declared stay (history stays readable;
  /// new rows leave them NULL). Creates the dedup index. Runs in the
  /// caller's transaction.
  std::optional<std::string> prepare(connection& db);

  /// Whether the table's current rows all belong to the configured
  /// generation (or there are none).
  std::variant<bool, std::string> only_current_generation(connection& db);

  /// Inferred schemas: makes room for `data`'s fields (new columns,
  /// widened kinds) in memory; `pending_ddl` then says whether `apply`
  /// must run before rows are written.
  void infer(const nlohmann::json& data);
  bool pending_ddl() const { return !ddl_.empty(); }
  std::optional<std::string> apply(connection& db);

  /// Redirects writes to `<table>_airbyte_tmp` (a truncate refresh of a
  /// table that holds other generations), created like the table; a tmp
  /// table of another generation is emptied, one of this generation is
  /// resumed.
  std::optional<std::string> use_tmp(connection& db);
  /// Replaces the table with the tmp table (the stream ended COMPLETE).
  std::optional<std::string> swap_in_tmp(connection& db);
  bool writing_tmp() const { return target_ != table_; }

  const airbyte::configured_stream& config() const { return config_; }
  const std::string& schema() const { return schema_; }
  const std::string& table() const { return table_; }
  /// `"schema"."table"` written now (the table or its tmp table).
  std::string target() const;
  std::string target_name() const { return target_; }
  const std::vector<column>& columns() const { return columns_; }
  /// The column of `field`, or null.
  const column* find(const std::string& field) const;
  /// The columns of the primary key (a missing one: none), and the
  /// cursor's and `_ab_cdc_deleted_at`'s.
  std::vector<const column*> key_columns() const;
  const column* cursor_column() const;
  const column* deleted_at_column() const;
  /// Changes whenever the columns do (the staging table follows).
  uint64_t layout_version() const { return version_; }
  bool declared() const { return declared_; }

private:
  column& add(const std::string& field, column_kind kind);
  std::optional<std::string> create(connection& db, const std::string& name);
  std::optional<std::string> read_existing(connection& db,
                                           const std::string& name);
  std::optional<std::string> ensure_index(connection& db);

  airbyte::configured_stream config_;
  std::string schema_;
  std::string table_;
  std::string target_;
  bool declared_ = false;
  std::vector<column> columns_;
  std::unordered_map<std::string, size_t> by_field_;
  std::set<std::string> taken_;
  /// ALTER statements `infer` queued.
  std::vector<std::string> ddl_;
  uint64_t version_ = 0;
};

} // namespace sophia::actors::pipeline::postgres
