// The client actor: breaker, streaming, cancellation, concurrency and rate.
// Against a real HTTP server (scripted_server.mjs on loopback); time bounds
// are generous: the machine is shared and noisy.
#include "client_fixture.hpp"

using namespace sophia::testing::http;
using sophia::testing::scripted_server;

TEST_CASE_FIXTURE(fixture, "5xx opens the breaker; a probe closes it") {
  auto p = fast_retries();
  p.breaker_failures = 3;
  p.breaker_cooldown = 700ms;
  set_policy("brk", p);
  auto out = call(get("/status/503", "brk"));
  REQUIRE(out.res);
  CHECK(out.res->status == 503);
  CHECK(out.res->attempts == 3);
  CHECK(stats_json()["brk"]["breaker"] == "open");
  out = call(get("/ok?key=refused", "brk"));
  CHECK(out.code() == errc::unavailable);
  CHECK(contains(out.detail(), "brk: circuit breaker open after 3 consecutive"
                               " failures; next probe in"));
  CHECK(out.took < 500ms);
  CHECK(probe("/count/refused")["hits"] == 0);
  std::this_thread::sleep_for(800ms);
  out = call(get("/ok", "brk")); // the probe
  REQUIRE(out.res);
  CHECK(out.res->status == 200);
  CHECK(stats_json()["brk"]["breaker"] == "closed");
  // A failed probe reopens it, and its retries end with its response.
  REQUIRE(call(get("/status/503", "brk")).res);
  CHECK(stats_json()["brk"]["breaker"] == "open");
  std::this_thread::sleep_for(800ms);
  out = call(get("/status/502", "brk"));
  REQUIRE(out.res);
  CHECK(out.res->status == 502);
  CHECK(out.res->attempts == 1);
  CHECK(stats_json()["brk"]["breaker"] == "open");
  CHECK(call(get("/ok", "brk")).code() == errc::unavailable);
}

TEST_CASE_FIXTURE(fixture, "streamed bodies arrive piece by piece") {
  caf::scoped_actor self{ *sys };
  auto r = std::make_shared<request>(get("/sse?n=4&gap=250"));
  r->stream_to = caf::actor_cast<caf::actor>(self);
  r->tag = "s1";
  auto start = clock_type::now();
  self->send(client, fetch::value, request_ptr{ r });
  std::string all;
  std::vector<clock_type::duration> arrivals;
  response_ptr final_res;
  caf::error err;
  bool done = false;
  while (!done) {
    self->receive(
      [&](chunk, const std::string& tag, const std::string& bytes) {
        CHECK(tag == "s1");
        all += bytes;
        arrivals.push_back(clock_type::now() - start);
      },
      [&](response_ptr& res) {
        final_res = std::move(res);
        done = true;
      },
      [&](caf::error& e) {
        err = std::move(e);
        done = true;
      },
      caf::after(std::chrono::seconds{ 10 }) >> [&] { done = true; });
  }
  REQUIRE(final_res);
  auto end = clock_type::now() - start;
  CHECK(final_res->status == 200);
  CHECK(final_res->body.empty());
  CHECK(all == "data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\n");
  REQUIRE(arrivals.size() >= 2);
  CHECK(end - arrivals.front() >= 500ms);
}

TEST_CASE_FIXTURE(fixture, "a stream cut by its timeout is not sent again") {
  policy p;
  p.timeout = 600ms;
  p.backoff_base = 10ms;
  set_policy("cut", p);
  caf::scoped_actor self{ *sys };
  auto r = std::make_shared<request>(get("/sse?n=20&gap=150&key=cut", "cut"));
  r->stream_to = caf::actor_cast<caf::actor>(self);
  self->send(client, fetch::value, request_ptr{ r });
  caf::error err;
  size_t chunks = 0;
  for (bool done = false; !done;)
    self->receive([&](chunk, const std::string&, const std::string&) { ++chunks; },
                  [&](response_ptr&) { done = true; },
                  [&](caf::error& e) {
                    err = std::move(e);
                    done = true;
                  },
                  caf::after(std::chrono::seconds{ 10 }) >> [&] { done = true; });
  CHECK(code_of(err) == errc::deadline_exceeded);
  CHECK(chunks >= 2);
  CHECK(probe("/count/cut")["hits"] == 1);
}

TEST_CASE_FIXTURE(fixture, "cancel aborts running and queued requests") {
  caf::scoped_actor self{ *sys };
  auto r = std::make_shared<request>(get("/hang?key=c1"));
  r->tag = "t1";
  self->send(client, fetch::value, request_ptr{ r });
  for (int i = 0; i < 100 && probe("/count/c1")["hits"] == 0; ++i)
    std::this_thread::sleep_for(20ms);
  auto start = clock_type::now();
  self->send(client, cancel::value, std::string{ "t1" });
  caf::error err;
  self->receive([&](response_ptr&) { FAIL("a response to a cancelled call"); },
                [&](caf::error& e) { err = std::move(e); },
                caf::after(std::chrono::seconds{ 5 }) >> [] {});
  CHECK(code_of(err) == errc::cancelled);
  CHECK(contains(detail_of(err), "t: "));
  CHECK(clock_type::now() - start < 1s);
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    seen = probe("/aborted/c1")["aborted"] == true;
    if (!seen) std::this_thread::sleep_for(20ms);
  }
  CHECK(seen);
  // One runs, one waits for the slot: both fail, the second never starts.
  policy one;
  one.max_concurrency = 1;
  set_policy("q", one);
  for (auto key : { "q1", "q2" }) {
    auto q = std::make_shared<request>(get(std::string{ "/hang?key=" } + key, "q"));
    q->tag = "t2";
    self->send(client, fetch::value, request_ptr{ q });
  }
  for (int i = 0; i < 100 && probe("/count/q1")["hits"] == 0; ++i)
    std::this_thread::sleep_for(20ms);
  self->send(client, cancel::value, std::string{ "t2" });
  int cancelled = 0;
  for (int i = 0; i < 2; ++i)
    self->receive(
      [&](caf::error& e) { cancelled += code_of(e) == errc::cancelled; },
      [&](response_ptr&) {}, caf::after(std::chrono::seconds{ 5 }) >> [] {});
  CHECK(cancelled == 2);
  CHECK(probe("/count/q2")["hits"] == 0);
  auto st = stats_json();
  CHECK(st["q"]["in_flight"] == 0);
  CHECK(st["q"]["queued"] == 0);
}

TEST_CASE_FIXTURE(fixture, "max_concurrency bounds requests at the server") {
  policy p;
  p.max_concurrency = 2;
  set_policy("conc", p);
  std::vector<request> rs(6, get("/slow/300?key=conc", "conc"));
  auto outs = call_all(rs);
  for (auto& o : outs) {
    REQUIRE(o.res);
    CHECK(o.res->status == 200);
  }
  CHECK(probe("/maxconc/conc")["max"] == 2);
  CHECK(outs.back().took >= 850ms); // three waves of 300 ms
}

TEST_CASE_FIXTURE(fixture, "the token bucket spaces requests") {
  policy p;
  p.rate_per_second = 20;
  p.rate_burst = 1;
  set_policy("rate", p);
  std::vector<request> rs(10, get("/ok", "rate"));
  auto outs = call_all(rs);
  for (auto& o : outs)
    REQUIRE(o.res);
  CHECK(outs.back().took >= 400ms); // 9 waits of 50 ms
}

