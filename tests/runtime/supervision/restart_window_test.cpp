#define CAF_SUITE runtime.supervision.restart_window

#include "runtime/supervision/restart_window.hpp"

#include <caf/test/unit_test.hpp>

using namespace std::chrono_literals;
using sophia::runtime::supervision::restart_window;

namespace {

/// An arbitrary origin: the window only looks at differences.
const restart_window::time_point t0 = restart_window::time_point{} + 1h;

} // namespace

CAF_TEST(restarts up to the intensity within the period stay within the limit) {
  restart_window w{ 3, 5000ms };
  for (auto t : { 0ms, 10ms, 20ms }) {
    w.record(t0 + t);
    CAF_CHECK(!w.exceeded());
  }
  CAF_CHECK_EQUAL(w.size(), 3u);
}

CAF_TEST(one restart more than the intensity within the period exceeds it) {
  restart_window w{ 3, 5000ms };
  for (auto t : { 0ms, 10ms, 20ms })
    w.record(t0 + t);
  w.record(t0 + 4999ms);
  CAF_CHECK(w.exceeded());
}

CAF_TEST(restarts older than the period leave the window) {
  restart_window w{ 1, 5000ms };
  w.record(t0);
  w.record(t0 + 5001ms);
  CAF_CHECK(!w.exceeded());
  CAF_CHECK_EQUAL(w.size(), 1u);
}

CAF_TEST(a restart exactly one period old still counts as in OTP) {
  restart_window w{ 1, 5000ms };
  w.record(t0);
  w.record(t0 + 5000ms);
  CAF_CHECK(w.exceeded());
}

CAF_TEST(the window slides so a steady rate below the limit never exceeds it) {
  // Two restarts per 5 s allowed; one every 2.6 s never puts three within
  // 5 s, for as long as it goes on.
  restart_window w{ 2, 5000ms };
  for (int i = 0; i < 100; ++i) {
    w.record(t0 + i * 2600ms);
    CAF_CHECK(!w.exceeded());
  }
  CAF_CHECK_LESS_OR_EQUAL(w.size(), 2u);
  // One every 2.5 s puts three within 5 s (bounds inclusive).
  restart_window v{ 2, 5000ms };
  v.record(t0);
  v.record(t0 + 2500ms);
  v.record(t0 + 5000ms);
  CAF_CHECK(v.exceeded());
}

CAF_TEST(intensity zero exceeds on the first restart) {
  restart_window w{ 0, 5000ms };
  w.record(t0);
  CAF_CHECK(w.exceeded());
}
