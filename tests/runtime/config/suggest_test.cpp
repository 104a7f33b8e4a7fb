#include "runtime/config/suggest.hpp"

#include <doctest/doctest.h>

using namespace sophia::runtime::config;

TEST_CASE("edit_distance counts insertions, deletions and substitutions") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("edge", "edge") == 0);
  CHECK(edit_distance("edg", "edge") == 1);   // insertion
  CHECK(edit_distance("edgee", "edge") == 1); // deletion
  CHECK(edit_distance("edga", "edge") == 1);  // substitution
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("heartbeat", "heartbeat_ms") == 3);
}

TEST_CASE("closest suggests the nearest candidate within the limit") {
  std::vector<std::string_view> keys{
    "name", "heartbeat_ms", "failure_timeout_ms", "reconnect_ms"
  };
  CHECK(closest("heartbeat", keys) == "heartbeat_ms");
  CHECK(closest("heartbeat_sm", keys) == "heartbeat_ms");
  CHECK(closest("nmae", keys) == "name");
  CHECK(closest("failure_timeout", keys) == "failure_timeout_ms");
  CHECK_FALSE(closest("port", keys).has_value());
  CHECK_FALSE(closest("something_else", keys).has_value());
  CHECK_FALSE(closest("x", std::vector<std::string_view>{}).has_value());
}

TEST_CASE("closest allows max(2, size / 3) edits") {
  // Short words still get two edits.
  CHECK(closest("ab", { "abcd" }) == "abcd");
  CHECK_FALSE(closest("ab", { "abcde" }).has_value());
  // A word of 12 characters gets four edits, not five.
  CHECK(closest("abcdefghijkl", { "abcdefghWXYZ" }) == "abcdefghWXYZ");
  CHECK_FALSE(closest("abcdefghijkl", { "abcdefgVWXYZ" }).has_value());
}

TEST_CASE("closest prefers the earlier candidate on a tie") {
  CHECK(closest("cat", { "bat", "hat" }) == "bat");
  CHECK(closest("cat", { "hat", "bat" }) == "hat");
  CHECK(closest("cat", { "cut", "cat" }) == "cat");
}
