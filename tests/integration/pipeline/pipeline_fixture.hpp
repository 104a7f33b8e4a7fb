#pragma once

// Shared by the pipeline's PostgreSQL tests: one real server per test
// binary, a fresh database per test, syncs driven through the
// ingest session, and the tables read back as JSON for comparison.

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/pipeline/airbyte/catalog.hpp"
#include "actors/pipeline/ingest_session.hpp"
#include "actors/pipeline/postgres/writer.hpp"
#include "postgres_server.hpp"

namespace sophia::tests::integration::pipeline {

namespace ap = sophia::actors::pipeline;

/// The server of this test binary (started on first use).
postgres_server& server();

/// A fresh, empty database on it; its URI.
std::string fresh_database();

/// A catalog from JSON text; fails the test when it does not parse.
ap::airbyte::configured_catalog catalog(const nlohmann::json& doc);

/// Runs one sync: `begin`, every line, then (unless `statuses` is false)
/// a STREAM_STATUS COMPLETE per stream, as Airbyte's harness does.
/// Returns the session's report; a failed begin/commit fails the test.
ap::ingest_report sync(const std::string& uri,
                       const ap::airbyte::configured_catalog& cat,
                       const std::vector<std::string>& lines,
                       bool statuses = true,
                       const std::string& source = "test");

/// The rows of `"schema"."table"` as JSON objects (column -> value),
/// timestamps as `2000-01-01T00:00:00Z` (fraction only when non-zero).
std::vector<nlohmann::json> rows(const std::string& uri,
                                 const std::string& schema,
                                 const std::string& table,
                                 const std::string& order_by = "");

/// `v` with timestamp strings in one form (UTC as `Z`, no trailing zeros
/// in the fraction), so that they compare as instants.
nlohmann::json canonical(const nlohmann::json& v);

/// One query's single value, as text ("" for NULL).
std::string scalar(const std::string& uri, const std::string& sql);

/// Writes `text` to `file` (catalogs and message files for sophiactl).
void write(const std::filesystem::path& file, const std::string& text);

/// A RECORD line.
std::string record_line(const std::string& stream, const nlohmann::json& data,
                        int64_t emitted_at = 1000,
                        const std::string& ns = "");

/// A STATE line (STREAM type) for `stream` with `{"cursor": value}`.
std::string state_line(const std::string& stream, const nlohmann::json& value);

} // namespace sophia::tests::integration::pipeline
