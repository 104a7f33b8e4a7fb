// The lazy timer: fires when wanted, fires early harmlessly when the wish
// moved later, and stays quiet once cancelled.

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>

#include "runtime/system/lazy_timer.hpp"
#include "runtime/system/poller.hpp"

using namespace sophia::runtime::system;
using namespace std::chrono_literals;

namespace {

struct reports : poll_sink {
  std::atomic<int> n{ 0 };
  void ready(int, uint32_t) override {
    ++n;
  }
};

using clock_type = lazy_timer::clock;

/// A timer in a poller of its own, reporting to a counter; the test's
/// thread does the waiting.
struct timer_fixture {
  std::shared_ptr<poller> p = std::make_shared<poller>();
  std::shared_ptr<reports> r = std::make_shared<reports>();
  lazy_timer t{ p, r };
  clock_type::time_point start = clock_type::now();

  /// Waits up to `limit` for the timer's next report; true when it came.
  bool next_report(std::chrono::milliseconds limit) {
    int before = r->n;
    auto until = clock_type::now() + limit;
    while (r->n == before && clock_type::now() < until)
      p->wait_and_dispatch(10);
    return r->n > before;
  }
};

} // namespace

TEST_CASE_FIXTURE(timer_fixture, "a lazy timer fires at the time wanted") {
  REQUIRE(t.fd() >= 0);
  t.expire_at(start + 50ms);
  REQUIRE(next_report(5000ms));
  CHECK(clock_type::now() - start >= 50ms);
  CHECK(t.fired());
  // Used up: nothing more comes.
  CHECK_FALSE(next_report(150ms));
}

TEST_CASE_FIXTURE(timer_fixture,
                  "a wish moved later costs an early firing, then the right one") {
  t.expire_at(start + 30ms);
  t.expire_at(start + 250ms); // later: the kernel keeps 30 ms
  REQUIRE(next_report(5000ms));
  CHECK_FALSE(t.fired()); // early: reprogrammed for 250 ms
  REQUIRE(next_report(5000ms));
  CHECK(clock_type::now() - start >= 250ms);
  CHECK(t.fired());
}

TEST_CASE_FIXTURE(timer_fixture, "an earlier wish reprograms the timer") {
  t.expire_at(start + 10s);
  t.expire_at(start + 40ms);
  REQUIRE(next_report(5000ms));
  CHECK(clock_type::now() - start < 5s);
  CHECK(t.fired());
}

TEST_CASE_FIXTURE(timer_fixture,
                  "a cancelled timer may fire once, and is then quiet") {
  t.expire_at(start + 30ms);
  t.cancel();
  if (next_report(500ms)) {
    CHECK_FALSE(t.fired());
  }
  CHECK_FALSE(next_report(200ms));
}
