#pragma once

#include <caf/actor.hpp>

#include "runtime/mcp/service.hpp"

/// The MCP tool `pipeline.search`: the records whose text is nearest to a
/// query, from the vectors stage (`stage.hpp`).
namespace sophia::actors::pipeline::vectors {

/// The tool's declaration, asking `stage`.
runtime::mcp::tool search_tool(caf::actor stage);

/// The readable text of a search answer (`{results: [...]}`).
std::string search_text(const nlohmann::json& answer);

} // namespace sophia::actors::pipeline::vectors
