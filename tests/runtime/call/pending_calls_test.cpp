#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "runtime/call/pending_calls.hpp"

using sophia::runtime::call::pending_calls;

TEST_CASE("a completed call is taken once; a second take finds nothing") {
  pending_calls<std::string, int, int> p;
  p.add(1, "t", 100, 10);
  CHECK(p.size() == 1);
  CHECK(p.take(1) == 10);
  CHECK_FALSE(p.take(1));
  CHECK(p.size() == 0);
  CHECK(p.count("t") == 0);
}

TEST_CASE("a target going down fails exactly its own pending calls") {
  pending_calls<std::string, int, int> p;
  p.add(1, "dead", 100, 1);
  p.add(2, "alive", 100, 2);
  p.add(3, "dead", 100, 3);
  auto failed = p.take_all("dead");
  std::sort(failed.begin(), failed.end());
  CHECK(failed == std::vector<int>{ 1, 3 });
  CHECK(p.size() == 1);
  // A reply racing the down notice finds its call gone.
  CHECK_FALSE(p.take(3));
  CHECK(p.take(2) == 2);
  CHECK(p.take_all("dead").empty());
}

TEST_CASE("calls past their deadline are taken by the sweep, earliest first") {
  pending_calls<std::string, int, int> p;
  p.add(1, "a", 30, 1);
  p.add(2, "b", 10, 2);
  p.add(3, "a", 20, 3);
  p.add(4, "a", 20, 4);
  CHECK(p.next_deadline() == 10);
  CHECK(p.take_expired(9).empty());
  CHECK(p.take_expired(10) == std::vector<int>{ 2 });
  CHECK(p.next_deadline() == 20);
  // A completed call no longer expires.
  CHECK(p.take(3) == 3);
  CHECK(p.take_expired(25) == std::vector<int>{ 4 });
  CHECK(p.count("a") == 1);
  CHECK(p.take_all("a") == std::vector<int>{ 1 });
  CHECK_FALSE(p.next_deadline());
  CHECK(p.size() == 0);
}
