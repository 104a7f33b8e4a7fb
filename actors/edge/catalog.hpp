#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>
#include <nlohmann/json.hpp>

#include "runtime/json/json_schema.hpp"

namespace sophia::actors::edge {

/// One MCP provider as the edge found it in the registry.
struct provider {
  /// Its registry entry, `mcp.SERVICE@NODE`.
  std::string key;
  std::string node;
  caf::actor handle;
  /// Its `describe` answer (see `runtime/mcp/provider.hpp`).
  nlohmann::json descriptor;
};

/// The tools, resources and prompts of the whole cluster as one MCP server
/// shows them: the edge's own built-ins plus every provider's, under their
/// catalog names (`prefix` + declared name), without collisions.
class catalog {
public:
  /// A tool, prompt, resource or resource template.
  struct item {
    /// Catalog name (tools, prompts), URI (resources) or URI template.
    std::string name;
    /// The name the provider declared (what its calls carry).
    std::string original;
    /// The serialized descriptor clients see.
    std::string json;
    /// The role it runs under; empty for the edge's built-ins.
    std::string domain;
    std::string service;
    /// The node of the owner; empty for built-ins.
    std::string node;
    /// The owner; invalid for built-ins (the edge serves them itself).
    caf::actor handle;
    /// Compiled `inputSchema` (tools only).
    std::shared_ptr<const runtime::json::json_schema> schema;
    /// Matches URIs of a resource template.
    std::shared_ptr<const std::regex> pattern;
  };

  /// What a rebuild changed, to tell clients (`list_changed`).
  struct changes {
    bool tools = false;
    bool resources = false;
    bool prompts = false;
  };

  /// Which items a client sees: a virtual server's domain (empty: all) and
  /// an API key's tool patterns (null: all).
  struct view {
    std::string_view domain;
    const std::vector<std::string>* tool_patterns = nullptr;
  };

  /// Sets the edge's own tools and resources (descriptors as JSON).
  void set_builtins(std::vector<nlohmann::json> tools,
                    std::vector<nlohmann::json> resources);

  /// Rebuilds the catalog from `providers` (one per service is used: this
  /// node's, else the lowest-named node's). Problems (a bad schema, a name
  /// taken twice) skip the item and are appended to `warnings`.
  changes rebuild(const std::vector<provider>& providers,
                  std::string_view self_node,
                  std::vector<std::string>& warnings);

  const item* tool(std::string_view name) const;
  /// The catalog names of every tool, sorted.
  std::vector<std::string> tool_names() const;
  const item* prompt(std::string_view name) const;
  /// The resource with this URI, else the first template matching it.
  const item* resource(std::string_view uri) const;

  /// Whether `v` may see tool `x`.
  static bool visible(const item& x, const view& v, bool is_tool);

  /// One page of `kind` ("tools", "resources", "resourceTemplates",
  /// "prompts") as the MCP list result: `{"KIND":[...],"nextCursor"?}`.
  /// Fails with a message on a cursor this catalog did not issue.
  std::optional<std::string> page(std::string_view kind,
                                  const view& v,
                                  std::string_view cursor,
                                  size_t page_size,
                                  std::string& error) const;

  /// The tools `v` sees, as a JSON array (for `sophia://tools`).
  nlohmann::json tool_list(const view& v) const;

  /// Grows whenever anything changes; cursors carry it.
  uint64_t version() const noexcept { return version_; }

private:
  using table = std::map<std::string, item, std::less<>>;

  const table* table_of(std::string_view kind) const;

  std::vector<item> builtin_tools_;
  std::vector<item> builtin_resources_;
  table tools_;
  table resources_;
  table templates_;
  table prompts_;
  uint64_t version_ = 1;
};

/// Whether `name` matches one of the glob `patterns` (`*` is any run).
bool glob_any(const std::vector<std::string>& patterns, std::string_view name);

} // namespace sophia::actors::edge
