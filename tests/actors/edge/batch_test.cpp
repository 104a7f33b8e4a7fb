#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "actors/edge/batch.hpp"

using namespace sophia::actors::edge;

namespace {

/// Records what a batch sends through the transport's exchange.
struct recorder : exchange {
  std::vector<std::string> log;
  bool streaming = true;
  void fail(int status, std::string body, headers) override {
    log.push_back("fail " + std::to_string(status) + " " + body);
  }
  void reply(std::string json) override { log.push_back("reply " + json); }
  void reply_event(std::string_view id, std::string json) override {
    log.push_back("reply_event " + std::string{ id } + " " + json);
  }
  void accepted() override { log.push_back("accepted"); }
  void event(std::string_view id, std::string data) override {
    log.push_back("event " + std::string{ id } + " " + data);
  }
  void end() override { log.push_back("end"); }
  void set_session(std::string) override {}
  bool alive() const override { return true; }
  bool streams() const override { return streaming; }
};

} // namespace

TEST_CASE("json: every answer in one array once the last is in") {
  auto out = std::make_shared<recorder>();
  auto xs = make_batch(out, 3, false);
  xs[1]->reply(R"({"id":2})");
  xs[0]->accepted(); // a notification
  CHECK(out->log.empty());
  xs[2]->fail(400, R"({"id":3})", {});
  REQUIRE(out->log.size() == 1);
  CHECK(out->log[0] == R"(reply [{"id":2},{"id":3}])");
  // Later calls of a finished element change nothing.
  xs[1]->reply("{}");
  CHECK(out->log.size() == 1);
}

TEST_CASE("json: nothing to answer is 202") {
  auto out = std::make_shared<recorder>();
  auto xs = make_batch(out, 2, false);
  xs[0]->accepted();
  xs[1]->end();
  REQUIRE(out->log.size() == 1);
  CHECK(out->log[0] == "accepted");
}

TEST_CASE("json: a notification switches the batch to a stream") {
  auto out = std::make_shared<recorder>();
  auto xs = make_batch(out, 2, false);
  xs[0]->reply(R"({"id":1})");
  xs[1]->event("5-1", R"({"method":"p"})");
  xs[1]->reply_event("5-2", R"({"id":2})");
  REQUIRE(out->log.size() == 4);
  CHECK(out->log[0] == R"(event  {"id":1})");
  CHECK(out->log[1] == R"(event 5-1 {"method":"p"})");
  CHECK(out->log[2] == R"(event 5-2 {"id":2})");
  CHECK(out->log[3] == "end");
}

TEST_CASE("sse: answers are events, the stream ends with the last") {
  auto out = std::make_shared<recorder>();
  auto xs = make_batch(out, 2, true);
  xs[0]->reply_event("1-1", R"({"id":1})");
  xs[1]->event("2-0", ""); // a priming event: the batch has one stream
  xs[1]->reply_event("2-2", R"({"id":2})");
  REQUIRE(out->log.size() == 3);
  CHECK(out->log[0] == R"(event 1-1 {"id":1})");
  CHECK(out->log[1] == R"(event 2-2 {"id":2})");
  CHECK(out->log[2] == "end");
}

TEST_CASE("stdio: notifications go out as they come, answers as one array") {
  auto out = std::make_shared<recorder>();
  out->streaming = false;
  auto xs = make_batch(out, 2, true);
  xs[0]->event({}, R"({"method":"p"})");
  xs[0]->reply(R"({"id":1})");
  xs[1]->reply(R"({"id":2})");
  REQUIRE(out->log.size() == 2);
  CHECK(out->log[0] == R"(event  {"method":"p"})");
  CHECK(out->log[1] == R"(reply [{"id":1},{"id":2}])");
}
