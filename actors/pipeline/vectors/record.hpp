#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

/// What the vectors stage is given of one committed record (live from the
/// worker, or read back from PostgreSQL by a rebuild).
namespace sophia::actors::pipeline::vectors {

struct vector_record {
  /// Who ingested it (`pipeline.ingest`'s `source`).
  std::string source;
  /// The stream ("ns.name" or "name") and its table ("schema.table").
  std::string stream;
  std::string table;
  /// What a search result shows as the record's key: the primary key
  /// `{field: value}` when the stream has one, else `{"_airbyte_raw_id":
  /// id}` when known (a rebuild reads it; a live append record has none
  /// yet: the writer makes it), else null.
  nlohmann::json key;
  /// What a later record replaces (see `identity_of`).
  std::string identity;
  /// `append_dedup`: the latest version by key wins (cursor, then
  /// emitted_at), as in the table.
  bool dedup = false;
  /// `_ab_cdc_deleted_at` set: removes the key's vectors.
  bool deleted = false;
  /// The cursor field's value (null: none), and when it was emitted.
  nlohmann::json cursor;
  int64_t emitted_at_ms = 0;
  /// `extract_text` of the data; empty: nothing to index.
  std::string text;
};

/// Records in commit order.
struct vector_batch {
  std::vector<vector_record> records;
};

using vector_batch_ptr = std::shared_ptr<const vector_batch>;

/// A record's identity in the index: for dedup tables the table and the
/// primary key (a re-sent key replaces its vectors, as the row is
/// replaced); for append tables the table, emitted_at and the data
/// itself: every version stays (as every row does), and the same record
/// read live and again by a rebuild is one entry, not two.
std::string identity_of(const std::string& table, bool dedup,
                        const nlohmann::json& key, int64_t emitted_at_ms,
                        const nlohmann::json& data);

/// `data`'s primary key `{field: value}` (a missing field: null).
nlohmann::json key_of(const nlohmann::json& data,
                      const std::vector<std::string>& primary_key);

/// Whether `data` is a CDC deletion (`_ab_cdc_deleted_at` set, not null).
bool is_deletion(const nlohmann::json& data);

/// A record as the stage takes it: key, identity and text filled in.
vector_record make_record(std::string source, std::string stream,
                          std::string table, bool dedup,
                          const std::vector<std::string>& primary_key,
                          const std::optional<std::string>& cursor,
                          const nlohmann::json& data, int64_t emitted_at_ms,
                          nlohmann::json fallback_key = nullptr);

} // namespace sophia::actors::pipeline::vectors
