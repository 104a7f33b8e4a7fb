// The engine under session floods: eviction at max_sessions, per-client
// quotas, sessions that must never be evicted, idle expiry and the replay
// budget shared by all sessions.
#define CAF_SUITE actors.edge.engine.sessions

#include "tests/actors/edge/engine_fixture.hpp"

using namespace sophia::edge_test;

namespace {

/// Whether a ping in `sid` is answered (false: 404, the session is gone).
bool alive_session(fixture& f, const std::string& sid) {
  auto out = f.post(f.req("ping"), sid);
  if (auto fl = out->failure()) {
    CAF_CHECK_EQUAL(fl->first, 404);
    return false;
  }
  return out->answer().has_value();
}

config::edge_config limits(int64_t max_sessions, int64_t per_client) {
  config::edge_config cfg;
  cfg.max_sessions = max_sessions;
  cfg.max_sessions_per_client = per_client;
  return cfg;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(edge_engine_sessions, fixture)

CAF_TEST(at max_sessions initialize evicts the least recently active) {
  start_edge(limits(3, 100));
  auto s1 = open_session();
  auto s2 = open_session();
  auto s3 = open_session();
  advance(10ms);
  CAF_CHECK(alive_session(*this, s1)); // s1 is now the most recent
  auto s4 = open_session();
  CAF_CHECK(!alive_session(*this, s2));
  CAF_CHECK(alive_session(*this, s1));
  CAF_CHECK(alive_session(*this, s3));
  CAF_CHECK(alive_session(*this, s4));
  // A flood: every new session evicts one, the edge stays at capacity.
  for (int i = 0; i < 50; ++i)
    open_session();
  CAF_CHECK(!alive_session(*this, s1));
}

CAF_TEST(sessions with a call in flight or an open stream are never evicted) {
  start_edge(limits(2, 100));
  auto busy = open_session();
  auto ex =
    post(req("tools/call",
             { { "name", "fake.work" },
               { "arguments", { { "text", "x" }, { "mode", "hold" } } } }),
         busy);
  CAF_REQUIRE(!ex->answer().has_value());
  auto streaming = open_session();
  auto g = get(streaming);
  CAF_REQUIRE_EQUAL(g->count("fail"), 0u);
  // Both are busy: a new session is refused, not one of theirs ended.
  auto refused = initialize("2025-11-25");
  auto f = refused->failure();
  CAF_REQUIRE(f.has_value());
  CAF_CHECK_EQUAL(f->first, 503);
  auto text = f->second["error"]["message"].get<std::string>();
  CAF_CHECK(text.find("max_sessions") != std::string::npos);
  CAF_CHECK(alive_session(*this, busy));
  CAF_CHECK(alive_session(*this, streaming));
  // The stream's client goes away: that session may go now.
  g->drop();
  auto next = open_session();
  CAF_CHECK(!alive_session(*this, streaming));
  CAF_CHECK(alive_session(*this, busy));
  CAF_CHECK(alive_session(*this, next));
}

CAF_TEST(a client over its quota pays with its own sessions) {
  start_edge(limits(100, 2));
  client = "ip:10.0.0.1";
  auto a1 = open_session();
  auto a2 = open_session();
  client = "ip:10.0.0.2";
  auto b1 = open_session();
  client = "ip:10.0.0.1";
  auto a3 = open_session();
  CAF_CHECK(!alive_session(*this, a1));
  CAF_CHECK(alive_session(*this, a2));
  CAF_CHECK(alive_session(*this, a3));
  CAF_CHECK(alive_session(*this, b1));
  // However many it opens, the other client keeps its session.
  for (int i = 0; i < 30; ++i)
    open_session();
  CAF_CHECK(alive_session(*this, b1));
}

CAF_TEST(a client whose sessions all have open streams gets 429) {
  start_edge(limits(100, 1));
  auto a1 = open_session();
  auto g = get(a1);
  auto refused = initialize("2025-11-25");
  auto f = refused->failure();
  CAF_REQUIRE(f.has_value());
  CAF_CHECK_EQUAL(f->first, 429);
  // Another client is not affected.
  client = "key:ops";
  auto b1 = open_session();
  CAF_CHECK(alive_session(*this, b1));
}

CAF_TEST(sessions unused for session_idle_ms end) {
  auto cfg = config::edge_config{};
  cfg.session_idle_ms = 2000;
  start_edge(cfg);
  auto idle = open_session();
  auto used = open_session();
  for (int i = 0; i < 6; ++i) {
    advance(500ms);
    CAF_CHECK(alive_session(*this, used));
  }
  CAF_CHECK(!alive_session(*this, idle));
}

CAF_TEST(the replay budget bounds the events of all sessions together) {
  auto cfg = config::edge_config{};
  cfg.replay_bytes = 1 << 20;
  cfg.replay_budget_bytes = 8000;
  start_edge(cfg);
  auto first = open_session();
  auto second = open_session();
  exchange_ptr a;
  call_tool(
    first,
    "fake.work",
    { { "text", "a" }, { "mode", "stream" }, { "count", 4 }, { "size", 1500 } },
    &a);
  auto first_events = a->data_events();
  CAF_REQUIRE_EQUAL(first_events.size(), 4u);
  exchange_ptr b;
  call_tool(
    second,
    "fake.work",
    { { "text", "b" }, { "mode", "stream" }, { "count", 4 }, { "size", 1500 } },
    &b);
  // 8 events of ~1.6 kB do not fit into 8000 bytes: the first session's,
  // the oldest, went first; the second's newest are still there.
  auto old = get(first, first_events.front().id);
  auto f = old->failure();
  CAF_REQUIRE(f.has_value());
  CAF_CHECK_EQUAL(f->first, 409);
  auto second_events = b->data_events();
  CAF_REQUIRE_EQUAL(second_events.size(), 4u);
  auto recent = get(second, second_events[2].id);
  CAF_CHECK_EQUAL(recent->count("fail"), 0u);
  CAF_CHECK_GREATER_OR_EQUAL(recent->data_events().size(), 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()
