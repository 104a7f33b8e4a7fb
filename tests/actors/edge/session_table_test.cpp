#include <doctest/doctest.h>

#include "actors/edge/session_table.hpp"

using namespace sophia::actors::edge;
using reason = session_table::end_reason;
using room = session_table::room;

namespace {

std::chrono::steady_clock::time_point at(int ms) {
  return std::chrono::steady_clock::time_point{} +
         std::chrono::milliseconds{ ms };
}

session& add(session_table& t,
             const std::string& id,
             const std::string& client,
             int ms) {
  auto s = std::make_unique<session>(id, 16, 1024);
  s->client = client;
  return t.insert(std::move(s), at(ms));
}

/// Makes room for `client`, ending the victims as the engine does.
room admit(session_table& t, const std::string& client, std::string* gone) {
  std::vector<std::string> victims;
  auto why = reason::evicted_capacity;
  auto r = t.make_room(client, victims, why);
  for (auto& v : victims) {
    if (gone) *gone = v;
    t.erase(v, why);
  }
  return r;
}

} // namespace

TEST_CASE("at capacity the least recently active session makes room") {
  session_table t{ { 3, 100 } };
  add(t, "a", "ip:1", 0);
  add(t, "b", "ip:2", 1);
  add(t, "c", "ip:3", 2);
  t.touch(*t.find("a"), at(3));
  std::string gone;
  CHECK(admit(t, "ip:4", &gone) == room::ok);
  CHECK(gone == "b");
  CHECK(t.stats().evicted_capacity == 1);
  CHECK(t.size() == 2);
}

TEST_CASE("busy sessions are skipped; all busy means full") {
  session_table t{ { 2, 100 } };
  auto& a = add(t, "a", "ip:1", 0);
  auto& b = add(t, "b", "ip:1", 1);
  a.requests["1"] = inflight{};
  std::string gone;
  CHECK(admit(t, "ip:1", &gone) == room::ok);
  CHECK(gone == "b");
  add(t, "c", "ip:1", 2).requests["2"] = inflight{};
  (void)b;
  CHECK(admit(t, "ip:9", nullptr) == room::full);
  CHECK(t.stats().refused_full == 1);
  CHECK(t.size() == 2);
}

TEST_CASE("a client over its quota loses its own oldest session") {
  session_table t{ { 100, 2 } };
  add(t, "a1", "ip:1", 0);
  add(t, "b1", "ip:2", 1);
  add(t, "a2", "ip:1", 2);
  std::string gone;
  CHECK(admit(t, "ip:1", &gone) == room::ok);
  CHECK(gone == "a1");
  CHECK(t.stats().evicted_quota == 1);
  CHECK(t.find("b1") != nullptr);
  CHECK(t.clients() == 2);
  // Its remaining session busy: 429, not someone else's session.
  t.find("a2")->requests["1"] = inflight{};
  add(t, "a3", "ip:1", 3).requests["1"] = inflight{};
  CHECK(admit(t, "ip:1", nullptr) == room::client_full);
  CHECK(t.stats().refused_client_full == 1);
}

TEST_CASE("idle sessions are listed oldest first, busy ones never") {
  session_table t;
  add(t, "a", "ip:1", 0);
  add(t, "b", "ip:1", 10).requests["1"] = inflight{};
  add(t, "c", "ip:1", 20);
  add(t, "d", "ip:1", 100);
  auto idle = t.idle_since(at(50));
  REQUIRE(idle.size() == 2);
  CHECK(idle[0] == "a");
  CHECK(idle[1] == "c");
  t.erase("a", reason::idle);
  t.erase("nope", reason::idle);
  CHECK(t.stats().expired_idle == 1);
  CHECK(t.size() == 3);
}
