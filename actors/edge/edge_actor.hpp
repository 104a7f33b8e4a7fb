#pragma once

#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include "actors/edge/tool_call_record.hpp"
#include "runtime/config/cluster_config.hpp"

namespace sophia::actors::edge {

struct inbound;
struct http_counters;

/// Tags of the edge's own messages.
namespace atoms {
/// `(mcp_in, inbound_ptr)`: a client message from a transport.
using mcp_in = caf::atom_constant<caf::atom("mcpin")>;
} // namespace atoms

/// See `spawn_edge`.
using inline_handler = std::function<bool(const std::shared_ptr<inbound>&)>;

/// What the edge actor needs.
struct edge_options {
  /// Names the edge in logs and in the caller identity of its calls.
  std::string node;
  runtime::config::edge_config config;
  /// The membership actor of a node of the cluster (this node's, or the one
  /// a stdio edge connected to); asked again on every refresh because a
  /// node's runtime actors may restart.
  std::function<caf::actor()> membership;
  /// The HTTP transport's figures, for the status (null without one).
  std::shared_ptr<const http_counters> http;
  /// Told of every finished tools/call (see `tool_call_hook`). Empty:
  /// nobody.
  tool_call_hook on_tool_call;
};

/// Spawns the MCP engine: sessions, JSON-RPC and MCP methods, the catalog of
/// the cluster's tools (refreshed from the registry), and calls to the
/// providers that own them (see `runtime/mcp/provider.hpp`). Transports
/// (`http_server.hpp`, `stdio.hpp`) send it `(mcp_in, inbound_ptr)`.
/// `(get_atom, status)` answers the number of providers once the catalog
/// was first loaded from the registry (a stdio edge waits for it, so that
/// its first `tools/list` already shows the cluster's tools).
/// With `fast`, also returns a handler transports call on their own thread
/// first: it answers what needs only the engine's state (ping, the lists,
/// setLevel, the edge's own tools) without a hop to the actor and back, and
/// returns false for anything else, which then goes to the actor.
caf::actor spawn_edge(caf::actor_system& sys,
                      edge_options opts,
                      inline_handler* fast = nullptr);

} // namespace sophia::actors::edge
