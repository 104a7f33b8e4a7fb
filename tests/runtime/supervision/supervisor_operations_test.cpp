// The supervisor's operations (OTP's start_child, terminate_child,
// restart_child, delete_child, which_children, count_children), including
// their error cases, how they wait for a running stop, and the tree
// snapshot behind `sophiactl tree`.
#define CAF_SUITE runtime.supervision.operations

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "tests/runtime/supervision/supervision_fixture.hpp"

using namespace sophia::runtime;
using namespace sophia::runtime::test;

namespace {

flags with(strategy s, int intensity = 10) {
  return { s, intensity, std::chrono::milliseconds{ 5000 } };
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(supervisor_operations, supervision_fixture)

CAF_TEST(start_child adds a child after the others and rejects a taken id) {
  auto sup = start("sup", with(strategy::rest_for_one), { worker("a") });
  auto d = ask<caf::actor>(sup, op::start_child::value, worker("d"));
  CAF_REQUIRE(d && *d);
  consume_messages();
  CAF_CHECK_EQUAL(ids(sup), names({ "a", "d" }));
  CAF_CHECK_EQUAL(count("start d"), 1u);
  auto again = ask<caf::actor>(sup, op::start_child::value, worker("d"));
  CAF_CHECK_EQUAL(code_of(again.error()), errc::child_exists);
  auto invalid = ask<caf::actor>(sup, op::start_child::value, child_spec{});
  CAF_CHECK_EQUAL(code_of(invalid.error()), errc::rejected);
  auto bad = ask<caf::actor>(sup, op::start_child::value, failing("bad"));
  CAF_CHECK_EQUAL(code_of(bad.error()), errc::start_failed);
  CAF_CHECK(sys.render(bad.error()).find("'bad'") != std::string::npos);
  CAF_CHECK_EQUAL(ids(sup), names({ "a", "d" }));
  // A dynamic child is supervised like the others: under rest_for_one, it
  // comes after a.
  crash(child(sup, "a"), boom());
  CAF_CHECK_EQUAL(count("start d"), 2u);
}

CAF_TEST(terminate_child stops a child and keeps its spec unless temporary) {
  auto sup =
    start("sup",
          with(strategy::one_for_one),
          { worker("a"), worker("t", restart_type::temporary), worker("b") });
  auto a = child(sup, "a");
  auto r =
    ask<caf::ok_atom>(sup, op::terminate_child::value, std::string{ "a" });
  CAF_CHECK(r);
  CAF_CHECK_EQUAL(reason_of(a), caf::exit_reason::user_shutdown);
  CAF_CHECK_EQUAL(count("start a"), 1u);
  CAF_CHECK_EQUAL(ids(sup), names({ "a", "t", "b" }));
  CAF_CHECK(!child(sup, "a"));
  // Terminating a terminated child is fine, as in OTP.
  auto twice =
    ask<caf::ok_atom>(sup, op::terminate_child::value, std::string{ "a" });
  CAF_CHECK(twice);
  auto by_handle =
    ask<caf::ok_atom>(sup, op::terminate_child::value, child(sup, "t"));
  CAF_CHECK(by_handle);
  CAF_CHECK_EQUAL(ids(sup), names({ "a", "b" }));
  auto unknown =
    ask<caf::ok_atom>(sup, op::terminate_child::value, std::string{ "nope" });
  CAF_CHECK_EQUAL(code_of(unknown.error()), errc::not_found);
  auto stranger = ask<caf::ok_atom>(sup, op::terminate_child::value, a);
  CAF_CHECK_EQUAL(code_of(stranger.error()), errc::not_found);
  CAF_CHECK(!is_down(sup));
}

CAF_TEST(restart_child restarts a terminated child and refuses a running one) {
  auto sup = start("sup", with(strategy::one_for_one), { worker("a") });
  auto running =
    ask<caf::actor>(sup, op::restart_child::value, std::string{ "a" });
  CAF_CHECK_EQUAL(code_of(running.error()), errc::child_running);
  auto unknown =
    ask<caf::actor>(sup, op::restart_child::value, std::string{ "nope" });
  CAF_CHECK_EQUAL(code_of(unknown.error()), errc::not_found);
  CAF_REQUIRE(
    ask<caf::ok_atom>(sup, op::terminate_child::value, std::string{ "a" }));
  auto a2 = ask<caf::actor>(sup, op::restart_child::value, std::string{ "a" });
  CAF_REQUIRE(a2 && *a2);
  consume_messages();
  CAF_CHECK_EQUAL(child(sup, "a"), *a2);
  CAF_CHECK_EQUAL(count("start a"), 2u);
  CAF_CHECK_EQUAL(restarts_of(sup, "a"), 1u);
  // An explicit restart does not count toward the intensity.
  CAF_CHECK_EQUAL(tree(sup).total_restarts, 0u);
}

CAF_TEST(delete_child removes a terminated spec and refuses a running one) {
  auto sup =
    start("sup", with(strategy::one_for_one), { worker("a"), worker("b") });
  auto running =
    ask<caf::ok_atom>(sup, op::delete_child::value, std::string{ "a" });
  CAF_CHECK_EQUAL(code_of(running.error()), errc::child_running);
  auto unknown =
    ask<caf::ok_atom>(sup, op::delete_child::value, std::string{ "nope" });
  CAF_CHECK_EQUAL(code_of(unknown.error()), errc::not_found);
  CAF_REQUIRE(
    ask<caf::ok_atom>(sup, op::terminate_child::value, std::string{ "a" }));
  auto deleted =
    ask<caf::ok_atom>(sup, op::delete_child::value, std::string{ "a" });
  CAF_CHECK(deleted);
  CAF_CHECK_EQUAL(ids(sup), names({ "b" }));
  auto gone =
    ask<caf::actor>(sup, op::restart_child::value, std::string{ "a" });
  CAF_CHECK_EQUAL(code_of(gone.error()), errc::not_found);
}

CAF_TEST(which_children lists id actor kind and restart count in start order) {
  auto sup = start("sup",
                   with(strategy::one_for_one),
                   { worker("a"),
                     supervisor_spec("m", with(strategy::one_for_one), {}),
                     worker("b") });
  crash(child(sup, "b"), boom());
  crash(child(sup, "b"), boom());
  auto cs = children(sup);
  CAF_REQUIRE_EQUAL(cs.size(), 3u);
  CAF_CHECK_EQUAL(cs[0].id, "a");
  CAF_CHECK(cs[0].kind == child_kind::worker);
  CAF_CHECK_EQUAL(cs[0].restarts, 0u);
  CAF_CHECK_EQUAL(cs[1].id, "m");
  CAF_CHECK(cs[1].kind == child_kind::supervisor);
  CAF_CHECK(cs[1].actor);
  CAF_CHECK_EQUAL(cs[2].id, "b");
  CAF_CHECK_EQUAL(cs[2].restarts, 2u);
  CAF_REQUIRE(
    ask<caf::ok_atom>(sup, op::terminate_child::value, std::string{ "a" }));
  CAF_CHECK(!children(sup)[0].actor);
}

CAF_TEST(count_children counts specs active supervisors and workers) {
  auto sup = start("sup",
                   with(strategy::one_for_one),
                   { worker("a"),
                     supervisor_spec("m", with(strategy::one_for_one), {}),
                     worker("b") });
  CAF_REQUIRE(
    ask<caf::ok_atom>(sup, op::terminate_child::value, std::string{ "b" }));
  auto n = ask<child_counts>(sup, op::count_children::value);
  CAF_REQUIRE(n);
  CAF_CHECK_EQUAL(n->specs, 3u);
  CAF_CHECK_EQUAL(n->active, 2u);
  CAF_CHECK_EQUAL(n->supervisors, 1u);
  CAF_CHECK_EQUAL(n->workers, 2u);
  auto pool = start("pool",
                    with(strategy::simple_one_for_one),
                    { instance_spec(restart_type::permanent) });
  for (auto name : { "x", "y" })
    CAF_REQUIRE(ask<caf::actor>(
      pool, op::start_child::value, caf::make_message(std::string{ name })));
  auto p = ask<child_counts>(pool, op::count_children::value);
  CAF_REQUIRE(p);
  CAF_CHECK_EQUAL(p->specs, 1u);
  CAF_CHECK_EQUAL(p->active, 2u);
  CAF_CHECK_EQUAL(p->workers, 2u);
}

CAF_TEST(simple_one_for_one terminates instances and refuses other operations) {
  auto pool = start("pool",
                    with(strategy::simple_one_for_one),
                    { instance_spec(restart_type::permanent) });
  auto x = ask<caf::actor>(
    pool, op::start_child::value, caf::make_message(std::string{ "x" }));
  CAF_REQUIRE(x);
  consume_messages();
  auto spec = ask<caf::actor>(pool, op::start_child::value, worker("a"));
  CAF_CHECK_EQUAL(code_of(spec.error()), errc::rejected);
  auto restart =
    ask<caf::actor>(pool, op::restart_child::value, std::string{ "w#1" });
  CAF_CHECK_EQUAL(code_of(restart.error()), errc::rejected);
  auto del =
    ask<caf::ok_atom>(pool, op::delete_child::value, std::string{ "w#1" });
  CAF_CHECK_EQUAL(code_of(del.error()), errc::rejected);
  // Terminating an instance forgets it: it was dynamic.
  CAF_CHECK(ask<caf::ok_atom>(pool, op::terminate_child::value, *x));
  CAF_CHECK(children(pool).empty());
  auto args = ask<caf::actor>(start("plain", with(strategy::one_for_one), {}),
                              op::start_child::value,
                              caf::make_message(std::string{ "y" }));
  CAF_CHECK_EQUAL(code_of(args.error()), errc::rejected);
}

CAF_TEST(dynamic children are lost when their supervisor restarts) {
  auto top = start(
    "top",
    with(strategy::one_for_one),
    { supervisor_spec("mid", with(strategy::one_for_one), { worker("w") }) });
  auto mid = child(top, "mid");
  CAF_REQUIRE(ask<caf::actor>(mid, op::start_child::value, worker("extra")));
  CAF_CHECK_EQUAL(ids(mid), names({ "w", "extra" }));
  self->send_exit(mid, boom());
  consume_messages();
  CAF_CHECK_EQUAL(reason_of(mid), boom());
  auto mid2 = child(top, "mid");
  CAF_REQUIRE(mid2 && mid2 != mid);
  CAF_CHECK_EQUAL(ids(mid2), names({ "w" }));
  CAF_CHECK_EQUAL(count("start extra"), 1u);
}

CAF_TEST(requests that arrive during a stop wait for it and keep their order) {
  auto sup =
    start("sup",
          with(strategy::one_for_one),
          { worker("a"), stubborn("s", shutdown_spec::timeout(100ms)) });
  auto term = ask_later<caf::ok_atom>(
    sup, op::terminate_child::value, std::string{ "s" });
  auto add = ask_later<caf::actor>(sup, op::start_child::value, worker("d"));
  auto del =
    ask_later<caf::ok_atom>(sup, op::delete_child::value, std::string{ "s" });
  // Queries do not wait.
  CAF_CHECK_EQUAL(ids(sup), names({ "a", "s" }));
  CAF_CHECK(!term->done && !add->done && !del->done);
  pass(100ms);
  CAF_CHECK(term->done && term->value);
  CAF_CHECK(add->done && add->value);
  CAF_CHECK(del->done && del->value);
  CAF_CHECK_EQUAL(ids(sup), names({ "a", "d" }));
}

CAF_TEST(a child exit during another child stop is handled after it) {
  // As in OTP, where the exit waits in the mailbox while the supervisor
  // shuts a child down: a is restarted, only later.
  auto sup =
    start("sup",
          with(strategy::one_for_one),
          { worker("a"), stubborn("s", shutdown_spec::timeout(100ms)) });
  auto term = ask_later<caf::ok_atom>(
    sup, op::terminate_child::value, std::string{ "s" });
  crash(child(sup, "a"), boom());
  CAF_CHECK_EQUAL(count("start a"), 1u);
  pass(100ms);
  CAF_CHECK(term->done);
  CAF_CHECK_EQUAL(count("start a"), 2u);
}

CAF_TEST(requests queued before a shutdown fail with errc shutdown) {
  auto sup =
    start("sup",
          with(strategy::one_for_one),
          { worker("a"), stubborn("s", shutdown_spec::timeout(100ms)) });
  auto term = ask_later<caf::ok_atom>(
    sup, op::terminate_child::value, std::string{ "s" });
  auto add = ask_later<caf::actor>(sup, op::start_child::value, worker("d"));
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  consume_messages();
  pass(100ms);
  CAF_CHECK(term->done && term->value);
  CAF_REQUIRE(add->done);
  CAF_CHECK_EQUAL(code_of(add->value.error()), errc::shutdown);
  CAF_CHECK_EQUAL(count("start d"), 0u);
  CAF_CHECK_EQUAL(reason_of(sup), caf::exit_reason::user_shutdown);
}

CAF_TEST(tree snapshots report nested supervisors with restarts and uptime) {
  auto top = start(
    "top",
    with(strategy::one_for_all),
    { worker("a"),
      supervisor_spec("mid", with(strategy::rest_for_one), { worker("w") }) });
  pass(1500ms);
  auto mid = child(top, "mid");
  crash(child(mid, "w"), boom());
  pass(500ms);
  auto root = tree(top);
  CAF_CHECK_EQUAL(root.name, "top");
  CAF_CHECK(root.kind == child_kind::supervisor);
  CAF_CHECK(root.strategy == strategy::one_for_all);
  CAF_CHECK_EQUAL(root.uptime_ms, 2000);
  CAF_CHECK_EQUAL(root.total_restarts, 0u);
  CAF_REQUIRE_EQUAL(root.children.size(), 2u);
  auto& a = root.children[0];
  CAF_CHECK_EQUAL(a.name, "a");
  CAF_CHECK(a.kind == child_kind::worker && a.running);
  CAF_CHECK(a.children.empty());
  auto& m = root.children[1];
  CAF_CHECK_EQUAL(m.name, "mid");
  CAF_CHECK(m.kind == child_kind::supervisor);
  CAF_CHECK(m.strategy == strategy::rest_for_one);
  CAF_CHECK_EQUAL(m.total_restarts, 1u);
  CAF_CHECK(m.detail.empty());
  CAF_REQUIRE_EQUAL(m.children.size(), 1u);
  CAF_CHECK_EQUAL(m.children[0].name, "w");
  CAF_CHECK_EQUAL(m.children[0].restarts, 1u);
  CAF_CHECK_EQUAL(m.children[0].uptime_ms, 500);
}

CAF_TEST(tree snapshots survive serialization for a remote sophiactl) {
  auto top = start(
    "top",
    with(strategy::one_for_one),
    { supervisor_spec("mid", with(strategy::one_for_one), { worker("w") }) });
  auto root = tree(top);
  std::vector<char> buf;
  caf::binary_serializer sink{ sys, buf };
  CAF_REQUIRE(!sink(root));
  tree_node copy;
  caf::binary_deserializer source{ sys, buf };
  CAF_REQUIRE(!source(copy));
  CAF_CHECK_EQUAL(copy.name, "top");
  CAF_REQUIRE_EQUAL(copy.children.size(), 1u);
  CAF_CHECK(copy.children[0].kind == child_kind::supervisor);
  CAF_REQUIRE_EQUAL(copy.children[0].children.size(), 1u);
  CAF_CHECK_EQUAL(copy.children[0].children[0].name, "w");
}

CAF_TEST_FIXTURE_SCOPE_END()
