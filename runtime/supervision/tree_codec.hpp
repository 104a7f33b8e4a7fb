#pragma once

#include <string>
#include <utility>

#include <caf/expected.hpp>

#include "runtime/supervision/messages.hpp"
#include "runtime/wire/buffer.hpp"

namespace sophia::runtime::supervision {

/// A node's supervision tree as it crosses to `sophiactl tree`
/// (schemas/supervision.capnp TreeSnapshot).
struct tree_snapshot {
  std::string node;
  tree_node root;
};

wire::buffer encode(const tree_snapshot& x);

/// Fails with `errc::decode_failed` on a corrupt buffer.
caf::expected<tree_snapshot> decode_tree_snapshot(const wire::buffer& buf);

/// `{"node", "tree": {"name","kind","strategy","running","restarts",
/// "total_restarts","escalations","uptime_ms","detail","children":[...]}}`;
/// `strategy` is null for workers.
std::string to_json(const tree_snapshot& x, int indent = -1);

/// An indented text tree: name, kind (and strategy), restarts, uptime.
std::string to_text(const tree_snapshot& x);

} // namespace sophia::runtime::supervision
