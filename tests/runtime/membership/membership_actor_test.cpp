#define CAF_SUITE runtime.membership

#include "runtime/membership/membership_actor.hpp"

#include <cstdio>
#include <fstream>

#include "runtime/registry/registry_actor.hpp"
#include "tests/runtime/actor_fixture.hpp"

using namespace sophia::runtime;
using namespace sophia::runtime::test;
using wire::member_state;

namespace {

/// A peer that answers the hello handshake as node `name` would but sends no
/// heartbeats: the model of a hung process whose connection is still open.
/// `(delete_atom)` freezes it (hellos go unanswered, like a stopped
/// process), `(ok_atom, to)` thaws it and sends one heartbeat to `to`, like
/// `kill -CONT`.
caf::behavior silent_peer(caf::event_based_actor* self,
                          std::string name,
                          std::string cluster) {
  auto frozen = std::make_shared<bool>(false);
  using promise = caf::typed_response_promise<wire::buffer, caf::actor>;
  auto parked = std::make_shared<std::vector<promise>>();
  return {
    [=](atoms::hello, const wire::buffer&, const caf::actor&) {
      auto rp = self->make_response_promise<wire::buffer, caf::actor>();
      if (*frozen)
        parked->push_back(rp);
      else
        rp.deliver(wire::encode(wire::hello{
                     { name, cluster, 7, 1, "127.0.0.1", 3, "test" } }),
                   caf::actor{});
      return rp;
    },
    [](atoms::heartbeat, const wire::buffer&) {},
    [=](caf::delete_atom) { *frozen = true; },
    [=](caf::ok_atom, const caf::actor& to) {
      *frozen = false;
      // A resumed process answers what queued up while it was stopped.
      for (auto& rp : *parked)
        rp.deliver(wire::encode(wire::hello{
                     { name, cluster, 7, 1, "127.0.0.1", 3, "test" } }),
                   caf::actor{});
      parked->clear();
      caf::anon_send(to,
                     atoms::heartbeat::value,
                     wire::encode(wire::heartbeat{ name, 7, 1, 0 }));
    },
  };
}

struct fixture : actor_fixture {
  config::cluster_config cluster = make_cluster(3);
  caf::actor connector = sys.spawn(fake_connector);
  std::vector<caf::actor> nodes;
  std::vector<caf::actor> registries;
  event_log events = std::make_shared<std::vector<membership::event>>();

  /// Starts the membership actor of node `i` (and makes it reachable).
  caf::actor start(size_t i, uint64_t incarnation = 1) {
    auto& name = cluster.nodes[i].name;
    if (registries.size() <= i) registries.resize(i + 1);
    registries[i] = registry::spawn_registry(sys, name, incarnation);
    auto m = membership::spawn_membership(
      sys,
      membership::options{
        cluster, name, incarnation, connector, registries[i], caf::actor{} });
    self->send(connector, caf::put_atom::value, cluster.nodes[i].port, m);
    if (nodes.size() <= i) nodes.resize(i + 1);
    nodes[i] = m;
    consume_messages();
    return m;
  }

  /// Kills node `i` like `kill -9`: its actors die, it is unreachable.
  void kill(size_t i) {
    self->send(connector, caf::delete_atom::value, cluster.nodes[i].port);
    caf::anon_send_exit(nodes[i], caf::exit_reason::kill);
    caf::anon_send_exit(registries[i], caf::exit_reason::kill);
    consume_messages();
  }

  std::optional<wire::member_status> status(size_t observer, size_t peer) {
    auto buf = ask<wire::buffer>(nodes[observer], atoms::status::value);
    if (!buf) {
      CAF_MESSAGE("status failed: " << sys.render(buf.error()));
      return std::nullopt;
    }
    auto view = wire::decode_membership_view(*buf);
    if (!view) return std::nullopt;
    for (auto& m : view->members)
      if (m.name == cluster.nodes[peer].name) return m;
    return std::nullopt;
  }

  std::optional<member_state> state(size_t observer, size_t peer) {
    auto st = status(observer, peer);
    return st ? std::optional<member_state>{ st->state } : std::nullopt;
  }

  bool all_up() {
    for (size_t i = 0; i < nodes.size(); ++i)
      for (size_t j = 0; j < nodes.size(); ++j)
        if (i != j && state(i, j) != member_state::up) return false;
    return true;
  }

  ~fixture() override {
    for (auto& n : nodes)
      caf::anon_send_exit(n, caf::exit_reason::kill);
    for (auto& r : registries)
      caf::anon_send_exit(r, caf::exit_reason::kill);
    caf::anon_send_exit(connector, caf::exit_reason::kill);
    consume_messages();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(membership_tests, fixture)

CAF_TEST(nodes started in any order converge to all up) {
  start(2);
  start(0);
  advance(500ms);
  start(1);
  advance(500ms);
  CAF_CHECK(all_up());
  auto st = status(0, 1);
  CAF_REQUIRE(st);
  CAF_CHECK_LESS(st->heartbeat_age_ms, cluster.failure_timeout_ms);
  CAF_CHECK_GREATER_OR_EQUAL(st->heartbeat_age_ms, 0);
}

CAF_TEST(a healthy idle cluster shows no false down over 60 seconds) {
  for (size_t i = 0; i < 3; ++i)
    start(i);
  advance(500ms);
  CAF_REQUIRE(all_up());
  auto sub = sys.spawn(event_recorder, events);
  self->send(nodes[0], atoms::subscribe::value, sub);
  consume_messages();
  events->clear(); // the replay of current states on subscribe
  for (int s = 0; s < 60; ++s) {
    advance(1s, 50ms);
    CAF_REQUIRE(all_up());
  }
  CAF_CHECK(events->empty());
  caf::anon_send_exit(sub, caf::exit_reason::kill);
}

CAF_TEST(a killed peer is down at once through its connection) {
  for (size_t i = 0; i < 3; ++i)
    start(i);
  advance(500ms);
  CAF_REQUIRE(all_up());
  kill(2);
  // No time passes: the down message alone marks it down.
  CAF_CHECK_EQUAL(state(0, 2), member_state::down);
  CAF_CHECK_EQUAL(state(1, 2), member_state::down);
  CAF_CHECK_EQUAL(state(0, 1), member_state::up);
}

CAF_TEST(a silent peer is suspect after two heartbeats and down after the
           failure timeout) {
  auto zombie = sys.spawn(silent_peer, "b", cluster.name);
  self->send(connector, caf::put_atom::value, uint16_t{ 2 }, zombie);
  start(0);
  advance(20ms);
  CAF_REQUIRE_EQUAL(state(0, 1), member_state::up);
  self->send(zombie, caf::delete_atom::value);
  advance(150ms);
  CAF_CHECK_EQUAL(state(0, 1), member_state::up);
  advance(100ms); // 270 ms of silence > 2 x heartbeat_ms
  CAF_CHECK_EQUAL(state(0, 1), member_state::suspect);
  advance(650ms); // 920 ms: still within failure_timeout_ms
  CAF_CHECK_EQUAL(state(0, 1), member_state::suspect);
  advance(150ms); // 1070 ms: past it, within one tick
  CAF_CHECK_EQUAL(state(0, 1), member_state::down);
  advance(2s); // reconnects find it frozen: it stays down
  CAF_CHECK_EQUAL(state(0, 1), member_state::down);
  caf::anon_send_exit(zombie, caf::exit_reason::kill);
}

CAF_TEST(a hung peer that resumes is up again after a new handshake) {
  auto zombie = sys.spawn(silent_peer, "b", cluster.name);
  self->send(connector, caf::put_atom::value, uint16_t{ 2 }, zombie);
  start(0);
  advance(20ms);
  CAF_REQUIRE_EQUAL(state(0, 1), member_state::up);
  self->send(zombie, caf::delete_atom::value); // kill -STOP
  advance(1500ms);
  // Reconnects reach the frozen peer but its handshake never completes.
  CAF_REQUIRE_EQUAL(state(0, 1), member_state::down);
  // It resumes (kill -CONT): its first heartbeat reaches a node that has it
  // down, which hand-shakes again at once instead of trusting the old link.
  self->send(zombie, caf::ok_atom::value, nodes[0]);
  consume_messages();
  advance(30ms);
  CAF_CHECK_EQUAL(state(0, 1), member_state::up);
  caf::anon_send_exit(zombie, caf::exit_reason::kill);
}

CAF_TEST(a restarted peer rejoins with its new incarnation and subscribers hear
           of it) {
  for (size_t i = 0; i < 3; ++i)
    start(i);
  advance(300ms);
  CAF_REQUIRE(all_up());
  auto sub = sys.spawn(event_recorder, events);
  self->send(nodes[0], atoms::subscribe::value, sub);
  consume_messages();
  events->clear();
  kill(1);
  start(1, 5);
  advance(300ms);
  CAF_CHECK(all_up());
  auto st = status(0, 1);
  CAF_REQUIRE(st);
  CAF_CHECK_EQUAL(st->incarnation, 5u);
  CAF_REQUIRE_GREATER_OR_EQUAL(events->size(), 2u);
  CAF_CHECK_EQUAL(events->front().node, "b");
  CAF_CHECK_EQUAL(events->front().state, member_state::down);
  CAF_CHECK_EQUAL(events->back().state, member_state::up);
  CAF_CHECK_EQUAL(events->back().incarnation, 5u);
  CAF_CHECK(events->back().registry != nullptr);
  caf::anon_send_exit(sub, caf::exit_reason::kill);
}

CAF_TEST(a hello from a node missing in cluster conf or
         from another cluster is rejected) {
  start(0);
  auto hello = [&](std::string name, std::string cl) {
    return ask<wire::buffer>(
      nodes[0],
      atoms::hello::value,
      wire::encode(wire::hello{ { name, cl, 1, 1, "127.0.0.1", 9, "t" } }),
      caf::actor{});
  };
  auto stranger = hello("zed", cluster.name);
  CAF_REQUIRE(!stranger);
  CAF_CHECK_EQUAL(code_of(stranger.error()), errc::rejected);
  auto foreign = hello("b", "other-cluster");
  CAF_REQUIRE(!foreign);
  CAF_CHECK_EQUAL(code_of(foreign.error()), errc::rejected);
  auto garbage = ask<wire::buffer>(
    nodes[0], atoms::hello::value, wire::buffer{ { 1, 2, 3 } }, caf::actor{});
  CAF_REQUIRE(!garbage);
  CAF_CHECK_EQUAL(code_of(garbage.error()), errc::decode_failed);
  // The node keeps serving after bad input.
  CAF_CHECK(ask<wire::buffer>(nodes[0], atoms::status::value));
}

CAF_TEST(reload adds a node and rejects a bad file keeping the running config) {
  auto path = std::string{ "/tmp/sophia-membership-test-" } +
              std::to_string(::getpid()) + ".conf";
  auto write = [&](const std::string& text) { std::ofstream{ path } << text; };
  std::string base = "[cluster]\nname = \"test\"\nheartbeat_ms = 100\n"
                     "failure_timeout_ms = 1000\n"
                     "[[node]]\nname = \"a\"\nhost = \"127.0.0.1\"\nport = 1\n"
                     "[[node]]\nname = \"b\"\nhost = \"127.0.0.1\"\nport = 2\n";
  cluster = make_cluster(2);
  cluster.heartbeat_ms = 100;
  cluster.source = path;
  write(base);
  start(0);
  start(1);
  advance(300ms);
  CAF_REQUIRE(all_up());
  write(base + "heartbeat_msec = 3\n");
  auto bad = ask<std::string>(nodes[0], atoms::reload::value);
  CAF_REQUIRE(!bad);
  CAF_CHECK_EQUAL(code_of(bad.error()), errc::bad_config);
  CAF_CHECK_NOT_EQUAL(sys.render(bad.error()).find(path + ":"),
                      std::string::npos);
  CAF_CHECK(all_up());
  // A third node appears in the file; the running nodes connect to it.
  write(base + "[[node]]\nname = \"c\"\nhost = \"127.0.0.1\"\nport = 3\n");
  cluster = make_cluster(3);
  cluster.source = path;
  start(2);
  auto summary = ask<std::string>(nodes[0], atoms::reload::value);
  CAF_REQUIRE(summary);
  CAF_CHECK_NOT_EQUAL(summary->find("added [c]"), std::string::npos);
  CAF_CHECK(ask<std::string>(nodes[1], atoms::reload::value));
  advance(300ms);
  CAF_CHECK(all_up());
  // c is removed again: the others drop it, c itself leaves and stops.
  write(base);
  CAF_CHECK(ask<std::string>(nodes[0], atoms::reload::value));
  CAF_CHECK(ask<std::string>(nodes[1], atoms::reload::value));
  auto left = ask<std::string>(nodes[2], atoms::reload::value);
  CAF_REQUIRE(left);
  CAF_CHECK_NOT_EQUAL(left->find("removed"), std::string::npos);
  CAF_CHECK(!status(0, 2));
  CAF_CHECK(!ask<wire::buffer>(nodes[2], atoms::status::value));
  nodes.pop_back();
  std::remove(path.c_str());
}

CAF_TEST(a leave notice marks the node down without waiting for the detector) {
  start(0);
  start(1);
  advance(300ms);
  CAF_REQUIRE(all_up());
  self->send(nodes[1], atoms::leave::value);
  consume_messages();
  CAF_CHECK_EQUAL(state(0, 1), member_state::down);
  nodes.pop_back();
}

CAF_TEST_FIXTURE_SCOPE_END()
