#include "failover.hpp"

#include <csignal>
#include <future>
#include <memory>
#include <stdexcept>

#include <caf/all.hpp>

#include "runtime/call/call.hpp"
#include "runtime/placement/decide.hpp"
#include "trio.hpp"

namespace sophia::bench {

namespace {

using namespace std::chrono_literals;
using runtime::wire::member_state;

using tick_atom = caf::atom_constant<caf::atom("ftick")>;

/// What the poller found; read by the measuring thread once the poller is
/// gone.
struct poll_state {
  bool found = false;
  bench_clock::time_point at;
  std::string node;
  size_t attempts = 0;
  std::string last_error;
  std::promise<void> done;
};

/// Calls `info` of the role from n1 every `retry`, without waiting for the
/// calls before (one to a hung node only ends at its deadline), until a
/// node other than n2 answers: a caller that keeps trying.
caf::behavior poller_impl(caf::event_based_actor* self,
                          caf::actor registry,
                          failover_params p,
                          std::shared_ptr<poll_state> st) {
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      ++st->attempts;
      runtime::call::request req;
      req.method = "info";
      req.caller = "bench";
      req.deadline = p.call_deadline;
      runtime::call::async_call(
        self, registry, runtime::placement::registry_name(p.role), req)
        .then(
          [=](const runtime::wire::buffer& reply) {
            auto now = bench_clock::now();
            auto payload = runtime::call::reply_payload(reply);
            auto who = payload ? info_node(*payload) : payload;
            // n2 cannot answer once signalled; the check guards the figure.
            if (who && *who != "n2" && !st->found) {
              st->found = true;
              st->at = now;
              st->node = *who;
              st->done.set_value();
              self->quit();
            } else if (!who) {
              st->last_error = self->system().render(who.error());
            }
          },
          [=](caf::error& err) {
            st->last_error = self->system().render(err);
          });
      self->delayed_send(self, p.retry, tick_atom::value);
    },
  };
}

/// Polls until the role answers somewhere else than n2 or `limit` passed
/// since `t0`; records the outcome into `run`. Returns false on timeout.
bool poll_until_answered(trio& t,
                         const failover_params& p,
                         bench_clock::time_point t0,
                         std::chrono::milliseconds limit,
                         failover_run& run) {
  auto st = std::make_shared<poll_state>();
  auto done = st->done.get_future();
  auto poller = t.sys().spawn(poller_impl, t.n1().registry, p, st);
  auto ok = done.wait_until(t0 + limit) == std::future_status::ready;
  // Read the state only once the poller is gone.
  caf::scoped_actor self{ t.sys() };
  self->monitor(poller);
  caf::anon_send_exit(poller, caf::exit_reason::user_shutdown);
  self->receive([](const caf::down_msg&) {});
  run.attempts = st->attempts;
  run.last_error = st->last_error;
  if (ok) {
    run.failover_ms = ms_between(t0, st->at);
    run.answered_by = st->node;
  }
  return ok;
}

/// Records when n1 declared n2 down (the event came long ago, usually).
void note_down(trio& t,
               bench_clock::time_point t0,
               std::chrono::milliseconds wait,
               failover_run& run) {
  if (auto down = t.events().wait_for("n2", member_state::down, wait))
    run.down_ms = ms_between(t0, down->at);
}

/// Waits for the cluster to be back to the role on n2; records the time
/// since `t1`, or why it did not get there.
void converge(trio& t,
              const failover_params& p,
              bench_clock::time_point t1,
              failover_run& run,
              const char* what) {
  bench_clock::time_point since;
  if (auto why = t.wait_converged(p.settle, 30s, &since); !why.empty())
    run.back_failure = std::string{ what } + ", then: " + why;
  else
    run.converge_ms = ms_between(t1, since);
}

failover_run kill_run(trio& t, const failover_params& p) {
  failover_run run;
  auto& n2 = t.proc("n2");
  t.events().clear();
  auto t0 = bench_clock::now();
  n2.signal(SIGKILL);
  auto ok = poll_until_answered(t, p, t0, 15s, run);
  note_down(t, t0, ok ? 5s : 0s, run);
  n2.wait(5s);
  if (!ok)
    throw std::runtime_error(
      "kill -9: the role answered nowhere within 15 s" +
      std::string{ run.down_ms < 0 ? " (n2 was never seen down)" : "" });
  auto t1 = bench_clock::now();
  t.start_node("n2");
  converge(t, p, t1, run, "n2 restarted");
  return run;
}

failover_run stop_run(trio& t, const failover_params& p) {
  failover_run run;
  auto& n2 = t.proc("n2");
  t.events().clear();
  auto t0 = bench_clock::now();
  n2.signal(SIGSTOP);
  auto limit = std::chrono::milliseconds{ p.failure_timeout_ms } + 15s;
  auto ok = poll_until_answered(t, p, t0, limit, run);
  note_down(t, t0, ok ? 5s : 0s, run);
  auto t1 = bench_clock::now();
  n2.signal(SIGCONT);
  if (!ok)
    throw std::runtime_error(
      "kill -STOP: the role answered nowhere in time" +
      std::string{ run.down_ms < 0 ? " (n2 was never seen down)" : "" });
  converge(t, p, t1, run, "n2 continued");
  return run;
}

} // namespace

failover_result run_failover(const failover_params& params) {
  failover_result r;
  r.heartbeat_ms = params.heartbeat_ms;
  r.failure_timeout_ms = params.failure_timeout_ms;
  r.role = params.role;
  r.takeover_on_n3 = params.takeover_on_n3;
  runtime::config::cluster_config defaults;
  r.config = { defaults.scheduler_policy,
               static_cast<size_t>(defaults.scheduler_threads) };
  r.load1 = load_average();
  try {
    trio_options opts;
    opts.node_bin = params.node_bin;
    opts.work_dir = params.work_dir;
    opts.role = params.role;
    opts.takeover_on_n3 = params.takeover_on_n3;
    opts.heartbeat_ms = params.heartbeat_ms;
    opts.failure_timeout_ms = params.failure_timeout_ms;
    std::unique_ptr<trio> t;
    size_t clusters = 0;
    // A run that did not converge leaves the cluster in an unknown state:
    // the next one starts on a fresh cluster, so that it still measures a
    // fail-over from the role on n2.
    auto one = [&](auto run_fn, std::vector<failover_run>& out) {
      if (!t) {
        opts.tag = std::to_string(++clusters);
        t = std::make_unique<trio>(opts);
        if (clusters == 1)
          r.startup_ms = t->startup_ms;
        else
          ++r.rebuilds;
      }
      out.push_back(run_fn(*t, params));
      if (!out.back().back_failure.empty()) t.reset();
    };
    for (size_t i = 0; i < params.runs; ++i)
      one(kill_run, r.kill);
    for (size_t i = 0; i < params.runs; ++i)
      one(stop_run, r.stop);
  } catch (const std::exception& e) {
    r.failed = e.what();
  }
  return r;
}

} // namespace sophia::bench
