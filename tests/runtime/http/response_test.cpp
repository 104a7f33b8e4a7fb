// A response's headers, read from the lines as libcurl handed them over.
#include <doctest/doctest.h>

#include "runtime/http/client.hpp"

using namespace sophia::runtime::http;

TEST_CASE("headers are found in any case, first one wins, trimmed") {
  response r;
  r.header_block = "Content-Type: application/json\r\n"
                   "X-Empty:\r\n"
                   "retry-after:   7  \r\n"
                   "Set-Cookie: a=1\r\n"
                   "set-cookie: b=2\r\n"
                   "Odd\tline without a colon\r\n"
                   "X-Time: 12:30:00\r\n";
  REQUIRE(r.find_header("content-type"));
  CHECK(*r.find_header("CONTENT-TYPE") == "application/json");
  CHECK(*r.find_header("Retry-After") == "7");
  CHECK(*r.find_header("x-empty") == "");
  CHECK(*r.find_header("set-cookie") == "a=1");
  // Only the first colon splits.
  CHECK(*r.find_header("x-time") == "12:30:00");
  CHECK_FALSE(r.find_header("content"));
  CHECK_FALSE(r.find_header("odd"));
  auto all = r.headers();
  REQUIRE(all.size() == 6);
  CHECK(all[0] == header{ "content-type", "application/json" });
  CHECK(all[2] == header{ "retry-after", "7" });
  CHECK(all[3] == header{ "set-cookie", "a=1" });
  CHECK(all[4] == header{ "set-cookie", "b=2" });
  CHECK(all[5] == header{ "x-time", "12:30:00" });
}

TEST_CASE("no header lines, and a last line without its line end") {
  response r;
  CHECK_FALSE(r.find_header("content-type"));
  CHECK(r.headers().empty());
  r.header_block = "A: 1\nB: 2";
  CHECK(*r.find_header("b") == "2");
  CHECK(r.headers().size() == 2);
}
