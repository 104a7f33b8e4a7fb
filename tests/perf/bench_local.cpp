#include "bench_local.hpp"

#include <future>
#include <stdexcept>

#include <caf/all.hpp>

#include "bench_pipeline.hpp"
#include "runtime/call/call.hpp"
#include "runtime/diag/echo.hpp"
#include "runtime/registry/registry_actor.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/system/io_scheduler.hpp"
#include "runtime/system/setup.hpp"

namespace sophia::bench {

namespace {

using namespace std::chrono_literals;

using ping_atom = caf::atom_constant<caf::atom("bping")>;
using pong_atom = caf::atom_constant<caf::atom("bpong")>;

/// Answers every ping with a pong through the handler's return value.
caf::behavior pong_impl(caf::event_based_actor*) {
  return {
    [](ping_atom, uint64_t n) { return std::make_tuple(pong_atom::value, n); },
  };
}

/// Answers every pong with the next ping, also through the return value,
/// until `n` round trips are done.
caf::behavior ping_impl(
  caf::event_based_actor* self,
  caf::actor pong,
  uint64_t n,
  std::shared_ptr<std::promise<bench_clock::time_point>> done) {
  self->send(pong, ping_atom::value, uint64_t{ 1 });
  return {
    [self, n, done](pong_atom, uint64_t i) -> caf::result<ping_atom, uint64_t> {
      if (i < n) return { ping_atom::value, i + 1 };
      done->set_value(bench_clock::now());
      self->quit();
      // `delegated` sends nothing: the exchange ends here.
      return caf::delegated<ping_atom, uint64_t>{};
    },
  };
}

/// Round trips of raw CAF ping-pong; returns the elapsed seconds.
double raw_ping_pong(caf::actor_system& sys, uint64_t n) {
  auto done = std::make_shared<std::promise<bench_clock::time_point>>();
  auto finished = done->get_future();
  auto pong = sys.spawn(pong_impl);
  auto start = bench_clock::now();
  sys.spawn(ping_impl, pong, n, done);
  if (finished.wait_for(300s) != std::future_status::ready)
    throw std::runtime_error("raw ping-pong did not finish in 300 s");
  auto seconds = std::chrono::duration<double>(finished.get() - start).count();
  caf::anon_send_exit(pong, caf::exit_reason::user_shutdown);
  return seconds;
}

/// Returns the envelope it gets: a request/response partner with no work.
caf::behavior plain_echo_impl(caf::event_based_actor*) {
  return {
    [](runtime::atoms::call, runtime::wire::buffer& buf) {
      return std::move(buf);
    },
  };
}

/// Records a pipelined run's first error into `r`.
void note(local_result& r, const std::string& what, const pipe_outcome& out) {
  if (!out.first_error.empty() && r.first_error.empty())
    r.first_error = what + ": " + out.first_error;
}

/// A fresh actor system per measurement: CAF keeps each request's timeout
/// entry until it expires, so timers left by one measurement would slow the
/// next one down.
struct fresh_system {
  explicit fresh_system(const sched& config) {
    runtime::system::prepare(cfg);
    cfg.set("scheduler.policy", caf::atom_from_string(config.policy));
    // "sharing" is Sophia's scheduler, as in sophia-node.
    if (config.policy == "sharing") runtime::system::load_io_scheduler(cfg);
    cfg.set("scheduler.max-threads", config.threads);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
};

runtime::call::request echo_request(const local_params& params) {
  runtime::call::request req;
  req.method = "echo";
  req.payload = std::string(params.payload, 'x');
  req.caller = "bench";
  req.deadline = std::chrono::seconds{ local_timeout_s };
  return req;
}

/// (b): client -> registry -> runtime.echo -> registry -> client.
void call_helper(const sched& config,
                 const local_params& params,
                 local_result& r) {
  fresh_system fs{ config };
  auto& sys = *fs.sys;
  auto registry = runtime::registry::spawn_registry(sys, "local", 1);
  auto echo = runtime::diag::spawn_echo(sys);
  caf::error err;
  {
    caf::scoped_actor self{ sys };
    self
      ->request(registry,
                5s,
                caf::put_atom::value,
                std::string{ runtime::diag::echo_name },
                echo)
      .receive([](caf::ok_atom) {}, [&](caf::error& e) { err = std::move(e); });
  }
  if (!err) {
    std::string target = runtime::diag::echo_name;
    auto out = run_pipelined(
      sys,
      [registry, target, req = echo_request(params)](
        caf::event_based_actor* self) {
        return runtime::call::async_call(self, registry, target, req);
      },
      params.calls,
      params.in_flight,
      300s);
    r.calls = out.calls;
    r.call_seconds = out.seconds;
    r.calls_per_s = out.per_s();
    r.call_msgs_per_s = msgs_per_local_call * r.calls_per_s;
    r.call_errors = out.errors;
    note(r, "call helper", out);
  }
  for (auto& a : { registry, echo })
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  if (err)
    throw std::runtime_error("cannot register runtime.echo: " +
                             sys.render(err));
}

/// (c): plain CAF request/response, 2 msgs each, with the given timeout.
double plain_requests(const sched& config,
                      const local_params& params,
                      caf::duration timeout,
                      local_result& r) {
  fresh_system fs{ config };
  auto& sys = *fs.sys;
  auto plain = sys.spawn(plain_echo_impl);
  auto out = run_pipelined(
    sys,
    [plain, timeout, env = runtime::call::make_envelope(echo_request(params))](
      caf::event_based_actor* self) {
      return self->request(plain, timeout, runtime::atoms::call::value, env);
    },
    params.calls,
    params.in_flight,
    300s);
  note(r, timeout.valid() ? "timed request" : "request", out);
  caf::anon_send_exit(plain, caf::exit_reason::user_shutdown);
  return 2 * out.per_s();
}

} // namespace

local_result run_local(const sched& config, const local_params& params) {
  local_result r;
  r.config = config;
  r.load1 = load_average();
  {
    // (a) Raw CAF: the floor of what any actor code can reach here.
    fresh_system fs{ config };
    r.round_trips = params.round_trips;
    r.raw_seconds = raw_ping_pong(*fs.sys, params.round_trips);
    r.raw_msgs_per_s =
      2.0 * static_cast<double>(params.round_trips) / r.raw_seconds;
  }
  // (b) The call helper: what a service pays per call inside one node.
  call_helper(config, params, r);
  // (c) Where (b)'s cost comes from: CAF requests without and with a timeout.
  r.requests = params.calls;
  r.untimed_msgs_per_s = plain_requests(config, params, caf::infinite, r);
  r.timed_msgs_per_s =
    plain_requests(config,
                   params,
                   caf::duration{ std::chrono::seconds{ local_timeout_s } },
                   r);
  return r;
}

} // namespace sophia::bench
