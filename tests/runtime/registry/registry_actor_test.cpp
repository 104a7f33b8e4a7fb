#define CAF_SUITE runtime.registry

#include "runtime/registry/registry_actor.hpp"

#include "runtime/call/call.hpp"
#include "runtime/diag/echo.hpp"
#include "tests/runtime/actor_fixture.hpp"

using namespace sophia::runtime;
using namespace sophia::runtime::test;
using wire::member_state;

namespace {

/// Accepts calls and never answers them.
caf::behavior black_hole(caf::event_based_actor* self) {
  return {
    [self](atoms::call, const wire::buffer&) {
      return self->make_response_promise<wire::buffer>();
    },
  };
}

struct fixture : actor_fixture {
  caf::actor a = registry::spawn_registry(sys, "a", 1);
  caf::actor b = registry::spawn_registry(sys, "b", 1);

  /// Tells registry `at` that node `node` is up (or down) with registry `reg`.
  void member(const caf::actor& at,
              std::string node,
              member_state st,
              caf::actor reg,
              uint64_t incarnation = 1) {
    self->send(
      at,
      atoms::member::value,
      membership::event{
        std::move(node), st, incarnation, std::move(reg), "test", false });
    consume_messages();
  }

  void connect() {
    member(a, "b", member_state::up, b);
    member(b, "a", member_state::up, a);
  }

  caf::error put(const caf::actor& reg, std::string name, caf::actor h) {
    auto r = ask<caf::ok_atom>(
      reg, caf::put_atom::value, std::move(name), std::move(h));
    return r ? caf::error{} : r.error();
  }

  caf::expected<caf::actor> get(const caf::actor& reg, std::string name) {
    return ask<caf::actor>(reg, caf::get_atom::value, std::move(name));
  }

  /// The handle `name` resolves to on `reg`, or an invalid handle.
  caf::actor resolve(const caf::actor& reg, std::string name) {
    auto r = get(reg, std::move(name));
    return r ? *r : caf::actor{};
  }

  /// The payload of a reply, or the rendered error.
  std::string text(const caf::expected<std::string>& x) {
    return x ? *x : "<error: " + sys.render(x.error()) + ">";
  }

  caf::expected<std::string> call(const caf::actor& reg,
                                  std::string name,
                                  std::string method,
                                  std::string payload,
                                  std::chrono::milliseconds deadline = 1s) {
    call::request req{
      std::move(method), std::move(payload), deadline, "test", ""
    };
    auto h = call::async_call(self.ptr(), reg, name, req);
    consume_messages();
    caf::expected<std::string> result{ make_error(errc::none) };
    h.receive([&](wire::buffer& buf) { result = call::reply_payload(buf); },
              [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  ~fixture() override {
    caf::anon_send_exit(a, caf::exit_reason::kill);
    caf::anon_send_exit(b, caf::exit_reason::kill);
    consume_messages();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(registry_tests, fixture)

CAF_TEST(a registered name resolves locally and a taken name is refused) {
  auto e1 = diag::spawn_echo(sys);
  CAF_CHECK(!put(a, "svc", e1));
  CAF_CHECK_EQUAL(resolve(a, "svc"), e1);
  auto e2 = diag::spawn_echo(sys);
  auto taken = put(a, "svc", e2);
  CAF_CHECK_EQUAL(code_of(taken), errc::rejected);
  CAF_CHECK_EQUAL(code_of(put(a, "bad@name", e2)), errc::rejected);
  CAF_CHECK_EQUAL(code_of(get(a, "nothing").error()), errc::not_found);
  caf::anon_send_exit(e2, caf::exit_reason::kill);
}

CAF_TEST(entries replicate to peers and vanish when their node goes down) {
  auto echo = diag::spawn_echo(sys);
  CAF_REQUIRE(!put(a, "svc", echo));
  connect();
  CAF_CHECK_EQUAL(resolve(b, "svc"), echo);
  CAF_CHECK_EQUAL(resolve(b, "svc@a"), echo);
  CAF_CHECK_EQUAL(code_of(get(b, "svc@b").error()), errc::not_found);
  member(b, "a", member_state::down, nullptr);
  CAF_CHECK_EQUAL(code_of(get(b, "svc").error()), errc::not_found);
  // a comes back (reachable again): its entries reappear.
  member(b, "a", member_state::up, a);
  member(a, "b", member_state::up, b);
  CAF_CHECK_EQUAL(resolve(b, "svc"), echo);
  caf::anon_send_exit(echo, caf::exit_reason::kill);
}

CAF_TEST(a snapshot that arrives before the up event is applied with it) {
  auto echo = diag::spawn_echo(sys);
  CAF_REQUIRE(!put(a, "svc", echo));
  // a learns of b first and sends its snapshot; b hears of a only later.
  member(a, "b", member_state::up, b);
  CAF_CHECK_EQUAL(code_of(get(b, "svc").error()), errc::not_found);
  member(b, "a", member_state::up, a);
  CAF_CHECK_EQUAL(resolve(b, "svc"), echo);
  caf::anon_send_exit(echo, caf::exit_reason::kill);
}

CAF_TEST(the names of a terminated actor vanish on every node) {
  auto echo = diag::spawn_echo(sys);
  CAF_REQUIRE(!put(a, "svc", echo));
  connect();
  CAF_REQUIRE(get(b, "svc"));
  caf::anon_send_exit(echo, caf::exit_reason::kill);
  consume_messages();
  CAF_CHECK_EQUAL(code_of(get(a, "svc").error()), errc::not_found);
  CAF_CHECK_EQUAL(code_of(get(b, "svc").error()), errc::not_found);
}

CAF_TEST(calls reach the callee by name across registries) {
  auto echo = diag::spawn_echo(sys);
  CAF_REQUIRE(!put(a, "svc", echo));
  connect();
  CAF_CHECK_EQUAL(text(call(b, "svc", "echo", "hello")), "hello");
  CAF_CHECK_EQUAL(text(call(b, "svc@a", "echo", "")), "");
  auto failed = call(b, "svc", "fail", "boom");
  CAF_REQUIRE(!failed);
  CAF_CHECK_EQUAL(code_of(failed.error()), errc::call_failed);
  auto missing = call(b, "nobody", "echo", "x");
  CAF_REQUIRE(!missing);
  CAF_CHECK_EQUAL(code_of(missing.error()), errc::not_found);
  caf::anon_send_exit(echo, caf::exit_reason::kill);
}

CAF_TEST(
  a call that gets no reply fails with deadline_exceeded at its deadline) {
  auto hole = sys.spawn(black_hole);
  CAF_REQUIRE(!put(a, "hole", hole));
  call::request req{ "echo", "x", 500ms, "test", "" };
  auto h = call::async_call(self.ptr(), a, std::string{ "hole" }, req);
  consume_messages();
  advance_time(499ms);
  consume_messages();
  CAF_CHECK(self->mailbox().empty());
  advance_time(2ms);
  consume_messages();
  caf::error err;
  h.receive([](wire::buffer&) {}, [&](caf::error& e) { err = std::move(e); });
  CAF_CHECK_EQUAL(code_of(err), errc::deadline_exceeded);
  caf::anon_send_exit(hole, caf::exit_reason::kill);
}

CAF_TEST(a reply after the deadline is dropped and the registry keeps serving) {
  auto echo = diag::spawn_echo(sys);
  CAF_REQUIRE(!put(a, "svc", echo));
  call::request req{ "sleep", "1000", 500ms, "test", "" };
  auto h = call::async_call(self.ptr(), a, std::string{ "svc" }, req);
  consume_messages();
  advance(600ms);
  caf::error err;
  h.receive([](wire::buffer&) {}, [&](caf::error& e) { err = std::move(e); });
  CAF_CHECK_EQUAL(code_of(err), errc::deadline_exceeded);
  advance(600ms); // the late reply arrives now
  CAF_CHECK_EQUAL(text(call(a, "svc", "echo", "next")), "next");
  caf::anon_send_exit(echo, caf::exit_reason::kill);
}

CAF_TEST(
  a call pending on a callee that goes down fails at once with node_down) {
  auto hole = sys.spawn(black_hole);
  CAF_REQUIRE(!put(a, "hole", hole));
  call::request req{ "echo", "x", 10s, "test", "" };
  auto h1 = call::async_call(self.ptr(), a, std::string{ "hole" }, req);
  auto h2 = call::async_call(self.ptr(), a, hole, req);
  consume_messages();
  caf::anon_send_exit(hole, caf::exit_reason::kill);
  consume_messages();
  for (auto* h : { &h1, &h2 }) {
    caf::error err;
    h->receive([](wire::buffer&) {},
               [&](caf::error& e) { err = std::move(e); });
    CAF_CHECK_EQUAL(code_of(err), errc::node_down);
  }
  // The registry keeps routing afterwards.
  auto echo = diag::spawn_echo(sys);
  CAF_REQUIRE(!put(a, "svc", echo));
  CAF_CHECK_EQUAL(text(call(a, "svc", "echo", "after")), "after");
  caf::anon_send_exit(echo, caf::exit_reason::kill);
}

CAF_TEST(a corrupt snapshot is dropped and the registry keeps serving) {
  connect();
  self->send(b,
             atoms::reg_sync::value,
             wire::buffer{ { 7, 7, 7 } },
             std::vector<caf::actor>{});
  consume_messages();
  CAF_CHECK(
    ask<std::vector<std::string>>(b, caf::get_atom::value, atoms::all::value));
}

CAF_TEST_FIXTURE_SCOPE_END()
