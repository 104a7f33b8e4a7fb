#pragma once

// The pipelined request driver shared by the local and the cross-node parts
// of sophia-bench-runtime: one event-based actor keeps a fixed number of
// requests in flight and issues the next one from each reply handler.

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "bench_support.hpp"
#include "runtime/wire/buffer.hpp"

namespace sophia::bench {

/// What one pipelined run measured.
struct pipe_outcome {
  uint64_t calls = 0;
  uint64_t errors = 0;
  double seconds = 0;
  /// The first error, rendered; empty when every call succeeded.
  std::string first_error;

  double per_s() const {
    return seconds > 0 ? static_cast<double>(calls) / seconds : 0;
  }
};

namespace detail {

template <class Issue>
struct pipeline_state {
  Issue issue;
  uint64_t total = 0;
  uint64_t sent = 0;
  uint64_t answered = 0;
  bench_clock::time_point start;
  pipe_outcome out;
  std::promise<pipe_outcome> done;
};

template <class Issue>
void pump(caf::event_based_actor* self, pipeline_state<Issue>* st);

template <class Issue>
void complete(caf::event_based_actor* self,
              pipeline_state<Issue>* st,
              const caf::error* err) {
  ++st->answered;
  if (err && st->out.errors++ == 0)
    st->out.first_error = self->system().render(*err);
  if (st->sent < st->total) {
    pump(self, st);
  } else if (st->answered == st->total) {
    st->out.calls = st->total;
    st->out.seconds =
      std::chrono::duration<double>(bench_clock::now() - st->start).count();
    st->done.set_value(st->out);
    self->quit();
  }
}

template <class Issue>
void pump(caf::event_based_actor* self, pipeline_state<Issue>* st) {
  ++st->sent;
  // `.then` (not `.await`): replies are handled in any order, so the window
  // stays full even when the transport reorders.
  st->issue(self).then(
    [self, st](runtime::wire::buffer&) { complete(self, st, nullptr); },
    [self, st](caf::error& err) { complete(self, st, &err); });
}

} // namespace detail

/// Runs `total` requests with `window` in flight from a fresh event-based
/// actor of `sys`. `issue(self)` sends one request whose reply is a
/// `wire::buffer` and returns CAF's response handle. Gives up (and reports
/// it as an error) after `limit`.
template <class Issue>
pipe_outcome run_pipelined(caf::actor_system& sys,
                           Issue issue,
                           uint64_t total,
                           size_t window,
                           std::chrono::seconds limit) {
  auto st = std::make_shared<detail::pipeline_state<Issue>>(
    detail::pipeline_state<Issue>{ std::move(issue), total, 0, 0, {}, {}, {} });
  auto result = st->done.get_future();
  auto driver = sys.spawn([st, window](caf::event_based_actor* self) {
    st->start = bench_clock::now();
    for (size_t i = 0; i < window && st->sent < st->total; ++i)
      detail::pump(self, st.get());
    // The behavior only keeps the state alive; replies arrive through the
    // response handlers installed by `pump`.
    return caf::behavior{ [st](caf::ok_atom) {} };
  });
  if (result.wait_for(limit) != std::future_status::ready) {
    caf::anon_send_exit(driver, caf::exit_reason::kill);
    pipe_outcome out;
    out.calls = total;
    out.errors = total;
    out.first_error = "gave up after " + std::to_string(limit.count()) + " s";
    return out;
  }
  return result.get();
}

} // namespace sophia::bench
