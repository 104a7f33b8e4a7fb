#include "runtime/supervision/tree_codec.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "runtime/wire/capnp_io.hpp"
#include "schemas/supervision.capnp.h"

namespace sophia::runtime::supervision {

namespace {

namespace s = sophia::schemas;
using wire::str;

void fill(s::TreeNode::Builder b, const tree_node& x) {
  b.setName(x.name);
  b.setKind(static_cast<s::ChildKind>(x.kind));
  b.setStrategy(static_cast<s::Strategy>(x.strategy));
  b.setRunning(x.running);
  b.setRestarts(x.restarts);
  b.setTotalRestarts(x.total_restarts);
  b.setEscalations(x.escalations);
  b.setUptimeMs(x.uptime_ms);
  b.setDetail(x.detail);
  auto children = b.initChildren(x.children.size());
  for (size_t i = 0; i < x.children.size(); ++i)
    fill(children[i], x.children[i]);
}

tree_node extract(s::TreeNode::Reader r) {
  tree_node x;
  x.name = str(r.getName());
  x.kind = r.getKind() == s::ChildKind::SUPERVISOR ? child_kind::supervisor
                                                   : child_kind::worker;
  auto st = static_cast<uint16_t>(r.getStrategy());
  x.strategy = st <= static_cast<uint16_t>(strategy::simple_one_for_one)
                 ? static_cast<strategy>(st)
                 : strategy::one_for_one;
  x.running = r.getRunning();
  x.restarts = r.getRestarts();
  x.total_restarts = r.getTotalRestarts();
  x.escalations = r.getEscalations();
  x.uptime_ms = r.getUptimeMs();
  x.detail = str(r.getDetail());
  for (auto c : r.getChildren())
    x.children.push_back(extract(c));
  return x;
}

nlohmann::json json_of(const tree_node& x) {
  nlohmann::json children = nlohmann::json::array();
  for (auto& c : x.children)
    children.push_back(json_of(c));
  auto sup = x.kind == child_kind::supervisor;
  return { { "name", x.name },
           { "kind", to_string(x.kind) },
           { "strategy",
             sup ? nlohmann::json(to_string(x.strategy))
                 : nlohmann::json(nullptr) },
           { "running", x.running },
           { "restarts", x.restarts },
           { "total_restarts", x.total_restarts },
           { "escalations", x.escalations },
           { "uptime_ms", x.uptime_ms },
           { "detail", x.detail },
           { "children", std::move(children) } };
}

void text_of(const tree_node& x,
             const std::string& indent,
             bool last,
             bool root,
             std::string& out) {
  char buf[160];
  auto sup = x.kind == child_kind::supervisor;
  std::snprintf(buf,
                sizeof(buf),
                "  [%s%s%s] restarts=%llu",
                to_string(x.kind),
                sup ? ", " : "",
                sup ? to_string(x.strategy) : "",
                static_cast<unsigned long long>(x.restarts));
  out += indent + (root ? "" : (last ? "└── " : "├── ")) + x.name + buf;
  if (sup && (x.total_restarts || x.escalations))
    out += " children_restarted=" + std::to_string(x.total_restarts) +
           " escalations=" + std::to_string(x.escalations);
  if (x.running) {
    std::snprintf(buf, sizeof(buf), " up %.1f s", x.uptime_ms / 1000.0);
    out += buf;
  } else {
    out += " (not running)";
  }
  if (!x.detail.empty()) out += " (" + x.detail + ")";
  out += '\n';
  auto child_indent = root ? indent : indent + (last ? "    " : "│   ");
  for (size_t i = 0; i < x.children.size(); ++i)
    text_of(
      x.children[i], child_indent, i + 1 == x.children.size(), false, out);
}

} // namespace

wire::buffer encode(const tree_snapshot& x) {
  return wire::build<s::TreeSnapshot>([&](s::TreeSnapshot::Builder b) {
    b.setNode(x.node);
    fill(b.initRoot(), x.root);
  });
}

caf::expected<tree_snapshot> decode_tree_snapshot(const wire::buffer& buf) {
  return wire::read<s::TreeSnapshot>(buf, [](s::TreeSnapshot::Reader r) {
    return tree_snapshot{ str(r.getNode()), extract(r.getRoot()) };
  });
}

std::string to_json(const tree_snapshot& x, int indent) {
  return nlohmann::json{ { "node", x.node }, { "tree", json_of(x.root) } }.dump(
    indent);
}

std::string to_text(const tree_snapshot& x) {
  std::string out = "node " + x.node + "\n";
  text_of(x.root, "", true, true, out);
  return out;
}

} // namespace sophia::runtime::supervision
