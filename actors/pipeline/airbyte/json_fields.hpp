#pragma once

#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "actors/pipeline/airbyte/message.hpp"

/// Reading the fields of Airbyte's JSON documents with errors that name
/// the field: shared by the message and catalog parsers.
namespace sophia::actors::pipeline::airbyte::fields {

/// The JSON type of `j` in words ("string", "integer", "object", ...).
std::string type_name(const nlohmann::json& j);

/// "POINTER: expected WHAT, got TYPE".
std::string expected(const std::string& pointer, const char* what,
                     const nlohmann::json& got);

/// `obj[key]` when present and not null, else null.
const nlohmann::json* find(const nlohmann::json& obj, const char* key);

/// A required string field; on failure `err` names it.
std::optional<std::string> string_field(const nlohmann::json& obj,
                                        const char* key,
                                        const std::string& at,
                                        std::string& err);

/// An optional string field (absent or null: none).
std::optional<std::string> optional_string(const nlohmann::json& obj,
                                           const char* key,
                                           const std::string& at,
                                           std::string& err);

/// A `StreamDescriptor` ({name, namespace}) at `obj[key]`.
std::optional<stream_id> descriptor(const nlohmann::json& obj,
                                    const char* key, const std::string& at,
                                    std::string& err);

} // namespace sophia::actors::pipeline::airbyte::fields
