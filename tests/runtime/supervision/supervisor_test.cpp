// The conformance suite of OTP's supervisor rules (see
// shared/reference/otp-supervisors-and-failure-detection.md), one test per
// rule, named after it. The operations (start_child, ...) and the tree
// snapshot are in supervisor_operations_test.cpp.
#define CAF_SUITE runtime.supervision.supervisor

#include "tests/runtime/supervision/supervision_fixture.hpp"

using namespace sophia::runtime;
using namespace sophia::runtime::test;

namespace {

flags with(strategy s, int intensity = 10) {
  return { s, intensity, std::chrono::milliseconds{ 5000 } };
}

const std::vector<strategy> static_strategies{ strategy::one_for_one,
                                               strategy::one_for_all,
                                               strategy::rest_for_one };

} // namespace

CAF_TEST_FIXTURE_SCOPE(supervisor_rules, supervision_fixture)

// -- strategies --------------------------------------------------------------

CAF_TEST(one_for_one restarts only the terminated child) {
  auto sup = start("sup",
                   with(strategy::one_for_one),
                   { worker("a"), worker("b"), worker("c") });
  auto a = child(sup, "a");
  auto b = child(sup, "b");
  auto c = child(sup, "c");
  crash(b, boom());
  CAF_CHECK_EQUAL(child(sup, "a"), a);
  CAF_CHECK_EQUAL(child(sup, "c"), c);
  auto b2 = child(sup, "b");
  CAF_CHECK(b2 && b2 != b);
  CAF_CHECK_EQUAL(restarts_of(sup, "b"), 1u);
  CAF_CHECK_EQUAL(count("start a"), 1u);
  CAF_CHECK_EQUAL(count("start b"), 2u);
}

CAF_TEST(one_for_all stops the others in reverse order then restarts all) {
  auto sup = start("sup",
                   with(strategy::one_for_all),
                   { worker("a"), worker("b"), worker("c") });
  auto a = child(sup, "a");
  auto c = child(sup, "c");
  events->clear();
  crash(child(sup, "b"), boom());
  CAF_CHECK_EQUAL(entries("stop "), names({ "b", "c", "a" }));
  CAF_CHECK_EQUAL(entries("start "), names({ "a", "b", "c" }));
  CAF_CHECK(is_down(a) && is_down(c));
  CAF_CHECK_EQUAL(reason_of(c), caf::exit_reason::user_shutdown);
  for (auto id : { "a", "b", "c" })
    CAF_CHECK_EQUAL(restarts_of(sup, id), 1u);
  CAF_CHECK_EQUAL(tree(sup).total_restarts, 1u);
}

CAF_TEST(rest_for_one restarts the failed child and those started after it) {
  auto sup = start("sup",
                   with(strategy::rest_for_one),
                   { worker("a"), worker("b"), worker("c"), worker("d") });
  auto a = child(sup, "a");
  events->clear();
  crash(child(sup, "b"), boom());
  CAF_CHECK_EQUAL(entries("stop "), names({ "b", "d", "c" }));
  CAF_CHECK_EQUAL(entries("start "), names({ "b", "c", "d" }));
  CAF_CHECK_EQUAL(child(sup, "a"), a);
  CAF_CHECK_EQUAL(restarts_of(sup, "a"), 0u);
}

CAF_TEST(simple_one_for_one starts instances of its spec with extra arguments) {
  auto sup = start("pool",
                   with(strategy::simple_one_for_one),
                   { instance_spec(restart_type::permanent) });
  CAF_CHECK(children(sup).empty());
  auto x = ask<caf::actor>(
    sup, op::start_child::value, caf::make_message(std::string{ "x" }));
  auto y = ask<caf::actor>(
    sup, op::start_child::value, caf::make_message(std::string{ "y" }));
  CAF_REQUIRE(x && y);
  consume_messages();
  CAF_CHECK_EQUAL(entries("start "), names({ "x", "y" }));
  CAF_CHECK_EQUAL(ids(sup), names({ "w#1", "w#2" }));
  CAF_CHECK_EQUAL(child(sup, "w#1"), *x);
  auto bad =
    ask<caf::actor>(sup, op::start_child::value, caf::make_message(42));
  CAF_CHECK_EQUAL(code_of(bad.error()), errc::start_failed);
}

CAF_TEST(simple_one_for_one restarts an instance with the same arguments) {
  auto sup = start("pool",
                   with(strategy::simple_one_for_one),
                   { instance_spec(restart_type::permanent) });
  auto x = ask<caf::actor>(
    sup, op::start_child::value, caf::make_message(std::string{ "x" }));
  CAF_REQUIRE(x);
  consume_messages();
  crash(*x, boom());
  CAF_CHECK_EQUAL(count("start x"), 2u);
  auto x2 = child(sup, "w#1");
  CAF_CHECK(x2 && x2 != *x);
  CAF_CHECK_EQUAL(restarts_of(sup, "w#1"), 1u);
}

CAF_TEST(simple_one_for_one stops its children all at once at shutdown) {
  // Each instance ignores the shutdown request and takes its full 100 ms:
  // stopped one after another, three would take 300 ms.
  auto sup =
    start("pool",
          with(strategy::simple_one_for_one),
          { instance_spec(
            restart_type::permanent, shutdown_spec::timeout(100ms), true) });
  for (auto name : { "x", "y", "z" })
    CAF_REQUIRE(ask<caf::actor>(
      sup, op::start_child::value, caf::make_message(std::string{ name })));
  consume_messages();
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  consume_messages();
  CAF_CHECK_EQUAL(count("ignored x") + count("ignored y") + count("ignored z"),
                  3u);
  pass(99ms);
  CAF_CHECK(entries("stop ").empty());
  pass(1ms);
  CAF_CHECK_EQUAL(entries("stop ").size(), 3u);
  CAF_CHECK_EQUAL(reason_of(sup), caf::exit_reason::user_shutdown);
}

// -- restart intensity -------------------------------------------------------

CAF_TEST(restarts exactly at the intensity do not escalate) {
  auto sup =
    start("sup", { strategy::one_for_one, 3, 5000ms }, { worker("a") });
  for (int i = 0; i < 3; ++i)
    crash(child(sup, "a"), boom());
  CAF_CHECK(!is_down(sup));
  CAF_CHECK_EQUAL(restarts_of(sup, "a"), 3u);
  CAF_CHECK_EQUAL(tree(sup).total_restarts, 3u);
}

CAF_TEST(one restart past the intensity escalates with reason shutdown) {
  auto sup = start("sup",
                   { strategy::one_for_one, 3, 5000ms },
                   { worker("a"), worker("b"), worker("c") });
  for (int i = 0; i < 3; ++i)
    crash(child(sup, "b"), boom());
  events->clear();
  crash(child(sup, "b"), boom());
  CAF_REQUIRE(is_down(sup));
  auto reason = reason_of(sup);
  CAF_CHECK_EQUAL(code_of(reason), errc::shutdown);
  CAF_CHECK(is_escalation(reason));
  // All children stop, in reverse order; none restarts.
  CAF_CHECK_EQUAL(entries("stop "), names({ "b", "c", "a" }));
  CAF_CHECK(entries("start ").empty());
}

CAF_TEST(restarts spread beyond the period never escalate) {
  auto sup =
    start("sup", { strategy::one_for_one, 1, 1000ms }, { worker("a") });
  for (int i = 0; i < 10; ++i) {
    crash(child(sup, "a"), boom());
    pass(1001ms);
  }
  CAF_CHECK(!is_down(sup));
  CAF_CHECK_EQUAL(restarts_of(sup, "a"), 10u);
  // Two within the period do.
  crash(child(sup, "a"), boom());
  pass(999ms);
  crash(child(sup, "a"), boom());
  CAF_CHECK(is_escalation(reason_of(sup)));
}

CAF_TEST(a failed restart is retried and counts toward the intensity) {
  auto starts = std::make_shared<int>(0);
  auto spec = worker("a");
  spec.start = [starts, inner = spec.start](
                 caf::actor_system& sys,
                 const caf::message& args) -> caf::expected<caf::actor> {
    if (++*starts > 1) return make_error(errc::unreachable, "device gone");
    return inner(sys, args);
  };
  auto sup = start("sup", { strategy::one_for_one, 3, 5000ms }, { spec });
  crash(child(sup, "a"), boom());
  // The crash and two failed tries are restarts 1..3; the third try is one
  // too many.
  CAF_CHECK_EQUAL(*starts, 4);
  CAF_CHECK(is_escalation(reason_of(sup)));
}

// -- restart types -----------------------------------------------------------

CAF_TEST(permanent children are restarted after any exit under every strategy) {
  for (auto s : static_strategies) {
    CAF_MESSAGE("strategy " << to_string(s));
    auto sup = start("sup", with(s), { worker("p"), worker("q") });
    for (auto reason : { caf::error{},
                         caf::error{ caf::exit_reason::user_shutdown },
                         make_error(errc::shutdown, "done"),
                         boom() }) {
      auto before = child(sup, "p");
      crash(before, reason);
      auto after = child(sup, "p");
      CAF_CHECK(after && after != before);
    }
    CAF_CHECK_EQUAL(restarts_of(sup, "p"), 4u);
  }
  auto pool = start("pool",
                    with(strategy::simple_one_for_one),
                    { instance_spec(restart_type::permanent) });
  auto x = ask<caf::actor>(
    pool, op::start_child::value, caf::make_message(std::string{ "x" }));
  CAF_REQUIRE(x);
  consume_messages();
  crash(*x, caf::error{});
  CAF_CHECK_EQUAL(count("start x"), 2u);
}

CAF_TEST(transient children restart only on abnormal exit in every strategy) {
  for (auto s : static_strategies) {
    CAF_MESSAGE("strategy " << to_string(s));
    auto sup = start(
      "sup", with(s), { worker("t", restart_type::transient), worker("q") });
    auto q = child(sup, "q");
    auto t = child(sup, "t");
    crash(t, boom());
    auto t2 = child(sup, "t");
    CAF_CHECK(t2 && t2 != t);
    // OTP's normal, shutdown and {shutdown, Term}: no restart, spec kept,
    // siblings untouched.
    for (auto reason : { caf::error{},
                         caf::error{ caf::exit_reason::user_shutdown },
                         make_error(errc::shutdown, "any context") }) {
      q = child(sup, "q");
      crash(child(sup, "t"), reason);
      CAF_CHECK(!child(sup, "t"));
      CAF_CHECK_EQUAL(ids(sup), names({ "t", "q" }));
      CAF_CHECK_EQUAL(child(sup, "q"), q);
      CAF_CHECK(
        ask<caf::actor>(sup, op::restart_child::value, std::string{ "t" }));
    }
  }
  auto pool = start("pool",
                    with(strategy::simple_one_for_one),
                    { instance_spec(restart_type::transient) });
  auto x = ask<caf::actor>(
    pool, op::start_child::value, caf::make_message(std::string{ "x" }));
  CAF_REQUIRE(x);
  consume_messages();
  crash(*x, boom());
  CAF_CHECK_EQUAL(count("start x"), 2u);
  crash(child(pool, "w#1"), caf::error{});
  CAF_CHECK(children(pool).empty());
}

CAF_TEST(temporary children are never restarted under any strategy) {
  for (auto s : static_strategies) {
    CAF_MESSAGE("strategy " << to_string(s));
    events->clear();
    auto sup =
      start("sup",
            with(s),
            { worker("p"), worker("t", restart_type::temporary), worker("q") });
    auto p = child(sup, "p");
    auto q = child(sup, "q");
    crash(child(sup, "t"), boom());
    CAF_CHECK_EQUAL(count("start t"), 1u);
    // Forgotten, and no sibling was touched.
    CAF_CHECK_EQUAL(ids(sup), names({ "p", "q" }));
    CAF_CHECK_EQUAL(child(sup, "p"), p);
    CAF_CHECK_EQUAL(child(sup, "q"), q);
  }
  auto pool = start("pool",
                    with(strategy::simple_one_for_one),
                    { instance_spec(restart_type::temporary) });
  auto x = ask<caf::actor>(
    pool, op::start_child::value, caf::make_message(std::string{ "x" }));
  CAF_REQUIRE(x);
  consume_messages();
  crash(*x, boom());
  CAF_CHECK_EQUAL(count("start x"), 1u);
  CAF_CHECK(children(pool).empty());
}

CAF_TEST(one_for_all does not restart a temporary sibling) {
  auto sup =
    start("sup",
          with(strategy::one_for_all),
          { worker("p1"), worker("t", restart_type::temporary), worker("p2") });
  auto t = child(sup, "t");
  crash(child(sup, "p1"), boom());
  CAF_CHECK(is_down(t));
  CAF_CHECK_EQUAL(count("start t"), 1u);
  CAF_CHECK_EQUAL(ids(sup), names({ "p1", "p2" }));
  CAF_CHECK_EQUAL(count("start p1"), 2u);
  CAF_CHECK_EQUAL(count("start p2"), 2u);
}

CAF_TEST(rest_for_one does not restart a temporary sibling) {
  auto sup = start("sup",
                   with(strategy::rest_for_one),
                   { worker("t0", restart_type::temporary),
                     worker("p1"),
                     worker("t1", restart_type::temporary),
                     worker("p2") });
  auto t0 = child(sup, "t0");
  auto t1 = child(sup, "t1");
  crash(child(sup, "p1"), boom());
  // The temporary child after p1 is stopped and forgotten, the one before
  // it is left alone.
  CAF_CHECK(is_down(t1));
  CAF_CHECK_EQUAL(count("start t1"), 1u);
  CAF_CHECK_EQUAL(child(sup, "t0"), t0);
  CAF_CHECK_EQUAL(ids(sup), names({ "t0", "p1", "p2" }));
  CAF_CHECK_EQUAL(count("start p2"), 2u);
}

// -- shutdown ----------------------------------------------------------------

CAF_TEST(shutdown timeout kills a child ignoring the exit after exactly T ms) {
  auto sup =
    start("sup",
          with(strategy::one_for_one),
          { worker("a"), stubborn("s", shutdown_spec::timeout(100ms)) });
  auto s = child(sup, "s");
  auto reply = ask_later<caf::ok_atom>(
    sup, op::terminate_child::value, std::string{ "s" });
  CAF_CHECK_EQUAL(count("ignored s"), 1u);
  pass(99ms);
  CAF_CHECK(!is_down(s));
  CAF_CHECK(!reply->done);
  pass(1ms);
  CAF_CHECK(is_down(s));
  CAF_CHECK_EQUAL(reason_of(s), caf::exit_reason::kill);
  CAF_CHECK(reply->done && reply->value);
  CAF_CHECK(!is_down(sup));
}

CAF_TEST(a child that stops within its shutdown timeout is not killed) {
  auto sup = start(
    "sup",
    with(strategy::one_for_one),
    { worker("a", restart_type::permanent, shutdown_spec::timeout(100ms)) });
  auto a = child(sup, "a");
  auto r =
    ask<caf::ok_atom>(sup, op::terminate_child::value, std::string{ "a" });
  CAF_CHECK(r);
  CAF_CHECK_EQUAL(reason_of(a), caf::exit_reason::user_shutdown);
  // Its timer still fires later, and must not disturb anything.
  pass(100ms);
  CAF_CHECK(!is_down(sup));
}

CAF_TEST(brutal_kill kills the child at once) {
  auto sup = start("sup",
                   with(strategy::one_for_one),
                   { stubborn("s", shutdown_spec::brutal_kill()) });
  auto s = child(sup, "s");
  auto r =
    ask<caf::ok_atom>(sup, op::terminate_child::value, std::string{ "s" });
  CAF_CHECK(r);
  CAF_CHECK_EQUAL(count("ignored s"), 0u);
  CAF_CHECK_EQUAL(reason_of(s), caf::exit_reason::kill);
}

CAF_TEST(infinity waits for the child however long it takes) {
  auto sup = start("sup",
                   with(strategy::one_for_one),
                   { stubborn("s", shutdown_spec::infinity()) });
  auto s = child(sup, "s");
  auto reply = ask_later<caf::ok_atom>(
    sup, op::terminate_child::value, std::string{ "s" });
  CAF_CHECK_EQUAL(count("ignored s"), 1u);
  pass(24h);
  CAF_CHECK(!is_down(s));
  CAF_CHECK(!reply->done);
  // Whoever stops it in the end: the supervisor sees it go and answers.
  caf::anon_send_exit(s, caf::exit_reason::kill);
  consume_messages();
  CAF_CHECK(reply->done && reply->value);
  CAF_CHECK(!is_down(sup));
  CAF_CHECK(!child(sup, "s"));
}

CAF_TEST(a supervisor child gets infinity as its default shutdown) {
  auto spec = supervisor_spec("mid", with(strategy::one_for_one), {});
  CAF_CHECK(effective_shutdown(spec).how == shutdown_spec::mode::infinity);
  CAF_CHECK(effective_shutdown(worker("w")).how ==
            shutdown_spec::mode::timeout);
  CAF_CHECK_EQUAL(effective_shutdown(worker("w")).after.count(), 5000);
}

CAF_TEST(children stop in reverse start order) {
  auto sup = start("sup",
                   with(strategy::one_for_one),
                   { worker("a"),
                     stubborn("b", shutdown_spec::timeout(50ms)),
                     worker("c"),
                     worker("d") });
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  consume_messages();
  // b holds up the sequence: a gets its exit only once b is down.
  CAF_CHECK_EQUAL(entries("stop "), names({ "d", "c" }));
  pass(50ms);
  CAF_CHECK_EQUAL(entries("stop "), names({ "d", "c", "b", "a" }));
  CAF_CHECK_EQUAL(reason_of(sup), caf::exit_reason::user_shutdown);
}

CAF_TEST(a child that exits while its supervisor shuts down is not restarted) {
  auto sup =
    start("sup",
          with(strategy::one_for_one),
          { worker("a"), stubborn("b", shutdown_spec::timeout(100ms)) });
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  consume_messages();
  crash(child(sup, "a"), boom());
  pass(100ms);
  CAF_CHECK_EQUAL(count("start a"), 1u);
  CAF_CHECK_EQUAL(reason_of(sup), caf::exit_reason::user_shutdown);
}

CAF_TEST(children die with their supervisor even when it is killed) {
  auto sup = start(
    "top",
    with(strategy::one_for_one),
    { worker("a"),
      supervisor_spec("mid", with(strategy::one_for_one), { worker("w") }) });
  auto a = child(sup, "a");
  auto mid = child(sup, "mid");
  auto w = child(mid, "w");
  caf::anon_send_exit(sup, caf::exit_reason::kill);
  consume_messages();
  for (auto& x : { a, mid, w }) {
    CAF_CHECK(is_down(x));
    CAF_CHECK_EQUAL(reason_of(x), caf::exit_reason::kill);
  }
}

CAF_TEST(a child killed from outside is restarted and its supervisor lives on) {
  // Over a CAF link, `kill` would take the supervisor down with the child.
  auto sup = start("sup", with(strategy::one_for_one), { worker("a") });
  auto a = child(sup, "a");
  caf::anon_send_exit(a, caf::exit_reason::kill);
  consume_messages();
  CAF_CHECK(!is_down(sup));
  auto a2 = child(sup, "a");
  CAF_CHECK(a2 && a2 != a);
}

// -- start -------------------------------------------------------------------

CAF_TEST(a first child that fails to start fails the supervisor start) {
  auto r = spawn_supervisor(
    sys, "sup", with(strategy::one_for_one), { failing("bad"), worker("a") });
  CAF_REQUIRE(!r);
  CAF_CHECK_EQUAL(code_of(r.error()), errc::start_failed);
  auto text = sys.render(r.error());
  CAF_CHECK(text.find("'bad'") != std::string::npos);
  CAF_CHECK(text.find("no such device") != std::string::npos);
  consume_messages();
  CAF_CHECK(events->empty());
}

CAF_TEST(a middle child failing to start stops earlier ones in reverse order) {
  auto r =
    spawn_supervisor(sys,
                     "sup",
                     with(strategy::one_for_one),
                     { worker("a"), worker("b"), failing("bad"), worker("c") });
  CAF_REQUIRE(!r);
  CAF_CHECK(sys.render(r.error()).find("'bad'") != std::string::npos);
  consume_messages();
  CAF_CHECK_EQUAL(*events, names({ "start a", "start b", "stop b", "stop a" }));
}

CAF_TEST(invalid flags and specs are rejected) {
  auto check = [&](flags f, std::vector<child_spec> cs) {
    auto r = spawn_supervisor(sys, "sup", f, std::move(cs));
    CAF_REQUIRE(!r);
    CAF_CHECK_EQUAL(code_of(r.error()), errc::rejected);
  };
  check({ strategy::one_for_one, -1, 5000ms }, {});
  check({ strategy::one_for_one, 1, 0ms }, {});
  check(with(strategy::one_for_one), { worker("a"), worker("a") });
  check(with(strategy::one_for_one), { child_spec{} });
  check(with(strategy::simple_one_for_one), {});
  consume_messages();
  CAF_CHECK(events->empty());
}

CAF_TEST(a start that returns no actor is ignored as in OTP) {
  auto ignored = [](caf::actor_system&,
                    const caf::message&) -> caf::expected<caf::actor> {
    return caf::actor{};
  };
  auto spec = worker("i");
  spec.start = ignored;
  auto tmp = worker("t", restart_type::temporary);
  tmp.start = ignored;
  auto sup =
    start("sup", with(strategy::one_for_one), { spec, tmp, worker("a") });
  // The permanent spec is kept, terminated; the temporary one is forgotten.
  CAF_CHECK_EQUAL(ids(sup), names({ "i", "a" }));
  CAF_CHECK(!child(sup, "i"));
  CAF_CHECK(child(sup, "a"));
}

// -- escalation --------------------------------------------------------------

CAF_TEST(escalation propagates through two levels of supervisors) {
  flags tight{ strategy::one_for_one, 1, 5000ms };
  auto top =
    start("top", tight, { supervisor_spec("mid", tight, { worker("w") }) });
  // mid restarts w once, then gives up and escalates; top restarts mid.
  auto mid1 = child(top, "mid");
  crash(child(mid1, "w"), boom());
  crash(child(mid1, "w"), boom());
  CAF_CHECK(is_escalation(reason_of(mid1)));
  CAF_CHECK(!is_down(top));
  auto mid2 = child(top, "mid");
  CAF_REQUIRE(mid2 && mid2 != mid1);
  CAF_CHECK(child(mid2, "w"));
  auto snap = tree(top);
  CAF_CHECK_EQUAL(snap.escalations, 1u);
  CAF_CHECK_EQUAL(snap.total_restarts, 1u);
  CAF_CHECK_EQUAL(count("start w"), 3u);
  // The new mid does the same: top's second restart within its period is
  // one too many, so top gives up too.
  crash(child(mid2, "w"), boom());
  crash(child(mid2, "w"), boom());
  CAF_CHECK(is_escalation(reason_of(mid2)));
  CAF_REQUIRE(is_down(top));
  CAF_CHECK(is_escalation(reason_of(top)));
  CAF_CHECK_EQUAL(count("start w"), 4u);
}

CAF_TEST(a transient child supervisor that escalates is not restarted) {
  // Escalation exits with shutdown, which OTP counts as a normal exit.
  flags tight{ strategy::one_for_one, 0, 5000ms };
  auto top = start("top",
                   with(strategy::one_for_one),
                   { supervisor_spec(
                     "mid", tight, { worker("w") }, restart_type::transient) });
  auto mid = child(top, "mid");
  crash(child(mid, "w"), boom());
  CAF_CHECK(is_escalation(reason_of(mid)));
  CAF_CHECK(!is_down(top));
  CAF_CHECK(!child(top, "mid"));
  CAF_CHECK_EQUAL(tree(top).escalations, 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()
