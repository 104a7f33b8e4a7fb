#include "bench_pair.hpp"

#include <fstream>
#include <stdexcept>
#include <thread>
#include <variant>

#include <caf/all.hpp>

#include "runtime/config/loader.hpp"
#include "runtime/error.hpp"
#include "runtime/system/setup.hpp"
#include "runtime/testing/cluster.hpp"
#include "runtime/testing/ports.hpp"

namespace sophia::bench {

namespace {

using namespace std::chrono_literals;

/// The cluster of the pair, built in code; ports are chosen at run time.
runtime::config::cluster_config make_cluster(const pair_options& opts) {
  runtime::config::cluster_config c;
  c.name = "sophia-bench";
  c.heartbeat_ms = opts.heartbeat_ms;
  c.failure_timeout_ms = opts.failure_timeout_ms;
  c.scheduler_policy = opts.scheduler.policy;
  c.scheduler_threads = static_cast<int64_t>(opts.scheduler.threads);
  // The remote node's log goes to a file; only problems are of interest.
  c.log_level = "warn";
  for (auto name : { "bench", "remote" }) {
    runtime::config::node_config n;
    n.name = name;
    n.host = "127.0.0.1";
    n.port = runtime::testing::reserve_port();
    c.nodes.push_back(n);
  }
  return c;
}

} // namespace

node_pair::node_pair(pair_options opts)
  : opts_(std::move(opts)) {
  auto tag = !opts_.tag.empty() ? opts_.tag
                                : opts_.scheduler.policy + "-" +
                                    std::to_string(opts_.scheduler.threads);
  config_file_ = opts_.work_dir + "/cluster-" + tag + ".conf";
  remote_log_ = opts_.work_dir + "/remote-" + tag + ".log";
  cluster_ = write_config(make_cluster(opts_), config_file_);
  cfg_ = std::make_unique<caf::actor_system_config>();
  runtime::system::prepare(*cfg_, cluster_);
  sys_ = std::make_unique<caf::actor_system>(*cfg_);
  auto h = runtime::node::start(*sys_, cluster_, "bench");
  if (!h)
    throw std::runtime_error("cannot start node bench: " +
                             sys_->render(h.error()));
  ctx_ = std::move(*h);
  try {
    auto t0 = bench_clock::now();
    start_remote();
    auto echo = wait_remote_echo(20s);
    if (!echo)
      throw std::runtime_error("node remote did not come up within 20 s (" +
                               sys_->render(echo.error()) + "); its log:\n" +
                               tail_file(remote_log_, 20));
    startup_ms = ms_between(t0, bench_clock::now());
  } catch (...) {
    // The actor system's destructor waits for every actor: the node's
    // actors must be stopped before it runs, or it never returns.
    shutdown();
    throw;
  }
}

node_pair::~node_pair() {
  shutdown();
}

void node_pair::shutdown() {
  remote_.terminate(3s);
  if (sys_ && ctx_) runtime::node::stop(*sys_, *ctx_, false);
  ctx_.reset();
  sys_.reset();
  cfg_.reset();
}

void node_pair::start_remote() {
  remote_ = child_process::spawn(
    { opts_.node_bin, "--config", config_file_, "--node", "remote" },
    remote_log_);
}

caf::expected<caf::actor> node_pair::wait_remote_echo(
  std::chrono::milliseconds timeout) {
  auto deadline = bench_clock::now() + timeout;
  caf::scoped_actor self{ *sys_ };
  caf::error last =
    runtime::make_error(runtime::errc::unreachable, "never answered");
  for (;;) {
    caf::actor found;
    self
      ->request(ctx_->get().registry,
                1s,
                caf::get_atom::value,
                std::string{ "runtime.echo@remote" })
      .receive([&](caf::actor& a) { found = std::move(a); },
               [&](caf::error& e) { last = std::move(e); });
    if (found) return found;
    if (!remote_.running())
      return runtime::make_error(runtime::errc::unreachable,
                                 "the sophia-node process exited");
    if (bench_clock::now() >= deadline) return last;
    std::this_thread::sleep_for(5ms);
  }
}

} // namespace sophia::bench
