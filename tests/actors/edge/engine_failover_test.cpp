// A tools/call for a tool whose node just went down waits (failover_wait_ms)
// for the tool to come back on another node, instead of failing a call that
// was never sent anywhere.
#define CAF_SUITE actors.edge.engine.failover

#include "tests/actors/edge/engine_fixture.hpp"

using namespace sophia::edge_test;

namespace {

json work(const std::string& text) {
  return { { "name", "fake.work" }, { "arguments", { { "text", text } } } };
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(edge_engine_failover, fixture)

CAF_TEST(a call to a tool that just left waits for it to come back) {
  auto sid = open_session();
  reg->names = { "edge@n1", "membership@n2" };
  advance(300ms); // the refresh sees the provider gone
  auto ex = post(req("tools/call", work("later")), sid);
  CAF_CHECK(!ex->answer().has_value());
  advance(500ms);
  CAF_CHECK(!ex->answer().has_value());
  // Its role comes back (here: the same provider registered again).
  reg->names = { provider_key, "edge@n1", "membership@n2" };
  advance(300ms);
  auto a = ex->answer();
  CAF_REQUIRE(a.has_value());
  auto text = (*a)["result"]["content"][0]["text"];
  CAF_CHECK_EQUAL(text, "fake: later");
}

CAF_TEST(a call to a tool that does not come back fails after the wait) {
  auto cfg = config::edge_config{};
  cfg.failover_wait_ms = 1000;
  start_edge(cfg);
  auto sid = open_session();
  reg->names = { "edge@n1", "membership@n2" };
  advance(300ms);
  auto ex = post(req("tools/call", work("never")), sid);
  CAF_CHECK(!ex->answer().has_value());
  advance(1200ms);
  auto a = ex->answer();
  CAF_REQUIRE(a.has_value());
  auto is_error = (*a)["result"]["isError"];
  CAF_CHECK_EQUAL(is_error, true);
  auto text = (*a)["result"]["content"][0]["text"].get<std::string>();
  CAF_CHECK(text.find("no other node took it over") != std::string::npos);
  // Long gone: later calls fail at once, as for any unknown tool.
  auto later = post(req("tools/call", work("x")), sid)->answer();
  CAF_REQUIRE(later.has_value());
  auto code = (*later)["error"]["code"];
  CAF_CHECK_EQUAL(code, -32602);
}

CAF_TEST(a waiting call can be cancelled) {
  auto sid = open_session();
  reg->names = { "edge@n1", "membership@n2" };
  advance(300ms);
  auto ex = post(req("tools/call", work("x"), 77), sid);
  post(note("notifications/cancelled", { { "requestId", 77 } }), sid);
  CAF_CHECK_EQUAL(ex->count("end"), 1u);
  reg->names = { provider_key, "edge@n1", "membership@n2" };
  advance(300ms);
  CAF_CHECK(!ex->answer().has_value());
  CAF_CHECK(plog->calls.empty());
}

CAF_TEST(a tool never seen fails at once) {
  auto sid = open_session();
  auto a = post(req("tools/call", { { "name", "nope.tool" } }), sid)->answer();
  CAF_REQUIRE(a.has_value());
  auto code = (*a)["error"]["code"];
  CAF_CHECK_EQUAL(code, -32602);
}

CAF_TEST_FIXTURE_SCOPE_END()
