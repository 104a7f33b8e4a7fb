#pragma once

#include <string>

#include <nlohmann/json.hpp>

/// The two shapes of a `CallToolResult` every service answers with, as
/// JSON text: the toolkit's `reply`/`fail` and the edge's built-ins both
/// use these.
namespace sophia::runtime::mcp {

/// `{"content":[{"type":"text","text":TEXT}],"structuredContent":...}`
/// (no structuredContent when `structured` is null).
std::string text_result(std::string text,
                        const nlohmann::json& structured = nullptr);

/// `{"content":[{"type":"text","text":TEXT}],"isError":true}`: a failure the
/// model can read.
std::string error_result(std::string text);

/// The text parts of a `CallToolResult`, joined (what a tool said, e.g.
/// why it failed); empty when it has none.
std::string result_text(const nlohmann::json& result);

/// JSON text that never throws: invalid UTF-8 is replaced.
std::string dump_json(const nlohmann::json& j);

} // namespace sophia::runtime::mcp
