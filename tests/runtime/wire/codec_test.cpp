#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runtime/error.hpp"
#include "runtime/wire/codec.hpp"

using namespace sophia::runtime;
using namespace sophia::runtime::wire;

TEST_CASE("hello round-trips") {
  hello x{
    { "edge-1", "sophia-local", 123456789, 42, "127.0.0.1", 7401, "0.1.0" }
  };
  auto y = decode_hello(encode(x));
  REQUIRE(y);
  CHECK(y->from.name == "edge-1");
  CHECK(y->from.cluster == "sophia-local");
  CHECK(y->from.incarnation == 123456789);
  CHECK(y->from.pid == 42);
  CHECK(y->from.host == "127.0.0.1");
  CHECK(y->from.port == 7401);
  CHECK(y->from.version == "0.1.0");
}

TEST_CASE("heartbeat and leave round-trip") {
  auto hb = decode_heartbeat(encode(heartbeat{ "ai-1", 9, 77, -5 }));
  REQUIRE(hb);
  CHECK(hb->from == "ai-1");
  CHECK(hb->incarnation == 9);
  CHECK(hb->seq == 77);
  CHECK(hb->sent_unix_ns == -5);
  auto lv = decode_leave(encode(leave{ "ai-1", 9, "removed" }));
  REQUIRE(lv);
  CHECK(lv->reason == "removed");
}

TEST_CASE("membership view round-trips every member field") {
  membership_view v{ "c", "edge-1", {} };
  v.members.push_back({ "edge-1",
                        "127.0.0.1",
                        7401,
                        { "edge", "monitoring" },
                        member_state::up,
                        1000,
                        0,
                        1 });
  v.members.push_back(
    { "ai-1", "10.0.0.2", 7402, {}, member_state::suspect, 2000, 1500, 2 });
  v.members.push_back(
    { "data-1", "h", 1, { "pipeline" }, member_state::down, 3000, -1, 0 });
  auto w = decode_membership_view(encode(v));
  REQUIRE(w);
  REQUIRE(w->members.size() == 3);
  CHECK(w->cluster == "c");
  CHECK(w->seen_from == "edge-1");
  CHECK(w->members[0].roles ==
        std::vector<std::string>{ "edge", "monitoring" });
  CHECK(w->members[1].state == member_state::suspect);
  CHECK(w->members[1].heartbeat_age_ms == 1500);
  CHECK(w->members[2].state == member_state::down);
  CHECK(w->members[2].heartbeat_age_ms == -1);
  CHECK(w->members[2].since_unix_ms == 3000);
}

TEST_CASE(
  "registry snapshot and call messages round-trip, binary payloads intact") {
  registry_snapshot s{
    "ai-1", 5, 6, { { "tavily.search", 0 }, { "runtime.echo", 1 } }
  };
  auto t = decode_registry_snapshot(encode(s));
  REQUIRE(t);
  REQUIRE(t->entries.size() == 2);
  CHECK(t->entries[1].name == "runtime.echo");
  CHECK(t->entries[1].handle == 1);
  std::string binary("\0\xff\x01 payload", 11);
  auto env = decode_call_envelope(
    encode(call_envelope{ "trace", "caller", 99, "method", binary }));
  REQUIRE(env);
  CHECK(env->payload == binary);
  auto rep = decode_call_reply(encode(call_reply{ binary }));
  REQUIRE(rep);
  CHECK(rep->payload == binary);
}

TEST_CASE("encoded buffers are whole words") {
  auto buf = encode(call_envelope{ "t", "c", 1, "m", "odd-length" });
  CHECK(!buf.words.empty());
  CHECK(reinterpret_cast<uintptr_t>(buf.words.data()) % 8 == 0);
}

TEST_CASE("corrupt, truncated and empty buffers are errors, not exceptions") {
  auto ok = encode(call_envelope{ "trace", "caller", 1, "m", "payload" });
  SUBCASE("empty") {
    auto r = decode_call_envelope(buffer{});
    REQUIRE(!r);
    CHECK(code_of(r.error()) == errc::decode_failed);
  }
  SUBCASE("truncated") {
    auto cut = ok;
    cut.words.resize(cut.words.size() / 2);
    auto r = decode_call_envelope(cut);
    REQUIRE(!r);
    CHECK(code_of(r.error()) == errc::decode_failed);
  }
  SUBCASE("garbage") {
    buffer junk;
    for (uint64_t i = 0; i < 64; ++i)
      junk.words.push_back(0x9E3779B97F4A7C15ull * (i + 1));
    CHECK_NOTHROW((void)decode_call_envelope(junk));
    CHECK_NOTHROW((void)decode_membership_view(junk));
    CHECK_NOTHROW((void)decode_registry_snapshot(junk));
    CHECK_NOTHROW((void)decode_hello(junk));
  }
  SUBCASE("segment table claims more than the buffer holds") {
    buffer lie;
    lie.words.push_back(uint64_t{ 1000 } << 32); // 1 segment of 1000 words
    auto r = decode_hello(lie);
    REQUIRE(!r);
    CHECK(code_of(r.error()) == errc::decode_failed);
  }
}

TEST_CASE("a list of zero-sized structs cannot inflate a small buffer") {
  // Found by fuzzing (tests/fuzz/regressions/wire): 256 bytes whose
  // member list claimed 809,856 elements of no size, which decoded into as
  // many members. The traversal limit now follows the buffer's size.
  buffer buf;
  buf.words = {
    0x0000001f00000000ULL, 0x0003000000000000ULL, 0x0000001200000009ULL,
    0x0000001a00000009ULL, 0x0000007700000009ULL, 0x0000000000000063ULL,
    0x000000000000316eULL, 0x0000000000316e00ULL, 0xfd00040000000800ULL,
    0x00fdffffffe316ffULL, 0x000000000003e800ULL, 0x0000000000001400ULL,
    0x00000000fdff0700ULL, 0x00001a0000002500ULL, 0x0000520000002500ULL,
    0x0000160000002900ULL, 0x00000000011cea00ULL, 0x000000000007d000ULL,
    0xffffffffffffff00ULL, 0x00000024000008ffULL, 0x0000012200000029ULL,
    0x0000000600000029ULL, 0x000000000000326eULL, 0x2e702e302e373231ULL,
    0x0000000000000031ULL, 0x0000002a00000005ULL, 0x0000004a00000005ULL,
    0x0000000065676465ULL, 0x656e696c65706970ULL, 0x0000000000000000ULL,
    0x000000000000326eULL, 0x0000000000313a3aULL
  };
  auto v = decode_membership_view(buf);
  if (v) CHECK(v->members.size() <= 2 * buf.words.size() + 64);
}
