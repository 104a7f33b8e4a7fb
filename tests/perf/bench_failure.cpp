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

/// Membership events as the subscriber actor received them, stamped on
/// arrival, for the main thread to wait on.
class event_log {
public:
  struct entry {
    std::string node;
    member_state state = member_state::down;
    std::string reason;
    bench_clock::time_point at;
  };

  void push(entry x) {
    {
      std::lock_guard<std::mutex> guard{ mtx_ };
      queue_.push_back(std::move(x));
    }
    cv_.notify_all();
  }

  void clear() {
    std::lock_guard<std::mutex> guard{ mtx_ };
    queue_.clear();
  }

  /// Pops events until one about `node` reaches `state`; other events are
  /// dropped (a `suspect` on the way to `down` is expected).
  std::optional<entry> wait_for(const std::string& node,
                                member_state state,
                                std::chrono::milliseconds timeout) {
    auto deadline = bench_clock::now() + timeout;
    std::unique_lock<std::mutex> guard{ mtx_ };
    for (;;) {
      while (!queue_.empty()) {
        auto x = std::move(queue_.front());
        queue_.pop_front();
        if (x.node == node && x.state == state) return x;
      }
      if (cv_.wait_until(guard, deadline) == std::cv_status::timeout &&
          queue_.empty())
        return std::nullopt;
    }
  }

  /// Pops the next event, if one comes within `timeout`.
  std::optional<entry> next(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> guard{ mtx_ };
    if (!cv_.wait_for(guard, timeout, [this] { return !queue_.empty(); }))
      return std::nullopt;
    auto x = std::move(queue_.front());
    queue_.pop_front();
    return x;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<entry> queue_;
};

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
