#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "actors/pipeline/airbyte/message.hpp"

/// A record as one COPY text row of its stream's table.
namespace sophia::actors::pipeline::postgres {

class stream_table;

/// The COPY column list the rows are written in: the meta columns but
/// `_airbyte_meta`, the stream's columns, then `_airbyte_meta` (last, as
/// it carries the changes typing made). Quoted.
std::vector<std::string> copy_columns(const stream_table& t);

/// Whether `ms` (epoch milliseconds) is a time PostgreSQL's timestamptz
/// holds (years 1 to 294275).
bool valid_extracted_at(int64_t ms);

/// Writes rows of one stream: a random UUIDv4 for `_airbyte_raw_id`,
/// typed columns, `_airbyte_meta` {"changes": [NULLED by typing..., the
/// source's...], "sync_id"}.
class row_writer {
public:
  row_writer();

  /// Appends `r`'s row for `t`. Returns how many fields typing NULLED;
  /// sets `null_key` when a primary key part is NULL.
  size_t append(std::string& out, const stream_table& t,
                const airbyte::record& r, bool& null_key);

private:
  void append_uuid(std::string& out);
  std::mt19937_64 rng_;
  std::vector<const std::string*> nulled_;
};

} // namespace sophia::actors::pipeline::postgres
