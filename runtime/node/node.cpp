#include "runtime/node/node.hpp"

#include <chrono>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "runtime/diag/echo.hpp"
#include "runtime/error.hpp"
#include "runtime/membership/membership_actor.hpp"
#include "runtime/node/connector.hpp"
#include "runtime/registry/registry_actor.hpp"
#include "runtime/supervision/supervisor.hpp"
#include "runtime/system/atoms.hpp"

namespace sophia::runtime::node {

namespace {

using namespace supervision;
using ctx_ptr = std::shared_ptr<context>;

child_spec worker(std::string id,
                  start_function f,
                  restart_type restart = restart_type::permanent) {
  child_spec s;
  s.id = std::move(id);
  s.start = std::move(f);
  s.restart = restart;
  s.shutdown = shutdown_spec::timeout(std::chrono::milliseconds{ 2000 });
  return s;
}

/// The runtime services, in dependency order.
std::vector<child_spec> runtime_children(const config::cluster_config& cluster,
                                         const std::string& name,
                                         ctx_ptr ctx,
                                         placement::role_factory roles) {
  std::vector<child_spec> out;
  out.push_back(
    worker("registry", [=](caf::actor_system& sys, const caf::message&) {
      auto inc = ctx->get().incarnation;
      auto a = registry::spawn_registry(sys, name, inc);
      ctx->update([&](handles& h) { h.registry = a; });
      return caf::expected<caf::actor>{ a };
    }));
  out.push_back(
    worker("connector", [=](caf::actor_system& sys, const caf::message&) {
      auto a = spawn_connector(sys);
      ctx->update([&](handles& h) { h.connector = a; });
      return caf::expected<caf::actor>{ a };
    }));
  // Transient: a membership that quits normally (the node leaves) stays
  // down, and takes the node's tree with it.
  out.push_back(worker(
    "membership",
    [=](caf::actor_system& sys,
        const caf::message&) -> caf::expected<caf::actor> {
      auto h = ctx->get();
      auto me = cluster.find_node(name);
      auto m =
        membership::spawn_membership(sys,
                                     membership::options{ cluster,
                                                          name,
                                                          h.incarnation,
                                                          h.connector,
                                                          h.registry,
                                                          h.node_supervisor });
      caf::anon_send(m, runtime::atoms::subscribe::value, h.registry);
      // A restarted membership takes over the port of the one that died.
      if (h.port != 0) sys.middleman().unpublish(h.membership, h.port);
      auto port = sys.middleman().publish(m, me->port, me->host.c_str(), true);
      if (!port) {
        caf::anon_send_exit(m, caf::exit_reason::kill);
        return make_error(errc::unreachable,
                          "cannot listen on " + me->endpoint() + ": " +
                            sys.render(port.error()));
      }
      ctx->update([&](handles& x) {
        x.membership = m;
        x.port = *port;
      });
      // Only a node that leaves (errc::shutdown, see the membership actor)
      // stops its tree; a stop by the runtime supervisor is user_shutdown.
      m->attach_functor([ctx](const caf::error& reason) {
        if (code_of(reason) == errc::shutdown)
          caf::anon_send_exit(ctx->get().node_supervisor,
                              caf::exit_reason::user_shutdown);
      });
      return m;
    },
    restart_type::transient));
  out.push_back(
    worker("echo", [=](caf::actor_system& sys, const caf::message&) {
      auto h = ctx->get();
      auto a = diag::spawn_echo(sys);
      caf::anon_send(
        h.registry, caf::put_atom::value, std::string{ diag::echo_name }, a);
      ctx->update([&](handles& x) { x.echo = a; });
      return caf::expected<caf::actor>{ a };
    }));
  out.push_back(worker(
    "placement",
    [=](caf::actor_system& sys,
        const caf::message&) -> caf::expected<caf::actor> {
      auto h = ctx->get();
      if (!roles) return caf::actor{}; // OTP's `ignore`: no roles on this node
      auto a = placement::spawn_placement(
        sys,
        placement::options{
          cluster, name, h.membership, h.registry, h.node_supervisor, roles });
      caf::anon_send(h.registry,
                     caf::put_atom::value,
                     std::string{ placement::placement_name },
                     a);
      ctx->update([&](handles& x) { x.placement = a; });
      return a;
    }));
  return out;
}

} // namespace

caf::expected<std::shared_ptr<context>> start(
  caf::actor_system& sys,
  const config::cluster_config& cluster,
  const std::string& name,
  placement::role_factory roles) {
  if (!cluster.find_node(name))
    return make_error(errc::bad_config,
                      cluster.source + ": no [[node]] named '" + name + "'");
  auto ctx = std::make_shared<context>();
  ctx->update([&](handles& h) {
    h.name = name;
    h.incarnation = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::system_clock::now().time_since_epoch())
        .count());
  });
  // The node supervisor starts empty so that its handle exists before the
  // runtime subtree (whose placement actor adds roles to it) starts.
  auto node_sup = spawn_supervisor(
    sys,
    "node." + name,
    flags{ strategy::one_for_one, 5, std::chrono::milliseconds{ 30000 } },
    {});
  if (!node_sup) return node_sup.error();
  ctx->update([&](handles& h) { h.node_supervisor = *node_sup; });
  auto runtime = supervisor_spec(
    "runtime",
    flags{ strategy::rest_for_one, 3, std::chrono::milliseconds{ 10000 } },
    runtime_children(cluster, name, ctx, roles));
  caf::scoped_actor self{ sys };
  caf::error err;
  self
    ->request(*node_sup,
              std::chrono::seconds{ 10 },
              supervision::atoms::start_child::value,
              runtime)
    .receive([](const caf::actor&) {},
             [&](caf::error& e) { err = std::move(e); });
  if (err) {
    caf::anon_send_exit(*node_sup, caf::exit_reason::user_shutdown);
    return err;
  }
  return ctx;
}

void stop(caf::actor_system& sys, const context& ctx, bool leave) {
  auto h = ctx.get();
  caf::scoped_actor self{ sys };
  self->monitor(h.node_supervisor);
  if (leave && h.membership)
    // The membership actor tells its peers and quits; its exit stops the tree.
    self->send(h.membership, runtime::atoms::leave::value);
  else
    caf::anon_send_exit(h.node_supervisor, caf::exit_reason::user_shutdown);
  self->receive(
    [](caf::down_msg&) {},
    caf::after(std::chrono::seconds{ 10 }) >>
      [&] { caf::anon_send_exit(h.node_supervisor, caf::exit_reason::kill); });
  if (h.port != 0) sys.middleman().unpublish(h.membership, h.port);
}

} // namespace sophia::runtime::node
