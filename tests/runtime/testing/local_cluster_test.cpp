// The in-process cluster fixture, end to end over real loopback sockets: what
// a developer gets from runtime/testing/cluster.hpp. Bounds are generous (the
// machines are shared); the benchmark measures the real figures.

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <chrono>

#include <caf/all.hpp>

#include "runtime/diag/echo.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/testing/cluster.hpp"
#include "runtime/wire/codec.hpp"

using namespace sophia::runtime;
using namespace std::chrono_literals;
using testing::local_cluster;
using wire::member_state;

namespace {

/// A service a test spawns on one node: `echo` answers "<node>:<payload>".
caf::behavior greeter(caf::event_based_actor*, std::string node) {
  return {
    [node](atoms::call, const wire::buffer& buf) -> caf::result<wire::buffer> {
      auto env = wire::decode_call_envelope(buf);
      if (!env) return env.error();
      return call::make_reply(node + ":" + env->payload);
    },
  };
}

struct quiet_logs {
  quiet_logs() { log::init("test", "warn"); }
} quiet;

std::string text(caf::actor_system& sys, const caf::expected<std::string>& x) {
  return x ? *x : "<error: " + sys.render(x.error()) + ">";
}

} // namespace

TEST_CASE("three in-process nodes converge and answer calls across nodes") {
  local_cluster c{ { .nodes = 3 } };
  REQUIRE(local_cluster::wait_until([&] { return c.converged(); }));
  auto svc = c.spawn(2, greeter, c.name(2));
  REQUIRE(!c.register_actor(2, "greeter", svc));
  // The registry entry reaches every node.
  REQUIRE(
    local_cluster::wait_until([&] { return bool{ c.lookup(0, "greeter") }; }));
  call::request req{ "echo", "hi", 2s, "test", "" };
  CHECK(text(c.system(0), c.call(0, "greeter", req)) == "node-3:hi");
  CHECK(text(c.system(1), c.call(1, "greeter@node-3", req)) == "node-3:hi");
  // The built-in echo of every node is registered and reachable.
  CHECK(text(c.system(0), c.call(0, "runtime.echo@node-2", req)) == "hi");
}

TEST_CASE("a killed node is marked down, its entries vanish, and it rejoins "
          "after a restart") {
  local_cluster c{ { .nodes = 3 } };
  REQUIRE(local_cluster::wait_until([&] { return c.converged(); }));
  REQUIRE(local_cluster::wait_until(
    [&] { return bool{ c.lookup(0, "runtime.echo@node-3") }; }));
  c.kill(2);
  CHECK(local_cluster::wait_until(
    [&] {
      return c.state(0, 2) == member_state::down &&
             c.state(1, 2) == member_state::down;
    },
    5s));
  CHECK(c.state(0, 1) == member_state::up);
  auto gone = c.lookup(0, "runtime.echo@node-3");
  REQUIRE(!gone);
  CHECK(code_of(gone.error()) == errc::not_found);
  c.restart(2);
  CHECK(local_cluster::wait_until([&] { return c.converged(); }, 10s));
  CHECK(local_cluster::wait_until(
    [&] { return bool{ c.lookup(0, "runtime.echo@node-3") }; }, 10s));
}

TEST_CASE("a call pending on a node that dies fails with node_down within its "
          "deadline") {
  local_cluster c{ { .nodes = 2 } };
  REQUIRE(local_cluster::wait_until([&] { return c.converged(); }));
  REQUIRE(local_cluster::wait_until(
    [&] { return bool{ c.lookup(0, "runtime.echo@node-2") }; }));
  auto& sys = c.system(0);
  caf::scoped_actor self{ sys };
  call::request req{ "sleep", "30000", 20s, "test", "" };
  auto started = std::chrono::steady_clock::now();
  auto h = call::async_call(self.ptr(),
                            c.handles(0).registry,
                            std::string{ "runtime.echo@node-2" },
                            req);
  // The call is pending on node-2 once its echo actor holds it.
  call::request sleeping{ "sleeping", "", 2s, "test", "" };
  REQUIRE(local_cluster::wait_until([&] {
    return text(sys, c.call(0, "runtime.echo@node-2", sleeping)) == "1";
  }));
  c.kill(1);
  caf::error err;
  h.receive([](wire::buffer&) {}, [&](caf::error& e) { err = std::move(e); });
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(code_of(err) == errc::node_down);
  CHECK(took < 10s);
  // The caller's node keeps serving.
  call::request ping{ "echo", "still here", 2s, "test", "" };
  CHECK(text(sys, c.call(0, "runtime.echo@node-1", ping)) == "still here");
}

TEST_CASE("a call whose deadline passes fails with deadline_exceeded") {
  local_cluster c{ { .nodes = 2 } };
  REQUIRE(local_cluster::wait_until([&] { return c.converged(); }));
  REQUIRE(local_cluster::wait_until(
    [&] { return bool{ c.lookup(0, "runtime.echo@node-2") }; }));
  call::request req{ "sleep", "5000", 300ms, "test", "" };
  auto started = std::chrono::steady_clock::now();
  auto r = c.call(0, "runtime.echo@node-2", req);
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(!r);
  CHECK(code_of(r.error()) == errc::deadline_exceeded);
  CHECK(took >= 300ms);
  CHECK(took < 3s);
}
