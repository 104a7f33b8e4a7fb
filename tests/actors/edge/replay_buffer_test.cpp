#include <doctest/doctest.h>

#include "actors/edge/replay_buffer.hpp"

using sophia::actors::edge::replay_buffer;

TEST_CASE("events of one stream replay after the last id the client saw") {
  replay_buffer b{ 16, 1 << 20 };
  CHECK(b.add(1, "a") == "1-1");
  CHECK(b.add(2, "other") == "2-2");
  CHECK(b.add(1, "b") == "1-3");
  CHECK(b.add(1, "c") == "1-4");
  auto after = b.after(1, 1);
  REQUIRE(after.has_value());
  REQUIRE(after->size() == 2);
  CHECK((*after)[0]->data == "b");
  CHECK((*after)[1]->data == "c");
  CHECK(b.after(1, 4)->empty());
  CHECK(b.after(2, 0)->size() == 1);
}

TEST_CASE("the buffer is bounded in events and bytes") {
  replay_buffer b{ 3, 10 };
  for (int i = 0; i < 100; ++i)
    b.add(1, "xy");
  CHECK(b.size() == 3);
  CHECK(b.bytes() == 6);
  replay_buffer small{ 100, 10 };
  for (int i = 0; i < 100; ++i)
    small.add(1, "abcd");
  CHECK(small.size() == 2);
  CHECK(small.bytes() <= 10);
}

TEST_CASE("a replay that would have a hole fails") {
  replay_buffer b{ 2, 1 << 20 };
  b.add(1, "a");
  b.add(1, "b");
  b.add(1, "c"); // drops "a"
  CHECK_FALSE(b.after(1, 0).has_value());
  CHECK(b.after(1, 1)->size() == 2);
}

TEST_CASE("event ids parse strictly") {
  CHECK(replay_buffer::parse_id("3-17") ==
        std::pair<uint64_t, uint64_t>{ 3, 17 });
  CHECK_FALSE(replay_buffer::parse_id("3").has_value());
  CHECK_FALSE(replay_buffer::parse_id("-1").has_value());
  CHECK_FALSE(replay_buffer::parse_id("3-").has_value());
  CHECK_FALSE(replay_buffer::parse_id("a-1").has_value());
  CHECK_FALSE(replay_buffer::parse_id("1-2x").has_value());
}
