#include "nodes/stdio_edge.hpp"

#include <atomic>
#include <thread>
#include <unistd.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/edge/edge_actor.hpp"
#include "actors/edge/stdio.hpp"
#include "runtime/log.hpp"
#include "runtime/node/connector.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/system/setup.hpp"

namespace sophia::nodes {

namespace {

using namespace runtime;

/// The membership actor of the node the stdio edge talks to now.
struct node_slot {
  mutable std::mutex mtx;
  caf::actor membership;
  std::string name;

  caf::actor get() const {
    std::lock_guard<std::mutex> guard{ mtx };
    return membership;
  }
};

/// Candidate nodes: `prefer`, then edge nodes, then the rest (file order).
std::vector<const config::node_config*> candidates(
  const config::cluster_config& cluster,
  const std::string& prefer) {
  std::vector<const config::node_config*> out;
  auto has_edge = [](const config::node_config& n) {
    return std::find(n.roles.begin(), n.roles.end(), "edge") != n.roles.end();
  };
  for (auto& n : cluster.nodes)
    if (n.name == prefer) out.push_back(&n);
  for (auto& n : cluster.nodes)
    if (n.name != prefer && has_edge(n)) out.push_back(&n);
  for (auto& n : cluster.nodes)
    if (n.name != prefer && !has_edge(n)) out.push_back(&n);
  return out;
}

} // namespace

int run_stdio_edge(const config::cluster_config& cluster,
                   const std::string& prefer) {
  if (!prefer.empty() && cluster.find_node(prefer) == nullptr) {
    std::cerr << "sophia-node: --node " << prefer << " is not in "
              << cluster.source << "\n";
    return 2;
  }
  log::init("stdio", cluster.log_level);
  auto lg = log::get("stdio");
  caf::actor_system_config cfg;
  system::prepare(cfg, cluster);
  caf::actor_system sys{ cfg };
  auto connector = node::spawn_connector(sys);
  auto slot = std::make_shared<node_slot>();
  std::atomic<bool> stop{ false };
  // Keeps a connection to some node of the cluster, moving on when it dies.
  std::thread locator([&] {
    caf::scoped_actor self{ sys };
    auto order = candidates(cluster, prefer);
    while (!stop) {
      if (!slot->get()) {
        for (auto* n : order) {
          caf::actor found;
          self
            ->request(connector,
                      std::chrono::seconds{ 2 },
                      caf::connect_atom::value,
                      n->host,
                      n->port)
            .receive([&](caf::actor& a) { found = std::move(a); },
                     [&](caf::error& err) {
                       lg->debug(
                         "node {} unreachable: {}", n->name, sys.render(err));
                     });
          if (found) {
            self->monitor(found);
            std::lock_guard<std::mutex> guard{ slot->mtx };
            slot->membership = found;
            slot->name = n->name;
            lg->info(
              "reaching cluster '{}' through node {}", cluster.name, n->name);
            break;
          }
        }
        if (!slot->get())
          lg->warn("no node of cluster '{}' is reachable; retrying",
                   cluster.name);
      }
      self->receive(
        [&](caf::down_msg&) {
          std::lock_guard<std::mutex> guard{ slot->mtx };
          lg->warn("lost node {}; looking for another", slot->name);
          slot->membership = nullptr;
        },
        caf::after(std::chrono::milliseconds{ 250 }) >> [] {});
    }
  });
  auto engine = actors::edge::spawn_edge(
    sys,
    actors::edge::edge_options{ "stdio-" + std::to_string(getpid()),
                                cluster.edge,
                                [slot] { return slot->get(); },
                                nullptr,
                                {} });
  // Answer the client's first tools/list with the cluster's tools: wait
  // (bounded) until a node is reached and the catalog loaded.
  {
    caf::scoped_actor self{ sys };
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds{ 5 };
    while (!slot->get() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds{ 20 });
    if (slot->get())
      self
        ->request(engine,
                  std::chrono::seconds{ 5 },
                  caf::get_atom::value,
                  runtime::atoms::status::value)
        .receive([&](size_t n) { lg->info("catalog loaded: {} providers", n); },
                 [&](caf::error& err) {
                   lg->warn("catalog not loaded yet ({}); serving anyway",
                            sys.render(err));
                 });
  }
  actors::edge::run_stdio(engine,
                          static_cast<size_t>(cluster.edge.max_body_bytes));
  lg->info("stdin closed: exiting");
  stop = true;
  locator.join();
  caf::anon_send_exit(engine, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(connector, caf::exit_reason::user_shutdown);
  return 0;
}

} // namespace sophia::nodes
