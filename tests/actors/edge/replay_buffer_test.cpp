#include <doctest/doctest.h>

#include <memory>
#include <vector>

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

TEST_CASE("a budget bounds the buffers of all sessions; the oldest go first") {
  using sophia::actors::edge::replay_budget;
  replay_budget budget{ 10 };
  replay_buffer a{ 100, 1000, &budget };
  replay_buffer b{ 100, 1000, &budget };
  a.add(1, "aaaa"); // oldest
  b.add(1, "bbbb");
  CHECK(budget.used() == 8);
  a.add(1, "cccc"); // 12 > 10: a's "aaaa" goes, though a is not the newest
  CHECK(budget.used() == 8);
  CHECK(budget.dropped() == 1);
  CHECK(a.size() == 1);
  CHECK(b.size() == 1);
  CHECK_FALSE(a.after(1, 0).has_value()); // a hole now
  b.add(1, "dddd");                       // b's "bbbb" is the oldest now
  CHECK(b.size() == 1);
  CHECK(a.size() == 1);
  CHECK(budget.used() == 8);
  {
    replay_buffer c{ 100, 1000, &budget };
    c.add(1, "ee");
    CHECK(budget.used() == 10);
  }
  // A buffer that goes away gives its bytes back.
  CHECK(budget.used() == 8);
  // An event larger than the whole budget is not kept at all.
  a.add(1, std::string(11, 'x'));
  CHECK(budget.used() == 8);
  CHECK_FALSE(a.after(1, 2).has_value());
}

TEST_CASE("a budget of many buffers drops in age order across them") {
  using sophia::actors::edge::replay_budget;
  replay_budget budget{ 100 };
  std::vector<std::unique_ptr<replay_buffer>> bufs;
  for (int i = 0; i < 10; ++i)
    bufs.push_back(std::make_unique<replay_buffer>(100, 1000, &budget));
  for (int round = 0; round < 5; ++round)
    for (auto& b : bufs)
      b->add(1, std::string(5, 'x'));
  CHECK(budget.used() == 100);
  CHECK(budget.dropped() == 30);
  // Every buffer kept its two newest events.
  for (auto& b : bufs)
    CHECK(b->size() == 2);
  bufs.clear();
  CHECK(budget.used() == 0);
}
