#include "bench_cross.hpp"

#include <stdexcept>

#include <caf/all.hpp>

#include "bench_pair.hpp"
#include "bench_pipeline.hpp"
#include "runtime/call/call.hpp"
#include "runtime/system/atoms.hpp"

namespace sophia::bench {

namespace {

using namespace std::chrono_literals;
namespace call = runtime::call;
namespace atoms = runtime::atoms;

const std::string remote_echo = "runtime.echo@remote";

/// Latencies and failures of one side of the sequential test.
struct seq_side {
  std::vector<double> us;
  uint64_t errors = 0;
};

/// Everything both sides need to issue a call.
struct targets {
  caf::actor registry;
  caf::actor echo;
  /// RAW sends one prebuilt envelope: its cost is the CAF transport alone.
  runtime::wire::buffer envelope;
  call::request req;
};

void note_error(std::string& first, std::string text) {
  if (first.empty()) first = std::move(text);
}

void raw_once(caf::scoped_actor& self,
              const targets& t,
              seq_side* side,
              std::string& first_error) {
  auto t0 = bench_clock::now();
  bool ok = false;
  self->request(t.echo, 5s, atoms::call::value, t.envelope)
    .receive([&](runtime::wire::buffer&) { ok = true; },
             [&](caf::error& e) {
               note_error(first_error, "raw: " + self->system().render(e));
             });
  auto t1 = bench_clock::now();
  if (!side) return;
  if (ok)
    side->us.push_back(
      std::chrono::duration<double, std::micro>(t1 - t0).count());
  else
    ++side->errors;
}

void ours_once(caf::scoped_actor& self,
               const targets& t,
               seq_side* side,
               std::string& first_error) {
  auto t0 = bench_clock::now();
  auto r = call::call(self, t.registry, remote_echo, t.req);
  auto t1 = bench_clock::now();
  if (!r) note_error(first_error, "ours: " + self->system().render(r.error()));
  if (!side) return;
  if (r)
    side->us.push_back(
      std::chrono::duration<double, std::micro>(t1 - t0).count());
  else
    ++side->errors;
}

/// Checks once that both paths really reach the remote echo and return the
/// payload, so that the timings below measure working calls.
void check_paths(caf::scoped_actor& self, const targets& t) {
  std::string reply;
  caf::error err;
  self->request(t.echo, 5s, atoms::call::value, t.envelope)
    .receive(
      [&](runtime::wire::buffer& buf) {
        if (auto p = call::reply_payload(buf)) reply = *p;
      },
      [&](caf::error& e) { err = std::move(e); });
  if (err || reply != t.req.payload)
    throw std::runtime_error("RAW call to the remote echo failed: " +
                             self->system().render(err));
  auto r = call::call(self, t.registry, remote_echo, t.req);
  if (!r || *r != t.req.payload)
    throw std::runtime_error(
      "call helper to runtime.echo@remote failed: " +
      (r ? "wrong payload" : self->system().render(r.error())));
}

void sequential(caf::actor_system& sys,
                const targets& t,
                const cross_params& p,
                cross_result& r) {
  caf::scoped_actor self{ sys };
  for (size_t i = 0; i < p.warmup; ++i) {
    raw_once(self, t, nullptr, r.first_error);
    ours_once(self, t, nullptr, r.first_error);
  }
  seq_side raw, ours;
  raw.us.reserve(p.sequential);
  ours.us.reserve(p.sequential);
  auto block = std::max<size_t>(p.block, 1);
  for (size_t done = 0, b = 0; done < p.sequential; done += block, ++b) {
    auto n = std::min(block, p.sequential - done);
    // Alternate which side goes first, so neither always follows the other.
    for (int half = 0; half < 2; ++half) {
      bool raw_turn = (half == 0) == (b % 2 == 0);
      for (size_t i = 0; i < n; ++i)
        if (raw_turn)
          raw_once(self, t, &raw, r.first_error);
        else
          ours_once(self, t, &ours, r.first_error);
    }
  }
  r.raw_seq = summarize(raw.us);
  r.ours_seq = summarize(ours.us);
  r.raw_seq_errors = raw.errors;
  r.ours_seq_errors = ours.errors;
}

void pipelined(caf::actor_system& sys,
               const targets& t,
               const cross_params& p,
               cross_result& r) {
  auto raw_issue = [echo = t.echo,
                    env = t.envelope](caf::event_based_actor* self) {
    return self->request(echo, 10s, atoms::call::value, env);
  };
  auto ours_issue = [registry = t.registry,
                     req = t.req](caf::event_based_actor* self) {
    return call::async_call(self, registry, remote_echo, req);
  };
  auto rounds = std::max<size_t>(p.rounds, 1);
  for (auto window : p.windows) {
    pipe_pair pp;
    pp.in_flight = window;
    double raw_s = 0, ours_s = 0;
    uint64_t raw_n = 0, ours_n = 0;
    for (size_t round = 0; round < rounds; ++round) {
      auto n = p.pipelined / rounds + (round < p.pipelined % rounds ? 1 : 0);
      for (int half = 0; half < 2; ++half) {
        bool raw_turn = (half == 0) == (round % 2 == 0);
        auto out = raw_turn ? run_pipelined(sys, raw_issue, n, window, 120s)
                            : run_pipelined(sys, ours_issue, n, window, 120s);
        if (!out.first_error.empty())
          note_error(r.first_error,
                     (raw_turn ? "raw pipelined: " : "ours pipelined: ") +
                       out.first_error);
        (raw_turn ? raw_s : ours_s) += out.seconds;
        (raw_turn ? raw_n : ours_n) += out.calls;
        (raw_turn ? pp.raw_errors : pp.ours_errors) += out.errors;
      }
    }
    pp.calls = raw_n;
    pp.raw_per_s = raw_s > 0 ? static_cast<double>(raw_n) / raw_s : 0;
    pp.ours_per_s = ours_s > 0 ? static_cast<double>(ours_n) / ours_s : 0;
    r.pipelined.push_back(pp);
  }
}

} // namespace

cross_result run_cross(const sched& config, const cross_params& params) {
  cross_result r;
  r.config = config;
  r.load1 = load_average();
  try {
    pair_options opts;
    opts.scheduler = config;
    opts.node_bin = params.node_bin;
    opts.work_dir = params.work_dir;
    node_pair pair{ opts };
    r.startup_ms = pair.startup_ms;
    targets t;
    t.registry = pair.bench().registry;
    auto echo = pair.wait_remote_echo(5s);
    if (!echo)
      throw std::runtime_error("runtime.echo@remote vanished: " +
                               pair.sys().render(echo.error()));
    t.echo = *echo;
    t.req.method = "echo";
    t.req.payload = std::string(params.payload, 'x');
    t.req.caller = "bench";
    t.req.deadline = 10s;
    auto long_lived = t.req;
    long_lived.deadline = 1h;
    t.envelope = call::make_envelope(long_lived);
    {
      caf::scoped_actor self{ pair.sys() };
      check_paths(self, t);
    }
    sequential(pair.sys(), t, params, r);
    pipelined(pair.sys(), t, params, r);
  } catch (const std::exception& e) {
    r.failed = e.what();
  }
  return r;
}

} // namespace sophia::bench
