#include "runtime/node/node.hpp"

#include <chrono>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "runtime/diag/echo.hpp"
#include "runtime/error.hpp"
#include "runtime/membership/membership_actor.hpp"
#include "runtime/node/connector.hpp"
#include "runtime/registry/registry_actor.hpp"
#include "runtime/system/atoms.hpp"

namespace sophia::runtime::node {

caf::expected<handles> start(caf::actor_system& sys,
                             const config::cluster_config& cluster,
                             const std::string& name) {
  auto me = cluster.find_node(name);
  if (!me)
    return make_error(errc::bad_config, cluster.source + ": no [[node]] named '"
                                          + name + "'");
  handles h;
  h.name = name;
  h.incarnation = static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
  h.registry = registry::spawn_registry(sys, name, h.incarnation);
  h.connector = spawn_connector(sys);
  h.echo = diag::spawn_echo(sys);
  h.membership = membership::spawn_membership(
    sys, membership::options{cluster, name, h.incarnation, h.connector,
                             h.registry});
  caf::scoped_actor self{sys};
  self->send(h.membership, atoms::subscribe::value, h.registry);
  caf::error err;
  self
    ->request(h.registry, std::chrono::seconds{5}, caf::put_atom::value,
              std::string{diag::echo_name}, h.echo)
    .receive([](caf::ok_atom) {}, [&](caf::error& e) { err = std::move(e); });
  if (!err) {
    auto port = sys.middleman().publish(h.membership, me->port,
                                        me->host.c_str(), true);
    if (port)
      h.port = *port;
    else
      err = make_error(errc::unreachable, "cannot listen on " + me->endpoint()
                                            + ": " + sys.render(port.error()));
  }
  if (err) {
    stop(sys, h, false);
    return err;
  }
  return h;
}

void stop(caf::actor_system& sys, const handles& h, bool leave) {
  if (leave && h.membership) {
    // Give the leave notices a moment to go out before the sockets close.
    caf::scoped_actor self{sys};
    self->monitor(h.membership);
    self->send(h.membership, atoms::leave::value);
    self->receive([](caf::down_msg&) {},
                  caf::after(std::chrono::seconds{2}) >> [] {});
  }
  for (auto& a : {h.membership, h.registry, h.connector, h.echo})
    if (a)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  if (h.port != 0)
    sys.middleman().unpublish(h.membership, h.port);
}

} // namespace sophia::runtime::node
