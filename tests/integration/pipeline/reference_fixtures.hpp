#pragma once

// Airbyte's own destination fixtures (../shared/reference/airbyte, read by
// path, never copied): their inputs as Airbyte message lines, their
// expected final rows, and the comparison Airbyte's harness makes
// (RecordDiffer: rows matched on the identity tuple, numbers compared
// numerically, timestamps as instants, a missing key means NULL).

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sophia::tests::integration::pipeline {

/// The fixture folder `pg-2.4.0_2024-09`, or "" when the reference data
/// is absent (the caller skips, saying so).
std::string fixtures();

/// The JSON lines of a fixture file, comments and blank lines dropped.
std::vector<nlohmann::json> json_lines(const std::string& path);

/// A message fixture's lines with `stream` (and `ns`) set on each RECORD,
/// as Airbyte's harness injects them.
std::vector<std::string> message_lines(const std::string& path,
                                       const std::string& stream,
                                       const std::string& ns = "");

/// A raw-table fixture (`_airbyte_data`, `_airbyte_extracted_at`,
/// `_airbyte_meta`) as RECORD lines of `stream`.
std::vector<std::string> raw_lines(const std::string& path,
                                   const std::string& stream);

/// Compares a table's rows with the expected ones; every difference is a
/// failed CHECK naming the row. `columns`: the stream's current columns
/// (those an expected row leaves out must be NULL); `ignore`: expected
/// keys not compared. `_airbyte_meta` compares its changes as a set.
void compare(const std::vector<nlohmann::json>& actual,
             std::vector<nlohmann::json> expected,
             const std::set<std::string>& columns,
             const std::set<std::string>& ignore = {});

} // namespace sophia::tests::integration::pipeline
