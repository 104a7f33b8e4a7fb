#pragma once

// A three-node cluster for sophia-bench-supervision: this process is node
// `n1` (a CAF actor system inside the benchmark that runs its roles through
// nodes/roles.hpp, as sophia-node does), nodes `n2` and `n3` are real
// sophia-node processes started from a generated cluster.conf. One role runs
// on n2 with fail-over; n1 and n3 stand by for it.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>

#include "bench_support.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/node/node.hpp"
#include "runtime/wire/messages.hpp"

namespace sophia::bench {

/// How to build the cluster.
struct trio_options {
  std::string node_bin;
  /// Holds the generated cluster.conf and the processes' logs.
  std::string work_dir;
  std::string role = "ai_intelligence";
  /// Names the generated files, so that a cluster started again does not
  /// mix its logs with those of the one before.
  std::string tag = "1";
  /// Lists n3 before n1 in cluster.conf. Both stand by with nothing else to
  /// run, and the leader (n1, the lowest name) breaks the tie by file order:
  /// by default it takes the role itself; with this it asks n3 to.
  bool takeover_on_n3 = false;
  /// The shipped defaults of cluster.conf.
  int64_t heartbeat_ms = runtime::config::cluster_config{}.heartbeat_ms;
  int64_t failure_timeout_ms =
    runtime::config::cluster_config{}.failure_timeout_ms;
};

/// Where n1 sees the role run, from its registry.
struct placement_view {
  /// Nodes with a `role.ROLE` entry.
  std::set<std::string> role_on;
  /// Peers whose `runtime.echo` entry is listed: they are up and n1 has
  /// their registry snapshot.
  std::set<std::string> peers;
};

/// The node named in a role endpoint's `info` reply.
caf::expected<std::string> info_node(const std::string& payload);

class trio {
public:
  /// Writes the configuration, starts n1 here and n2, n3 as processes, and
  /// waits until the role runs on n2; throws `std::runtime_error` when that
  /// fails.
  explicit trio(trio_options opts);
  ~trio();

  trio(const trio&) = delete;
  trio& operator=(const trio&) = delete;

  caf::actor_system& sys() { return *sys_; }

  runtime::node::handles n1() const { return ctx_->get(); }

  const trio_options& options() const { return opts_; }

  /// The process of node `n2` or `n3`.
  child_process& proc(const std::string& node) { return procs_.at(node); }

  /// Starts the sophia-node process of `n2` or `n3` (again, after a kill).
  void start_node(const std::string& node);

  /// The stdout and stderr of node `n2` or `n3`.
  std::string log_file(const std::string& node) const;

  event_log& events() { return *events_; }

  /// Reads n1's registry.
  caf::expected<placement_view> observe(caf::scoped_actor& self);

  /// Calls method `info` of `role.ROLE` from n1 through the call helper, by
  /// name (n1's registry picks the placement); returns the answering node.
  caf::expected<std::string> call_info(caf::scoped_actor& self,
                                       std::chrono::milliseconds deadline);

  /// Waits until n1 sees both peers up and the role on n2 alone, steadily
  /// for `settle`, and n2's copy answers `info`. Returns an empty string, or
  /// what was wrong last when `timeout` passed; `since` gets the moment
  /// the state that held was first seen.
  std::string wait_converged(std::chrono::milliseconds settle,
                             std::chrono::milliseconds timeout,
                             bench_clock::time_point* since = nullptr);

  /// Why n1's node tree is gone (its node supervisor's exit reason), or an
  /// empty string while it runs.
  std::string n1_failure() const;

  /// What went wrong with n2 or n3 (a process that exited), or an empty
  /// string.
  std::string peer_failure();

  /// How long the construction took to reach the first convergence.
  double startup_ms = 0;

private:
  /// Written by the node supervisor's exit functor, read by `n1_failure`.
  struct watch {
    mutable std::mutex mtx;
    std::string reason;
  };

  /// Stops the processes, then n1 and its actor system.
  void shutdown();

  trio_options opts_;
  std::string config_file_;
  runtime::config::cluster_config cluster_;
  std::unique_ptr<caf::actor_system_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::shared_ptr<runtime::node::context> ctx_;
  std::shared_ptr<event_log> events_ = std::make_shared<event_log>();
  caf::actor subscriber_;
  std::shared_ptr<watch> n1_watch_ = std::make_shared<watch>();
  std::map<std::string, child_process> procs_;
};

} // namespace sophia::bench
