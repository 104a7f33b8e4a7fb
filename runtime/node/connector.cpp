#include "runtime/node/connector.hpp"

#include <set>
#include <string>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "runtime/error.hpp"

namespace sophia::runtime::node {

namespace {

caf::behavior connector_impl(caf::event_based_actor* self) {
  return {
    [self](caf::connect_atom,
           std::string& host,
           uint16_t port) -> caf::result<caf::actor> {
      auto rp = self->make_response_promise<caf::actor>();
      auto endpoint = host + ":" + std::to_string(port);
      // The requester bounds the whole attempt; this request only needs to
      // end eventually, so that the promise is not parked forever.
      self
        ->request(self->system().middleman().actor_handle(),
                  std::chrono::seconds{ 30 },
                  caf::connect_atom::value,
                  std::move(host),
                  port)
        .then(
          [=](const caf::node_id& nid,
              caf::strong_actor_ptr& ptr,
              const std::set<std::string>&) mutable {
            if (!ptr) {
              rp.deliver(make_error(errc::unreachable,
                                    endpoint + " published no actor"));
              return;
            }
            if (nid == self->node()) {
              rp.deliver(make_error(errc::rejected,
                                    endpoint + " has our own CAF node id " +
                                      to_string(nid) +
                                      " (host hash and PID collide)"));
              return;
            }
            rp.deliver(caf::actor_cast<caf::actor>(std::move(ptr)));
          },
          [=](caf::error& err) mutable {
            rp.deliver(make_error(
              errc::unreachable, endpoint + ": " + self->system().render(err)));
          });
      return rp;
    },
  };
}

} // namespace

caf::actor spawn_connector(caf::actor_system& sys) {
  return sys.spawn(connector_impl);
}

} // namespace sophia::runtime::node
