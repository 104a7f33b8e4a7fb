#include "nodes/roles.hpp"

#include <chrono>

#include "runtime/placement/decide.hpp"
#include "runtime/placement/role_endpoint.hpp"
#include "runtime/supervision/supervisor.hpp"

namespace sophia::nodes {

using namespace runtime::supervision;

child_spec role_supervisor(const std::string& role,
                           const std::string& node,
                           caf::actor registry) {
  child_spec endpoint;
  endpoint.id = "endpoint";
  endpoint.start = [=](caf::actor_system& sys, const caf::message&) {
    return caf::expected<caf::actor>{ runtime::placement::spawn_role_endpoint(
      sys, role, node, registry) };
  };
  endpoint.shutdown = shutdown_spec::timeout(std::chrono::milliseconds{ 2000 });
  // A role that crash-loops (more than 3 restarts in 5 s) escalates to the
  // node supervisor, which restarts the whole role; only if that keeps
  // failing does the node give up.
  return supervisor_spec(
    runtime::placement::registry_name(role),
    flags{ strategy::one_for_one, 3, std::chrono::milliseconds{ 5000 } },
    { endpoint });
}

} // namespace sophia::nodes
