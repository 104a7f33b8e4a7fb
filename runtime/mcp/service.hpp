#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <caf/message_handler.hpp>
#include <nlohmann/json.hpp>

#include "runtime/mcp/tool_call.hpp"

/// One way to write a service: declare its tools (and, where it has them,
/// resources, prompts and other MCP methods) with handlers, and
/// `spawn_service` turns the declaration into an MCP provider
/// (`runtime/mcp/provider.hpp`): the descriptor, registration as
/// `mcp.SERVICE`, argument validation against each input schema, dispatch,
/// cancellation and error mapping come for free.
///
/// ```cpp
/// mcp::service_spec spec{ "openrouter", "ai_intelligence" };
/// spec.tools.push_back({
///   .name = "models", .title = "OpenRouter models",
///   .description = "Lists the models OpenRouter serves, with prices.",
///   .input_schema = R"({"type":"object","properties":{}})",
///   .hints = { .read_only = true, .open_world = true },
///   .run = [](const mcp::call_ptr& c) { c->reply("..."); } });
/// auto actor = mcp::spawn_service(sys, registry, std::move(spec));
/// ```
namespace sophia::runtime::mcp {

/// MCP tool annotations: hints for the client, unset when not declared.
struct tool_hints {
  std::optional<bool> read_only;
  std::optional<bool> destructive;
  std::optional<bool> idempotent;
  std::optional<bool> open_world;
};

using handler = std::function<void(const call_ptr&)>;

/// A tool as a service declares it.
struct tool {
  /// Unprefixed: the edge lists it as `PREFIX + name`.
  std::string name;
  /// A short human title.
  std::string title;
  /// Written for an LLM reader: what it does, when to use it, what it costs.
  std::string description;
  /// JSON Schema of the arguments (JSON text); validated before `handler`.
  std::string input_schema = R"({"type":"object"})";
  /// JSON Schema of `structuredContent` (JSON text); empty when none.
  std::string output_schema;
  tool_hints hints;
  handler run;
};

/// What `spawn_service` serves.
struct service_spec {
  /// The service's name: registered as `mcp.SERVICE`.
  std::string service;
  /// The role it runs under (the descriptor's `domain`).
  std::string domain;
  /// Namespaces the tools in the edge's catalog; `SERVICE.` when unset.
  std::optional<std::string> prefix;
  std::vector<tool> tools;
  /// The descriptor's `resources`, `resourceTemplates` and `prompts`.
  nlohmann::json resources = nlohmann::json::array();
  nlohmann::json resource_templates = nlohmann::json::array();
  nlohmann::json prompts = nlohmann::json::array();
  /// Handlers of other MCP methods by name (`resources/read`,
  /// `prompts/get`, `completion/complete`, `resources/subscribe`, ...):
  /// they receive the whole `params` and answer with `reply_result`.
  std::map<std::string, handler> methods;
  /// Runs in the actor once it started (timers, subscriptions).
  std::function<void(caf::event_based_actor*)> on_start;
  /// The service's own messages (its timers, streamed HTTP bodies), tried
  /// after the MCP ones.
  std::function<caf::message_handler(caf::event_based_actor*)> handlers;
};

/// Spawns the provider actor of `spec` and registers it as
/// `mcp.SERVICE` in `registry` (when given). Fails when a schema does not
/// compile or two tools share a name, naming the tool and the problem.
caf::expected<caf::actor> spawn_service(caf::actor_system& sys,
                                        caf::actor registry,
                                        service_spec spec);

/// The descriptor of `spec` (what `(describe)` answers), as JSON text.
std::string descriptor_of(const service_spec& spec);

/// How `tools/list` shows `t`: name, title, description, inputSchema,
/// outputSchema and annotations.
nlohmann::json describe_tool(const tool& t);

} // namespace sophia::runtime::mcp
