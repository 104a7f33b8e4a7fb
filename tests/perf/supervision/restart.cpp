#include "restart.hpp"

#include <atomic>
#include <future>
#include <memory>
#include <vector>

#include <caf/all.hpp>

#include "runtime/error.hpp"
#include "runtime/supervision/messages.hpp"
#include "runtime/supervision/supervisor.hpp"
#include "runtime/system/setup.hpp"

namespace sophia::bench {

namespace {

using namespace std::chrono_literals;
namespace sv = runtime::supervision;

using ping_atom = caf::atom_constant<caf::atom("sping")>;
using crash_atom = caf::atom_constant<caf::atom("scrash")>;
using started_atom = caf::atom_constant<caf::atom("sstarted")>;

/// Shared by the worker instances, their start function, the probe and the
/// thread that runs the measurement.
struct shared_state {
  caf::actor probe;
  size_t total = 0;
  size_t warmup = 0;
  /// When the current worker quit, in steady-clock nanoseconds: written by
  /// the dying worker, read by the probe once the new one answered (after a
  /// chain of messages, so no stale value can be read).
  std::atomic<int64_t> exit_ns{ 0 };
  /// Crashes whose restart was seen, warm-up included; read on a timeout.
  std::atomic<size_t> finished{ 0 };
  std::vector<double> from_exit;
  std::vector<double> from_send;
  std::string error;
  std::promise<void> done;
};

using shared_ptr = std::shared_ptr<shared_state>;

double us_between(bench_clock::time_point from, bench_clock::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

/// Answers pings; quits with an error (not a normal exit, so the permanent
/// child is restarted) when told to crash.
caf::behavior worker_impl(caf::event_based_actor* self, shared_ptr st) {
  return {
    [](ping_atom) { return ping_atom::value; },
    [self, st](crash_atom) {
      st->exit_ns.store(bench_clock::now().time_since_epoch().count(),
                        std::memory_order_release);
      self->quit(runtime::make_error(runtime::errc::call_failed,
                                     "crash drill of the benchmark"));
    },
  };
}

struct probe_state {
  // Not an aggregate: CAF 0.17 constructs a state from the actor pointer if
  // it can, and C++20 lets an aggregate be built with parentheses, which
  // would make `worker` the probe itself.
  probe_state() = default;

  caf::actor worker;
  bench_clock::time_point sent;
};

using probe_ptr = caf::stateful_actor<probe_state>*;

void crash_next(probe_ptr self) {
  self->state.sent = bench_clock::now();
  self->send(self->state.worker, crash_atom::value);
}

void finish(probe_ptr self, const shared_ptr& st, std::string error) {
  st->error = std::move(error);
  st->done.set_value();
  self->quit();
}

/// Drives the crashes one after the other: crash the worker, learn the new
/// instance from its start function, ping it, take the time, crash again.
/// An actor rather than the main thread, so that waking a blocked thread is
/// not part of the figure.
caf::behavior probe_impl(probe_ptr self, shared_ptr st) {
  return {
    [self, st](started_atom, caf::actor& worker) {
      auto first = !self->state.worker;
      self->state.worker = std::move(worker);
      if (first) {
        crash_next(self);
        return;
      }
      // No timeout: a request to a terminated actor fails at once in CAF
      // 0.17, and a timer per request would cost time of its own.
      self->request(self->state.worker, caf::infinite, ping_atom::value)
        .then(
          [self, st](ping_atom) {
            auto now = bench_clock::now();
            auto n = st->finished.fetch_add(1) + 1;
            if (n > st->warmup) {
              auto ns = st->exit_ns.load(std::memory_order_acquire);
              bench_clock::time_point exit_at{ bench_clock::duration{ ns } };
              st->from_exit.push_back(us_between(exit_at, now));
              st->from_send.push_back(us_between(self->state.sent, now));
            }
            if (n == st->total)
              finish(self, st, {});
            else
              crash_next(self);
          },
          [self, st](caf::error& err) {
            finish(self,
                   st,
                   "the restarted worker did not answer a ping: " +
                     self->system().render(err));
          });
    },
  };
}

/// Asks the supervisor how often it restarted the worker.
uint64_t reported_restarts(caf::actor_system& sys,
                           const caf::actor& sup,
                           std::string& failed) {
  uint64_t n = 0;
  caf::scoped_actor self{ sys };
  self->request(sup, 5s, sv::atoms::which_children::value)
    .receive(
      [&](std::vector<sv::child_info>& xs) {
        if (!xs.empty()) n = xs.front().restarts;
      },
      [&](caf::error& err) {
        if (failed.empty())
          failed = "which_children failed: " + sys.render(err);
      });
  return n;
}

/// Stops `a` and waits (a while) until it is gone.
void stop_and_wait(caf::actor_system& sys, const caf::actor& a) {
  caf::scoped_actor self{ sys };
  self->monitor(a);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  self->receive([](const caf::down_msg&) {}, caf::after(5s) >> [] {});
}

} // namespace

restart_result run_restart(const sched& config, const restart_params& params) {
  restart_result r;
  r.config = config;
  r.load1 = load_average();
  // A node's actor system without the middleman: nothing here crosses a
  // node, and its thread would only add noise.
  caf::actor_system_config cfg;
  runtime::system::announce(cfg);
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("scheduler.policy", caf::atom_from_string(config.policy));
  cfg.set("scheduler.max-threads", config.threads);
  caf::actor_system sys{ cfg };
  auto st = std::make_shared<shared_state>();
  st->total = params.warmup + params.runs;
  st->warmup = params.warmup;
  st->from_exit.reserve(params.runs);
  st->from_send.reserve(params.runs);
  auto done = st->done.get_future();
  st->probe = sys.spawn(probe_impl, st);
  sv::child_spec spec;
  spec.id = "worker";
  spec.start = [st](caf::actor_system& sys,
                    const caf::message&) -> caf::expected<caf::actor> {
    auto worker = sys.spawn(worker_impl, st);
    caf::anon_send(st->probe, started_atom::value, worker);
    return worker;
  };
  // Only the benchmark's teardown stops the worker; no need to wait.
  spec.shutdown = sv::shutdown_spec::brutal_kill();
  // Intensity far beyond any run size: the supervisor must never give up,
  // or the figure would include an escalation.
  sv::flags f{ sv::strategy::one_for_one, 1'000'000, 1000ms };
  auto t0 = bench_clock::now();
  auto sup = sv::spawn_supervisor(sys, "bench.restart", f, { spec });
  if (!sup) {
    r.failed = "cannot start the supervisor: " + sys.render(sup.error());
  } else {
    // Generous: a restart takes microseconds; only a stuck run comes near.
    auto limit = 60s + params.runs * 10ms;
    if (done.wait_for(limit) != std::future_status::ready) {
      r.failed = "stuck: no restart seen after " +
                 std::to_string(st->finished.load()) + " of " +
                 std::to_string(st->total) + " crashes";
    } else {
      r.seconds =
        std::chrono::duration<double>(bench_clock::now() - t0).count();
      r.failed = st->error;
      r.from_exit = summarize(st->from_exit);
      r.from_send = summarize(st->from_send);
      r.restarts_reported = reported_restarts(sys, *sup, r.failed);
    }
    stop_and_wait(sys, *sup);
  }
  caf::anon_send_exit(st->probe, caf::exit_reason::user_shutdown);
  // The handle must not outlive the actor system it belongs to; with the
  // supervisor gone, no start function reads it any more.
  st->probe = nullptr;
  return r;
}

} // namespace sophia::bench
