#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "actors/edge/tool_call_record.hpp"
#include "runtime/config/cluster_config.hpp"

namespace sophia::actors::edge {

/// Spawns the MCP edge of node `node`: the engine actor plus the Streamable
/// HTTP transport on the node's MCP port (and the domain ports), with the API
/// keys and Host/Origin allow-list of `cluster`. Returns one actor that
/// stands for both: it quits when the engine does, and when it exits the HTTP
/// transport drains and stops. Fails with a clear error when a port cannot
/// be bound or an API key's secret cannot be resolved.
caf::expected<caf::actor> spawn_edge_service(
  caf::actor_system& sys,
  const runtime::config::cluster_config& cluster,
  const std::string& node,
  std::function<caf::actor()> membership,
  tool_call_hook on_tool_call = {});

/// Waits (up to `max`) until every stopped edge finished draining its
/// connections; `main` calls it before exiting so SIGTERM drains streams.
void await_drained(std::chrono::milliseconds max);

/// Builds the key ring of `[api_keys.*]`, resolving each secret reference;
/// fails naming the first key that cannot be resolved.
caf::expected<std::shared_ptr<const class key_ring>> load_keys(
  const runtime::config::cluster_config& cluster);

} // namespace sophia::actors::edge
