#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "runtime/call/pending_calls.hpp"

using sophia::runtime::call::pending_calls;

TEST_CASE("a completed call is taken once; a second take finds nothing") {
  pending_calls<std::string, int> p;
  p.add(1, "t", 10);
  CHECK(p.size() == 1);
  CHECK(p.take(1) == 10);
  CHECK_FALSE(p.take(1));
  CHECK(p.size() == 0);
  CHECK(p.count("t") == 0);
}

TEST_CASE("a target going down fails exactly its own pending calls") {
  pending_calls<std::string, int> p;
  p.add(1, "dead", 1);
  p.add(2, "alive", 2);
  p.add(3, "dead", 3);
  auto failed = p.take_all("dead");
  std::sort(failed.begin(), failed.end());
  CHECK(failed == std::vector<int>{1, 3});
  CHECK(p.size() == 1);
  // A reply racing the down notice finds its call gone.
  CHECK_FALSE(p.take(3));
  CHECK(p.take(2) == 2);
  CHECK(p.take_all("dead").empty());
}
