#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

/// The fixtures of the official MCP conformance suite
/// (`@modelcontextprotocol/conformance` 0.1.16, server scenarios), served by
/// one service written on the toolkit (`runtime/mcp/service.hpp`), which
/// speaks the contract of `runtime/mcp/provider.hpp`.
/// Names, texts and schemas follow the suite's own reference server
/// (examples/servers/typescript/everything-server.ts), because the suite
/// hard-codes them; hence the descriptor's empty `prefix`.
///
/// Tools: test_simple_text, test_image_content, test_audio_content,
/// test_embedded_resource, test_multiple_content_types,
/// test_tool_with_logging, test_error_handling, test_tool_with_progress,
/// test_sampling, test_elicitation, test_elicitation_sep1034_defaults,
/// test_elicitation_sep1330_enums, json_schema_2020_12_tool,
/// test_reconnection, and our own test_slow_tool {ms} (progress every 100 ms,
/// cancellable).
/// Resources: test://static-text, test://static-binary,
/// test://watched-resource (an update ~100 ms after each subscribe) and the
/// template test://template/{id}/data.
/// Prompts: test_simple_prompt, test_prompt_with_arguments,
/// test_prompt_with_embedded_resource, test_prompt_with_image; completions
/// for the arguments of test_prompt_with_arguments and for the template's id.
///
/// Errors: an unknown method, tool, prompt, resource or completion reference
/// is `errc::not_found`; a payload that is not the expected JSON, or a
/// missing or mistyped argument (tool arguments are checked against the
/// tool's input schema), is `errc::rejected`; a cancelled call ends with
/// `errc::cancelled`. A tool that fails by design
/// (test_error_handling, a failed sampling or elicitation ask) returns a
/// result with `"isError": true`.
namespace sophia::actors::conformance {

/// The service name: the provider registers as `mcp.conformance`.
constexpr const char* service_name = "conformance";

/// Spawns the conformance fixture provider: registers itself as
/// `mcp.conformance` in `registry` (put_atom, std::string, actor) and serves
/// the MCP conformance suite's fixtures. `domain` is the role it runs under
/// (for the descriptor's "domain").
caf::actor spawn_fixtures(caf::actor_system& sys,
                          caf::actor registry,
                          std::string domain);

} // namespace sophia::actors::conformance
