#include "actors/edge/edge_service.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include <caf/all.hpp>

#include "actors/edge/auth.hpp"
#include "actors/edge/counters.hpp"
#include "actors/edge/edge_actor.hpp"
#include "actors/edge/http_server.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"

namespace sophia::actors::edge {

caf::expected<std::shared_ptr<const key_ring>> load_keys(
  const runtime::config::cluster_config& cluster) {
  auto ring = std::make_shared<key_ring>();
  for (auto& [name, k] : cluster.api_keys) {
    auto r = resolve_secret(k.key);
    if (!r.value)
      return runtime::make_error(runtime::errc::bad_config,
                                 "[api_keys." + name + "] key: " + r.error);
    ring->add(name, r.is_hash ? *r.value : sha256_hex(*r.value), k.tools);
  }
  return std::shared_ptr<const key_ring>{ std::move(ring) };
}

namespace {

std::mutex drain_mtx;
std::condition_variable drain_cv;
int draining = 0;

struct holder_state {
  holder_state() = default;
  static inline const char* name = "sophia.edge.service";
};

} // namespace

void await_drained(std::chrono::milliseconds max) {
  std::unique_lock<std::mutex> guard{ drain_mtx };
  drain_cv.wait_for(guard, max, [] { return draining == 0; });
}

caf::expected<caf::actor> spawn_edge_service(
  caf::actor_system& sys,
  const runtime::config::cluster_config& cluster,
  const std::string& node,
  std::function<caf::actor()> membership,
  tool_call_hook on_tool_call) {
  const auto* me = cluster.find_node(node);
  if (me == nullptr)
    return runtime::make_error(runtime::errc::bad_config,
                               "node '" + node + "' is not in cluster.conf");
  auto keys = load_keys(cluster);
  if (!keys) return keys.error();
  http_options hopts;
  hopts.counters = std::make_shared<http_counters>();
  auto engine = spawn_edge(
    sys,
    edge_options{ node,
                  cluster.edge,
                  std::move(membership),
                  hopts.counters,
                  std::move(on_tool_call) },
    &hopts.fast);
  hopts.config = cluster.edge;
  hopts.origins = default_policy(cluster.edge.address);
  for (auto& h : cluster.edge.allowed_hosts)
    hopts.origins.hosts.push_back(h);
  hopts.keys = *keys;
  auto port = me->mcp_port(cluster.edge);
  // The transport, once bound; shared with the exit handler.
  struct slot {
    std::mutex mtx;
    std::unique_ptr<http_server> server;
  };
  auto srv = std::make_shared<slot>();
  auto lg = runtime::log::get("edge");
  return sys.spawn(
    [=](caf::stateful_actor<holder_state>* self) -> caf::behavior {
      // Monitor, not link: the engine must outlive this actor while the
      // transport drains.
      self->monitor(engine);
      self->set_down_handler(
        [self](caf::down_msg& dm) { self->quit(dm.reason); });
      // Stopping drains connections, which needs the engine (on the actor
      // scheduler) to finish its answers: never block a scheduler thread on it.
      self->attach_functor([srv, engine] {
        {
          std::lock_guard<std::mutex> guard{ drain_mtx };
          ++draining;
        }
        std::thread([srv, engine] {
          std::unique_ptr<http_server> server;
          {
            std::lock_guard<std::mutex> guard{ srv->mtx };
            server = std::move(srv->server);
          }
          if (server) server->stop(std::chrono::milliseconds{ 2000 });
          caf::anon_send_exit(engine, caf::exit_reason::user_shutdown);
          std::lock_guard<std::mutex> guard{ drain_mtx };
          --draining;
          drain_cv.notify_all();
        }).detach();
      });
      // Binding may fail while another process still holds the port (a
      // frozen node this role failed over from): keep trying rather than
      // crash-loop the role, and say so once.
      auto attempts = std::make_shared<int>(0);
      auto try_bind = [=] {
        auto server = http_server::start(engine, hopts, port);
        if (!server) {
          if ((*attempts)++ == 0)
            lg->error("{}; retrying every second",
                      runtime::detail_of(server.error()));
          self->delayed_send(
            self, std::chrono::seconds{ 1 }, caf::ok_atom::value);
          return;
        }
        auto ports = (*server)->ports();
        lg->info("MCP edge of {} serving http://{}:{}/mcp{}",
                 node,
                 cluster.edge.address,
                 ports.front(),
                 ports.size() > 1 ? " (and domain ports)" : "");
        std::lock_guard<std::mutex> guard{ srv->mtx };
        srv->server = std::move(*server);
      };
      try_bind();
      return {
        [try_bind](caf::ok_atom) { try_bind(); },
      };
    });
}

} // namespace sophia::actors::edge
