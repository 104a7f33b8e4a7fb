#pragma once

// A two-node cluster for sophia-bench-runtime: this process is node `bench`
// (a CAF actor system inside the benchmark), node `remote` is a real
// sophia-node process started from a generated cluster.conf.

#include <chrono>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>

#include "bench_support.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/node/node.hpp"

namespace sophia::bench {

/// Where and how to run the pair.
struct pair_options {
  /// Default: the shipped one.
  sched scheduler{ runtime::config::cluster_config{}.scheduler_policy,
                   static_cast<size_t>(
                     runtime::config::cluster_config{}.scheduler_threads) };
  std::string node_bin;
  /// Holds the generated cluster.conf and the remote node's log.
  std::string work_dir;
  /// Names the generated files; default: the scheduler, e.g. "sharing-2".
  std::string tag;
  /// The failure detector's timers; the defaults are the shipped ones.
  int64_t heartbeat_ms = runtime::config::cluster_config{}.heartbeat_ms;
  int64_t failure_timeout_ms =
    runtime::config::cluster_config{}.failure_timeout_ms;
};

class node_pair {
public:
  /// Writes the configuration, starts node `bench` here and node `remote`
  /// as a process; throws `std::runtime_error` when either fails to start.
  explicit node_pair(pair_options opts);
  ~node_pair();

  node_pair(const node_pair&) = delete;
  node_pair& operator=(const node_pair&) = delete;

  caf::actor_system& sys() { return *sys_; }

  runtime::node::handles bench() const { return ctx_->get(); }

  const runtime::config::cluster_config& cluster() const { return cluster_; }

  child_process& remote() { return remote_; }

  /// Starts the remote sophia-node process (again, after a kill).
  void start_remote();

  /// Polls the bench registry until `runtime.echo@remote` resolves, i.e.
  /// until this node saw `remote` come up and received its names.
  caf::expected<caf::actor> wait_remote_echo(std::chrono::milliseconds timeout);

  /// The generated cluster.conf.
  const std::string& config_file() const { return config_file_; }

  /// The remote node's stdout and stderr.
  const std::string& remote_log() const { return remote_log_; }

  /// How long the first `wait_remote_echo` after construction took.
  double startup_ms = 0;

private:
  /// Kills the remote node, stops the bench node and its actor system.
  void shutdown();

  pair_options opts_;
  std::string config_file_;
  std::string remote_log_;
  runtime::config::cluster_config cluster_;
  std::unique_ptr<caf::actor_system_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::shared_ptr<runtime::node::context> ctx_;
  child_process remote_;
};

} // namespace sophia::bench
