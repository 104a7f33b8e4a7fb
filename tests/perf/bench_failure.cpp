#include "bench_failure.hpp"

#include <condition_variable>
#include <csignal>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <caf/all.hpp>

#include "bench_pair.hpp"
#include "runtime/membership/event.hpp"
#include "runtime/system/atoms.hpp"

namespace sophia::bench {

namespace {

using namespace std::chrono_literals;
using runtime::wire::member_state;

/// Waits until membership has been quiet for `settle`; counts what happened
/// meanwhile into `run` and makes sure the peer ends up `up`.
void settle(event_log& log, const failure_params& p, failure_run& run) {
  auto last = member_state::up;
  auto give_up = bench_clock::now() + 10s;
  while (bench_clock::now() < give_up) {
    auto ev = log.next(p.settle);
    if (!ev) {
      if (last == member_state::up) return;
      continue;
    }
    ++run.extra_events;
    last = ev->state;
    run.extra += std::string{ run.extra.empty() ? "" : "; " } +
                 runtime::wire::to_string(ev->state) + " (" + ev->reason + ")";
  }
  throw std::runtime_error("node remote did not settle back to up: " +
                           run.extra);
}

const std::string remote = "remote";

failure_run kill_run(node_pair& pair, event_log& log, const failure_params& p) {
  failure_run run;
  log.clear();
  auto t0 = bench_clock::now();
  pair.remote().signal(SIGKILL);
  auto down = log.wait_for(remote, member_state::down, 10s);
  pair.remote().wait(5s);
  if (!down) throw std::runtime_error("kill -9: no down event within 10 s");
  run.down_ms = ms_between(t0, down->at);
  run.down_reason = down->reason;
  auto t1 = bench_clock::now();
  pair.start_remote();
  auto up = log.wait_for(remote, member_state::up, 15s);
  if (!up)
    throw std::runtime_error("restart: no up event within 15 s; remote log:\n" +
                             tail_file(pair.remote_log(), 10));
  run.up_ms = ms_between(t1, up->at);
  settle(log, p, run);
  return run;
}

failure_run stop_run(node_pair& pair, event_log& log, const failure_params& p) {
  failure_run run;
  log.clear();
  auto t0 = bench_clock::now();
  pair.remote().signal(SIGSTOP);
  auto down =
    log.wait_for(remote,
                 member_state::down,
                 std::chrono::milliseconds{ p.failure_timeout_ms } + 10s);
  auto t1 = bench_clock::now();
  pair.remote().signal(SIGCONT);
  if (!down) throw std::runtime_error("kill -STOP: no down event in time");
  run.down_ms = ms_between(t0, down->at);
  run.down_reason = down->reason;
  auto up = log.wait_for(remote, member_state::up, 15s);
  if (!up) throw std::runtime_error("SIGCONT: no up event within 15 s");
  run.up_ms = ms_between(t1, up->at);
  settle(log, p, run);
  return run;
}

} // namespace

failure_result run_failure(const failure_params& params) {
  failure_result r;
  r.heartbeat_ms = params.heartbeat_ms;
  r.failure_timeout_ms = params.failure_timeout_ms;
  try {
    pair_options opts;
    opts.node_bin = params.node_bin;
    opts.work_dir = params.work_dir;
    opts.tag = "failure";
    opts.heartbeat_ms = params.heartbeat_ms;
    opts.failure_timeout_ms = params.failure_timeout_ms;
    r.config = opts.scheduler;
    r.load1 = load_average();
    node_pair pair{ opts };
    auto log = std::make_shared<event_log>();
    auto sub =
      pair.sys().spawn([log](caf::event_based_actor*) -> caf::behavior {
        return {
          [log](runtime::atoms::member, const runtime::membership::event& ev) {
            log->push({ ev.node, ev.state, ev.reason, bench_clock::now() });
          },
        };
      });
    // The actor system waits for its actors on shutdown: the subscriber
    // must be gone before the pair is.
    std::shared_ptr<void> stop_sub{ nullptr, [sub](void*) {
                                     caf::anon_send_exit(
                                       sub, caf::exit_reason::user_shutdown);
                                   } };
    caf::anon_send(
      pair.bench().membership, runtime::atoms::subscribe::value, sub);
    // The subscription starts with the peers that are up now: remote.
    if (!log->wait_for(remote, member_state::up, 5s))
      throw std::runtime_error("subscribed, but remote was not reported up");
    for (size_t i = 0; i < params.runs; ++i)
      r.kill.push_back(kill_run(pair, *log, params));
    for (size_t i = 0; i < params.runs; ++i)
      r.stop.push_back(stop_run(pair, *log, params));
  } catch (const std::exception& e) {
    r.failed = e.what();
  }
  return r;
}

} // namespace sophia::bench
