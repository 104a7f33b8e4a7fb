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

uint16_t edge_config::domain_port(std::string_view domain) const {
  if (domain == "ai_intelligence") return ai_intelligence_port;
  if (domain == "data_intelligence") return data_intelligence_port;
  if (domain == "infrastructure_intelligence")
    return infrastructure_intelligence_port;
  if (domain == "business_intelligence") return business_intelligence_port;
  return 0;
}

const std::vector<std::string_view>& mcp_domains() {
  // Adding a domain means adding its `[edge] DOMAIN_port` key as well.
  static const std::vector<std::string_view> domains{
    "ai_intelligence",
    "data_intelligence",
    "infrastructure_intelligence",
    "business_intelligence",
  };
  return domains;
}

const std::vector<std::string_view>& known_roles() {
  // Adding a role means adding its supervisor subtree in nodes/ as well.
  static const std::vector<std::string_view> roles = [] {
    std::vector<std::string_view> xs{ "edge" };
    for (auto d : mcp_domains())
      xs.push_back(d);
    for (auto r : { "pipeline", "gpu_worker", "monitoring" })
      xs.push_back(r);
    return xs;
  }();
  return roles;
}

} // namespace sophia::runtime::config
