#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "actors/pipeline/airbyte/message.hpp"

/// The records' hot path: a line read with simdjson (Debian
/// libsimdjson-dev) into the very document `nlohmann::json::parse` builds
/// (the same number types, the later of two equal keys kept). nlohmann's
/// lexer copies every token into a buffer of its own and tracks lines and
/// columns; simdjson validates and indexes the line at several GB/s. Both
/// readers decline (false) whatever they are not sure of — errors first —
/// and the caller then asks nlohmann, whose document or message stands:
/// what a line gives is the same either way.
namespace sophia::actors::pipeline::airbyte::simd {

/// The document, if the line is one JSON object.
bool read_document(std::string_view line, nlohmann::json& out);

/// The record, if the line is a plain RECORD: keys `type` ("RECORD") and
/// `record` once each; the record's `stream` (not empty), `data` (an
/// object), `emitted_at` (an integer) and maybe `namespace` (a string or
/// null), once each, nothing else. Anything else (`meta`, another key) is
/// declined, for the full reading.
bool read_record(std::string_view line, record& out);

} // namespace sophia::actors::pipeline::airbyte::simd
