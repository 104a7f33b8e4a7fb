#include "runtime/config/cluster_config.hpp"

namespace sophia::runtime::config {

std::string node_config::endpoint() const {
  // An IPv6 address needs brackets, or its colons swallow the port.
  if (host.find(':') != std::string::npos)
    return '[' + host + "]:" + std::to_string(port);
  return host + ':' + std::to_string(port);
}

uint16_t node_config::mcp_port(const edge_config& edge) const {
  return edge_port != 0 ? edge_port : edge.port;
}

const node_config* cluster_config::find_node(std::string_view name) const {
  for (const auto& node : nodes)
    if (node.name == name) return &node;
  return nullptr;
}

const std::vector<std::string_view>& known_roles() {
  // Adding a role means adding its supervisor subtree in nodes/ as well.
  static const std::vector<std::string_view> roles{
    "edge",
    "ai_intelligence",
    "data_intelligence",
    "infrastructure_intelligence",
    "business_intelligence",
    "pipeline",
    "gpu_worker",
    "monitoring",
  };
  return roles;
}

} // namespace sophia::runtime::config
