#pragma once

// Test children and a fixture for the supervisor conformance suite. Every
// test runs on CAF's test coordinator: time moves only through
// `advance_time`, so "after exactly T ms" is checked exactly.

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/test/dsl.hpp>

#include "runtime/error.hpp"
#include "runtime/supervision/exit_reason.hpp"
#include "runtime/supervision/supervisor.hpp"
#include "tests/runtime/actor_fixture.hpp"

namespace sophia::runtime::test {

using namespace supervision;

/// The supervisor's message tags (`runtime::atoms` is taken).
namespace op = supervision::atoms;

/// `(crash_atom, caf::error reason)` makes a test child exit with `reason`.
using crash_atom = caf::atom_constant<caf::atom("crash")>;

/// What test children did, in order: "start a", "stop a", "ignored a".
using journal = std::shared_ptr<std::vector<std::string>>;

/// A test child named `name`. Records its start and its stop; when
/// `ignore_exits`, it traps exit messages and ignores them (recording
/// "ignored <name>"), so that only `kill` stops it.
inline caf::behavior test_child(caf::event_based_actor* self,
                                journal j,
                                std::string name,
                                bool ignore_exits) {
  j->push_back("start " + name);
  self->attach_functor(
    [j, name](const caf::error&) { j->push_back("stop " + name); });
  if (ignore_exits)
    self->set_exit_handler(
      [j, name](caf::exit_msg&) { j->push_back("ignored " + name); });
  return {
    [self](crash_atom, caf::error& reason) { self->quit(std::move(reason)); },
  };
}

/// An abnormal exit reason.
inline caf::error boom() {
  return make_error(errc::call_failed, "boom");
}

/// A reply that may come later than the request (e.g. after a shutdown
/// timeout); `done` tells whether it came.
template <class T>
struct later {
  bool done = false;
  caf::expected<T> value{ make_error(errc::none) };
};

struct supervision_fixture : actor_fixture {
  journal events = std::make_shared<std::vector<std::string>>();
  /// Exit reasons of the actors passed to `watch`.
  std::shared_ptr<std::map<caf::actor_addr, caf::error>> ended =
    std::make_shared<std::map<caf::actor_addr, caf::error>>();
  /// Everything a test spawned at top level, killed at the end.
  std::vector<caf::actor> spawned;

  supervision_fixture() {
    // Escalations and start failures are expected here; the tests assert
    // them, the log would only be noise.
    log::init("test", "off");
  }

  ~supervision_fixture() override {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    consume_messages();
  }

  /// A worker spec whose instances are `test_child`s named `id`.
  child_spec worker(std::string id,
                    restart_type restart = restart_type::permanent,
                    std::optional<shutdown_spec> shutdown = std::nullopt,
                    bool ignore_exits = false) {
    child_spec spec;
    spec.id = id;
    spec.restart = restart;
    spec.shutdown = shutdown;
    spec.start = [j = events, id, ignore_exits](
                   caf::actor_system& sys,
                   const caf::message&) -> caf::expected<caf::actor> {
      return sys.spawn(test_child, j, id, ignore_exits);
    };
    return spec;
  }

  /// A worker that traps and ignores exit messages.
  child_spec stubborn(std::string id, shutdown_spec shutdown) {
    return worker(std::move(id), restart_type::permanent, shutdown, true);
  }

  /// A spec whose start always fails.
  child_spec failing(std::string id) {
    child_spec spec;
    spec.id = id;
    spec.start = [](caf::actor_system&,
                    const caf::message&) -> caf::expected<caf::actor> {
      return make_error(errc::unreachable, "no such device");
    };
    return spec;
  }

  /// A simple_one_for_one spec: each instance is a `test_child` named by
  /// the string in its extra arguments.
  child_spec instance_spec(restart_type restart,
                           std::optional<shutdown_spec> shutdown = {},
                           bool ignore_exits = false) {
    auto start = [j = events, ignore_exits](
                   caf::actor_system& sys,
                   const caf::message& args) -> caf::expected<caf::actor> {
      if (!args.match_elements<std::string>())
        return make_error(errc::rejected, "expected a name");
      return sys.spawn(
        test_child, j, args.get_as<std::string>(0), ignore_exits);
    };
    return child_spec{ .id = "w",
                       .start = std::move(start),
                       .restart = restart,
                       .shutdown = shutdown,
                       .kind = child_kind::worker };
  }

  /// Spawns a supervisor that must start, and lets it and its children run.
  caf::actor start(std::string name, flags f, std::vector<child_spec> cs) {
    auto sup = spawn_supervisor(sys, std::move(name), f, std::move(cs));
    CAF_REQUIRE(sup);
    auto handle = *sup;
    spawned.push_back(handle);
    watch(handle);
    consume_messages();
    return handle;
  }

  /// Records the exit reason of `a` in `ended`.
  void watch(const caf::actor& a) {
    a->attach_functor(
      [e = ended, addr = a.address()](const caf::error& r) { (*e)[addr] = r; });
  }

  bool is_down(const caf::actor& a) const {
    return ended->count(a.address()) > 0;
  }

  /// The exit reason of a watched actor that is down; for one that is not,
  /// an error no test expects (an empty error would read as `normal`).
  caf::error reason_of(const caf::actor& a) const {
    auto i = ended->find(a.address());
    return i != ended->end() ? i->second
                             : make_error(errc::not_found, "still running");
  }

  std::vector<child_info> children(const caf::actor& sup) {
    auto r = ask<std::vector<child_info>>(sup, op::which_children::value);
    CAF_REQUIRE(r);
    return std::move(*r);
  }

  std::vector<std::string> ids(const caf::actor& sup) {
    std::vector<std::string> out;
    for (auto& c : children(sup))
      out.push_back(c.id);
    return out;
  }

  /// The running instance of child `id` (invalid when terminated or
  /// unknown), watched.
  caf::actor child(const caf::actor& sup, const std::string& id) {
    for (auto& c : children(sup))
      if (c.id == id) {
        if (c.actor) watch(c.actor);
        return c.actor;
      }
    return {};
  }

  uint64_t restarts_of(const caf::actor& sup, const std::string& id) {
    for (auto& c : children(sup))
      if (c.id == id) return c.restarts;
    return 0;
  }

  tree_node tree(const caf::actor& sup) {
    auto r = ask<tree_node>(sup, caf::get_atom::value, op::tree::value);
    CAF_REQUIRE(r);
    return std::move(*r);
  }

  /// Makes the test child `a` exit with `reason`, and lets everyone react.
  void crash(const caf::actor& a, caf::error reason) {
    CAF_REQUIRE(a);
    self->send(a, crash_atom::value, std::move(reason));
    consume_messages();
  }

  /// Sends a request from a helper actor, so that the test can look at the
  /// reply whenever it comes (the fixture's `ask` must get it at once).
  template <class T, class... Ts>
  std::shared_ptr<later<T>> ask_later(const caf::actor& dst, Ts&&... xs) {
    auto out = std::make_shared<later<T>>();
    auto msg = caf::make_message(std::forward<Ts>(xs)...);
    auto client = sys.spawn([out, dst, msg](caf::event_based_actor* c) {
      c->request(dst, caf::infinite, msg)
        .then(
          [out, c](T& x) {
            out->done = true;
            out->value = std::move(x);
            c->quit();
          },
          [out, c](caf::error& err) {
            out->done = true;
            out->value = std::move(err);
            c->quit();
          });
      return caf::behavior{ [](int) {} };
    });
    spawned.push_back(client);
    consume_messages();
    return out;
  }

  /// Advances the clock by `d` at once and lets everyone react.
  void pass(caf::timespan d) {
    advance_time(d);
    consume_messages();
  }

  /// The journal entries that start with `prefix` ("stop ", "start ").
  std::vector<std::string> entries(const std::string& prefix) const {
    std::vector<std::string> out;
    for (auto& e : *events)
      if (e.rfind(prefix, 0) == 0) out.push_back(e.substr(prefix.size()));
    return out;
  }

  size_t count(const std::string& entry) const {
    return static_cast<size_t>(
      std::count(events->begin(), events->end(), entry));
  }
};

/// Shorthand for a vector of names in checks.
using names = std::vector<std::string>;

} // namespace sophia::runtime::test
