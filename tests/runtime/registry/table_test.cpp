#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "runtime/registry/table.hpp"

using sophia::runtime::registry::table;

TEST_CASE(
  "local names resolve; a taken name is refused, re-registering is a no-op") {
  table<int> t{ "a" };
  CHECK(t.put("svc", 1));
  CHECK(t.version() == 1);
  CHECK(t.put("svc", 1));
  CHECK(t.version() == 1);
  CHECK_FALSE(t.put("svc", 2));
  CHECK(t.lookup("svc") == 1);
  CHECK(t.lookup("svc@a") == 1);
  CHECK_FALSE(t.lookup("svc@b"));
  CHECK_FALSE(t.lookup("other"));
}

TEST_CASE("local entries win over remote ones; remote ones resolve by node "
          "name order") {
  table<int> t{ "b" };
  t.apply("c", 1, 1, { { "svc", 30 } });
  t.apply("a", 1, 1, { { "svc", 10 }, { "only-a", 11 } });
  CHECK(t.lookup("svc") == 10);
  CHECK(t.lookup("svc@c") == 30);
  CHECK(t.lookup("only-a") == 11);
  t.put("svc", 20);
  CHECK(t.lookup("svc") == 20);
}

TEST_CASE("a node's entries vanish when it goes down and reappear with its "
          "next snapshot") {
  table<int> t{ "a" };
  t.apply("b", 1, 3, { { "svc", 2 } });
  t.drop("b");
  CHECK_FALSE(t.lookup("svc"));
  CHECK(t.apply("b", 2, 1, { { "svc", 5 } }));
  CHECK(t.lookup("svc@b") == 5);
}

TEST_CASE("older snapshots are ignored: by version, then by incarnation") {
  table<int> t{ "a" };
  CHECK(t.apply("b", 2, 5, { { "x", 1 } }));
  CHECK_FALSE(t.apply("b", 2, 5, { { "x", 2 } }));
  CHECK_FALSE(t.apply("b", 2, 4, { { "x", 3 } }));
  CHECK_FALSE(t.apply("b", 1, 9, { { "x", 4 } }));
  CHECK(t.lookup("x") == 1);
  CHECK(t.apply("b", 3, 1, {}));
  CHECK_FALSE(t.lookup("x"));
}

TEST_CASE("erasing by handle removes every name of a terminated actor") {
  table<int> t{ "a" };
  t.put("x", 1);
  t.put("y", 1);
  t.put("z", 2);
  auto v = t.version();
  CHECK(t.erase_handle(1) == 2);
  CHECK(t.version() == v + 1);
  CHECK(t.erase_handle(1) == 0);
  CHECK(t.version() == v + 1);
  CHECK(t.lookup("z") == 2);
  CHECK(t.erase("z"));
  CHECK_FALSE(t.erase("z"));
}

TEST_CASE("list is sorted by name then node") {
  table<int> t{ "b" };
  t.put("s", 1);
  t.apply("a", 1, 1, { { "s", 2 }, { "r", 3 } });
  auto xs = t.list();
  REQUIRE(xs.size() == 3);
  CHECK(xs[0].name == "r");
  CHECK(xs[1].node == "a");
  CHECK(xs[2].node == "b");
}
