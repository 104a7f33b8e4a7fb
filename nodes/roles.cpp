#include "nodes/roles.hpp"

#include <chrono>

#include "actors/ai/ai_role.hpp"
#include "actors/conformance/fixtures.hpp"
#include "actors/edge/edge_service.hpp"
#include "actors/optimizer/limiter.hpp"
#include "actors/pipeline/pipeline_role.hpp"
#include "actors/pipeline/spool/tool_call_spool.hpp"
#include "runtime/placement/decide.hpp"
#include "runtime/placement/role_endpoint.hpp"
#include "runtime/supervision/supervisor.hpp"

namespace sophia::nodes {

using namespace runtime::supervision;

child_spec role_supervisor(const std::string& role,
                           const std::string& node,
                           caf::actor registry,
                           const runtime::config::cluster_config& cluster,
                           std::function<caf::actor()> membership) {
  std::vector<child_spec> children;
  child_spec endpoint;
  endpoint.id = "endpoint";
  endpoint.start = [=](caf::actor_system& sys, const caf::message&) {
    return caf::expected<caf::actor>{ runtime::placement::spawn_role_endpoint(
      sys, role, node, registry) };
  };
  endpoint.shutdown = shutdown_spec::timeout(std::chrono::milliseconds{ 2000 });
  children.push_back(std::move(endpoint));
  if (role == "edge") {
    // The tool-call spool first: the edge hands it every finished call
    // through `sink`, which follows the spool across its restarts.
    actors::edge::tool_call_hook on_call;
    if (cluster.pipeline.tool_calls) {
      namespace sp = actors::pipeline::spool;
      sp::tool_call_sink sink;
      sp::tool_call_spool_options o;
      o.node = node;
      o.dir = sp::spool_dir_of(cluster, node);
      o.fsync_ms = cluster.pipeline.spool_fsync_ms;
      o.fsync_records = cluster.pipeline.spool_fsync_records;
      o.max_bytes = cluster.pipeline.spool_max_bytes;
      o.ship_interval_ms = cluster.pipeline.ship_interval_ms;
      o.ship_batch_records = cluster.pipeline.ship_batch_records;
      o.registry = registry;
      o.results = cluster.pipeline.tool_results;
      o.results_max_bytes = cluster.pipeline.tool_results_max_bytes;
      child_spec spool;
      spool.id = "tool_calls";
      spool.start = [sink, o](caf::actor_system& sys, const caf::message&) {
        auto a = sp::spawn_tool_call_spool(sys, o);
        if (a) sink.set(*a);
        return a;
      };
      spool.shutdown = shutdown_spec::timeout(std::chrono::milliseconds{ 2000 });
      children.push_back(std::move(spool));
      on_call = [sink](std::string rec, const std::string& answer) {
        sink(std::move(rec), answer);
      };
    }
    child_spec mcp;
    mcp.id = "mcp";
    mcp.start = [=](caf::actor_system& sys, const caf::message&) {
      return actors::edge::spawn_edge_service(
        sys, cluster, node, membership, on_call);
    };
    mcp.shutdown = shutdown_spec::timeout(std::chrono::milliseconds{ 3000 });
    children.push_back(std::move(mcp));
  }
  if (role == "ai_intelligence")
    children.push_back(
      actors::ai::ai_supervisor(cluster, registry, role, membership, node));
  if (role == "monitoring") {
    // The one owner of the cluster-wide limits (API keys' AI budgets and
    // rates, providers' cluster rates), leased to the routers; it moves
    // with the role when the role fails over.
    child_spec limiter;
    limiter.id = "limiter";
    limiter.start = [=](caf::actor_system& sys, const caf::message&) {
      return actors::optimizer::spawn_limiter(sys, { registry });
    };
    limiter.shutdown = shutdown_spec::timeout(std::chrono::milliseconds{ 1000 });
    children.push_back(std::move(limiter));
  }
  if (role == "pipeline")
    children.push_back(
      actors::pipeline::pipeline_supervisor(cluster, registry, role));
  if (cluster.conformance.enabled && role == cluster.conformance.role) {
    child_spec fixtures;
    fixtures.id = "conformance";
    fixtures.start = [=](caf::actor_system& sys, const caf::message&) {
      return caf::expected<caf::actor>{ actors::conformance::spawn_fixtures(
        sys, registry, role) };
    };
    fixtures.shutdown =
      shutdown_spec::timeout(std::chrono::milliseconds{ 1000 });
    children.push_back(std::move(fixtures));
  }
  // A role that crash-loops (more than 3 restarts in 5 s) escalates to the
  // node supervisor, which restarts the whole role; only if that keeps
  // failing does the node give up.
  return supervisor_spec(
    runtime::placement::registry_name(role),
    flags{ strategy::one_for_one, 3, std::chrono::milliseconds{ 5000 } },
    std::move(children));
}

} // namespace sophia::nodes
