#pragma once

// The benchmark's input: one stream of AirbyteMessage lines, generated in
// memory before anything is timed, the same (fixed seed) in every round.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sophia::bench::pipeline {

/// What to generate.
struct input_params {
  size_t records = 200000;
  /// Distinct primary keys (`id`); records cycle through them, so with
  /// `append_dedup` each key keeps its last record.
  size_t keys = 50000;
  /// A STATE line after every this many records.
  size_t state_every = 10000;
  uint64_t seed = 42;
};

/// The lines and what they should leave in PostgreSQL.
struct input {
  input_params params;
  /// RECORD lines with a STATE line after every `state_every` records.
  std::vector<std::string> lines;
  size_t record_lines = 0;
  size_t state_lines = 0;
  size_t bytes = 0;

  /// Rows an `append_dedup` sync leaves: one per key seen.
  size_t distinct_keys() const;
};

/// The stream's name in lines and catalogs (`public.orders`).
inline constexpr const char* stream_name = "orders";

/// The top-level fields of every record:
/// integers (`id`, `seq`, `account_id`, `quantity`), a string of 20 to 80
/// characters (`name`), a short string (`status`), a number (`amount`), a
/// boolean (`active`), an ISO timestamp (`updated_at`, the cursor) and a
/// small nested object (`attributes`).
const std::vector<std::string>& field_names();

/// Generates `p.records` records (record `i` has `seq` i, `id` i % keys
/// and a cursor that grows with `i`) and the STATE lines.
input generate(const input_params& p);

/// A ConfiguredAirbyteCatalog of the stream, declared JSON schema,
/// `append` or `append_dedup` (primary key `id`, cursor `updated_at`).
nlohmann::json catalog_json(bool dedup);

} // namespace sophia::bench::pipeline
