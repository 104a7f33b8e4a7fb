// The client's plain parts: retry rules, Retry-After parsing, backoff,
// breaker and token bucket.
#include <doctest/doctest.h>

#include "runtime/http/breaker.hpp"
#include "runtime/http/limiter.hpp"
#include "runtime/http/retry.hpp"

using namespace sophia::runtime::http;
using namespace std::chrono_literals;

TEST_CASE("retryable statuses and idempotent methods") {
  for (int s : { 408, 429, 500, 502, 503, 504, 524, 529 })
    CHECK(retryable_status(s));
  for (int s : { 200, 400, 401, 404, 409, 501, 505 })
    CHECK_FALSE(retryable_status(s));
  CHECK(idempotent("GET"));
  CHECK(idempotent("delete"));
  CHECK_FALSE(idempotent("POST"));
  CHECK_FALSE(idempotent("PATCH"));
  request post;
  post.method = "POST";
  CHECK_FALSE(may_retry(post));
  post.retry = true;
  CHECK(may_retry(post));
  request get;
  get.retry = false;
  CHECK_FALSE(may_retry(get));
}

TEST_CASE("Retry-After: seconds, HTTP-dates, retry-after-ms") {
  // 2015-10-21 07:28:00 GMT
  auto now = std::chrono::system_clock::from_time_t(1445412480);
  CHECK(parse_retry_after("120", now) == 120000ms);
  CHECK(parse_retry_after(" 0 ", now) == 0ms);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now) == 30000ms);
  CHECK(parse_retry_after("Wednesday, 21-Oct-15 07:28:10 GMT", now)
        == 10000ms);
  CHECK(parse_retry_after("Wed Oct 21 07:28:05 2015", now) == 5000ms);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == 0ms);
  CHECK_FALSE(parse_retry_after("soon", now));
  CHECK_FALSE(parse_retry_after("-5", now));
  std::vector<header> hs{ { "retry-after", "3" }, { "retry-after-ms", "250.4" } };
  CHECK(server_wait(hs, now) == 250ms);
  hs.pop_back();
  CHECK(server_wait(hs, now) == 3000ms);
  CHECK_FALSE(server_wait({}, now));
}

TEST_CASE("backoff: full jitter under an exponential cap") {
  policy p;
  p.backoff_base = 100ms;
  p.backoff_max = 1000ms;
  std::mt19937_64 rng{ 42 };
  for (int n = 0; n < 8; ++n)
    for (int i = 0; i < 200; ++i) {
      auto w = backoff(p, n, rng);
      CHECK(w >= 0ms);
      CHECK(w <= std::min(1000ms, 100ms * (1 << n)));
    }
}

TEST_CASE("breaker: opens, probes once, closes or reopens") {
  breaker b;
  b.configure(3, 1000ms);
  auto t = breaker::clock::now();
  for (int i = 0; i < 2; ++i) {
    CHECK(b.admit(t) == breaker::verdict::pass);
    b.record(true, false, t);
  }
  CHECK(b.current() == breaker::state::closed);
  b.record(true, false, t);
  CHECK(b.current() == breaker::state::open);
  CHECK(b.admit(t + 500ms) == breaker::verdict::refuse);
  CHECK(b.refusal(t + 500ms).find("after 3 consecutive failures") !=
        std::string::npos);
  CHECK(b.admit(t + 1001ms) == breaker::verdict::probe);
  CHECK(b.admit(t + 1002ms) == breaker::verdict::refuse);
  b.record(true, true, t + 1100ms); // the probe failed: open again
  CHECK(b.current() == breaker::state::open);
  CHECK(b.admit(t + 1500ms) == breaker::verdict::refuse);
  CHECK(b.admit(t + 2200ms) == breaker::verdict::probe);
  b.record(false, true, t + 2300ms);
  CHECK(b.current() == breaker::state::closed);
  CHECK(b.admit(t + 2300ms) == breaker::verdict::pass);
  breaker off;
  off.configure(0, 1000ms);
  for (int i = 0; i < 10; ++i)
    off.record(true, false, t);
  CHECK(off.admit(t) == breaker::verdict::pass);
}

TEST_CASE("limiter: slots and token bucket") {
  limiter l;
  auto t = limiter::clock::now();
  l.configure(2, 10, 2, t);
  CHECK(l.slot_free());
  l.acquire_slot();
  l.acquire_slot();
  CHECK_FALSE(l.slot_free());
  l.release_slot();
  CHECK(l.slot_free());
  CHECK(l.take_token(t) == limiter::clock::duration::zero());
  CHECK(l.take_token(t) == limiter::clock::duration::zero());
  auto wait = l.take_token(t);
  CHECK(wait > 90ms);
  CHECK(wait <= 100ms);
  CHECK(l.take_token(t + 100ms) == limiter::clock::duration::zero());
}
