#pragma once

// A deterministic fixture for runtime actors: CAF's test coordinator runs every
// actor on the test thread and time only moves when the test says so. There
// is no middleman: "remote" peers are local actors found through a fake
// connector, which is exactly what the membership actor's interface allows.

#include <chrono>
#include <map>
#include <memory>
#include <vector>

#include <caf/test/dsl.hpp>

#include "runtime/config/cluster_config.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/membership/event.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/system/setup.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::runtime::test {

using namespace std::chrono_literals;

/// The actor system config of the deterministic tests: our message types,
/// no middleman.
struct actor_test_config : caf::actor_system_config {
  actor_test_config() { system::announce(*this); }
};

/// Answers `(connect_atom, host, port)` with the actor registered for that
/// port, or `errc::unreachable`; `(put_atom, port, actor)` and
/// `(delete_atom, port)` change the map (a node comes up or goes away).
inline caf::behavior fake_connector(
  caf::stateful_actor<std::map<uint16_t, caf::actor>>* self) {
  return {
    [self](caf::connect_atom,
           const std::string& host,
           uint16_t port) -> caf::result<caf::actor> {
      auto i = self->state.find(port);
      if (i == self->state.end())
        return make_error(errc::unreachable,
                          host + ":" + std::to_string(port) + " refused");
      return i->second;
    },
    [self](caf::put_atom, uint16_t port, caf::actor& a) {
      self->state[port] = std::move(a);
    },
    [self](caf::delete_atom, uint16_t port) { self->state.erase(port); },
  };
}

/// Collects every membership event it receives.
using event_log = std::shared_ptr<std::vector<membership::event>>;

inline caf::behavior event_recorder(caf::event_based_actor*, event_log log) {
  return {
    [log](atoms::member, const membership::event& ev) { log->push_back(ev); },
  };
}

/// A cluster_config of `n` nodes `a`, `b`, ... on ports 1, 2, ...
inline config::cluster_config make_cluster(size_t n) {
  config::cluster_config c;
  c.source = "<test>";
  c.name = "test";
  c.heartbeat_ms = 100;
  c.failure_timeout_ms = 1000;
  c.connect_timeout_ms = 200;
  c.reconnect_ms = 100;
  for (size_t i = 0; i < n; ++i) {
    config::node_config node;
    node.name = std::string(1, static_cast<char>('a' + i));
    node.host = "127.0.0.1";
    node.port = static_cast<uint16_t>(i + 1);
    c.nodes.push_back(node);
  }
  return c;
}

struct actor_fixture : test_coordinator_fixture<actor_test_config> {
  actor_fixture() {
    // State changes are asserted, not read from the log.
    log::init("test", "error");
  }

  /// Advances the clock in steps of `step`, running every actor after each,
  /// the way time passes in a real node (timers fire, messages flow).
  void advance(caf::timespan total, caf::timespan step = 10ms) {
    for (caf::timespan t{ 0 }; t < total; t += step) {
      advance_time(step);
      consume_messages();
    }
  }

  /// Sends a request and returns the reply once every actor ran; the
  /// coordinator's `run()` cannot be used because periodic timers never end.
  template <class T, class... Ts>
  caf::expected<T> ask(const caf::actor& dst, Ts&&... xs) {
    auto h = self->request(dst, caf::infinite, std::forward<Ts>(xs)...);
    consume_messages();
    caf::expected<T> result{ make_error(errc::none) };
    h.receive([&](T& x) { result = std::move(x); },
              [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// Kills actors that have periodic timers, so that the fixture's final
  /// `run()` terminates.
  void shutdown(std::initializer_list<caf::actor> xs) {
    for (auto& x : xs)
      if (x) caf::anon_send_exit(x, caf::exit_reason::kill);
    consume_messages();
  }
};

} // namespace sophia::runtime::test
