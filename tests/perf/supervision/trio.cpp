#include "trio.hpp"

#include <fstream>
#include <stdexcept>
#include <thread>
#include <variant>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "nodes/roles.hpp"
#include "runtime/call/call.hpp"
#include "runtime/config/loader.hpp"
#include "runtime/error.hpp"
#include "runtime/membership/event.hpp"
#include "runtime/placement/decide.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/system/setup.hpp"
#include "runtime/testing/cluster.hpp"
#include "runtime/testing/ports.hpp"

namespace sophia::bench {

namespace {

using namespace std::chrono_literals;
using runtime::config::node_config;

node_config make_node(std::string name) {
  node_config n;
  n.name = std::move(name);
  n.host = "127.0.0.1";
  n.port = runtime::testing::reserve_port();
  return n;
}

/// The cluster, built in code; ports are chosen at run time.
runtime::config::cluster_config make_cluster(const trio_options& o) {
  runtime::config::cluster_config c;
  c.name = "sophia-bench-supervision";
  c.heartbeat_ms = o.heartbeat_ms;
  c.failure_timeout_ms = o.failure_timeout_ms;
  // The processes' logs go to files; only problems are of interest.
  c.log_level = "warn";
  auto n1 = make_node("n1");
  auto n2 = make_node("n2");
  auto n3 = make_node("n3");
  n1.standby = n3.standby = n2.roles = { o.role };
  if (o.takeover_on_n3)
    c.nodes = { n2, n3, n1 };
  else
    c.nodes = { n1, n2, n3 };
  // move_back: n2 takes its role back when it rejoins, so that every run
  // starts from the same placement.
  runtime::config::role_config rc;
  rc.name = o.role;
  rc.failover = true;
  rc.move_back = true;
  c.roles[o.role] = rc;
  return c;
}

} // namespace

caf::expected<std::string> info_node(const std::string& payload) {
  auto doc = nlohmann::json::parse(payload, nullptr, false);
  if (doc.is_discarded() || !doc.contains("node") || !doc["node"].is_string())
    return runtime::make_error(runtime::errc::decode_failed,
                               "info returned '" + payload + "'");
  return doc["node"].get<std::string>();
}

trio::trio(trio_options opts)
  : opts_(std::move(opts)) {
  config_file_ = opts_.work_dir + "/cluster-" + opts_.tag + ".conf";
  cluster_ = write_config(make_cluster(opts_), config_file_);
  cfg_ = std::make_unique<caf::actor_system_config>();
  runtime::system::prepare(*cfg_, cluster_);
  sys_ = std::make_unique<caf::actor_system>(*cfg_);
  auto h = runtime::node::start(
    *sys_,
    cluster_,
    "n1",
    [cluster = cluster_](const std::string& role, const caf::actor& registry) {
      return sophia::nodes::role_supervisor(
        role, "n1", registry, cluster, [] { return caf::actor{}; });
    });
  if (!h)
    throw std::runtime_error("cannot start node n1: " +
                             sys_->render(h.error()));
  ctx_ = std::move(*h);
  // A node tree that dies takes every runtime actor of n1 with it; waiting
  // for a convergence that cannot come would only burn the time limit.
  caf::actor_cast<caf::abstract_actor*>(n1().node_supervisor)
    ->attach_functor([w = n1_watch_, sys = sys_.get()](const caf::error& r) {
      std::lock_guard<std::mutex> guard{ w->mtx };
      w->reason = r ? sys->render(r) : "normal exit";
    });
  try {
    subscriber_ = sys_->spawn([log = events_](caf::event_based_actor*) {
      return caf::behavior{
        [log](runtime::atoms::member, const runtime::membership::event& ev) {
          log->push({ ev.node, ev.state, ev.reason, bench_clock::now() });
        },
      };
    });
    caf::anon_send(
      n1().membership, runtime::atoms::subscribe::value, subscriber_);
    auto t0 = bench_clock::now();
    start_node("n2");
    start_node("n3");
    if (auto why = wait_converged(1s, 30s); !why.empty())
      throw std::runtime_error("the cluster did not converge within 30 s (" +
                               why + "); n2's log:\n" +
                               tail_file(log_file("n2"), 20));
    startup_ms = ms_between(t0, bench_clock::now());
  } catch (...) {
    // The actor system's destructor waits for every actor: the node's
    // actors must be stopped before it runs, or it never returns.
    shutdown();
    throw;
  }
}

trio::~trio() {
  shutdown();
}

void trio::shutdown() {
  for (auto& [name, p] : procs_)
    p.terminate(3s);
  if (subscriber_)
    caf::anon_send_exit(subscriber_, caf::exit_reason::user_shutdown);
  subscriber_ = nullptr;
  if (sys_ && ctx_) runtime::node::stop(*sys_, *ctx_, false);
  ctx_.reset();
  sys_.reset();
  cfg_.reset();
}

void trio::start_node(const std::string& node) {
  procs_[node] = child_process::spawn(
    { opts_.node_bin, "--config", config_file_, "--node", node },
    log_file(node));
}

std::string trio::n1_failure() const {
  std::lock_guard<std::mutex> guard{ n1_watch_->mtx };
  return n1_watch_->reason.empty()
           ? std::string{}
           : "n1's node supervisor exited with " + n1_watch_->reason;
}

std::string trio::peer_failure() {
  for (auto& [name, p] : procs_)
    if (!p.running())
      return "the sophia-node process of " + name + " exited; its log:\n" +
             tail_file(log_file(name), 5);
  return {};
}

std::string trio::log_file(const std::string& node) const {
  return opts_.work_dir + "/" + node + "-" + opts_.tag + ".log";
}

caf::expected<placement_view> trio::observe(caf::scoped_actor& self) {
  caf::expected<placement_view> out{ placement_view{} };
  auto role = runtime::placement::registry_name(opts_.role);
  self
    ->request(
      n1().registry, 2s, caf::get_atom::value, runtime::atoms::all::value)
    .receive(
      [&](std::vector<std::string>& names) {
        for (auto& x : names) {
          auto at = x.rfind('@');
          if (at == std::string::npos) continue;
          auto name = x.substr(0, at);
          auto node = x.substr(at + 1);
          if (name == role)
            out->role_on.insert(node);
          else if (name == "runtime.echo" && node != "n1")
            out->peers.insert(node);
        }
      },
      [&](caf::error& err) { out = std::move(err); });
  return out;
}

caf::expected<std::string> trio::call_info(caf::scoped_actor& self,
                                           std::chrono::milliseconds deadline) {
  runtime::call::request req;
  req.method = "info";
  req.caller = "bench";
  req.deadline = deadline;
  auto reply = runtime::call::call(
    self, n1().registry, runtime::placement::registry_name(opts_.role), req);
  if (!reply) return reply.error();
  return info_node(*reply);
}

std::string trio::wait_converged(std::chrono::milliseconds settle,
                                 std::chrono::milliseconds timeout,
                                 bench_clock::time_point* since) {
  caf::scoped_actor self{ *sys_ };
  auto deadline = bench_clock::now() + timeout;
  // The time point is meaningful only while `good`.
  auto good = false;
  bench_clock::time_point good_since;
  std::string last = "not observed yet";
  const std::set<std::string> peers{ "n2", "n3" };
  const std::set<std::string> home{ "n2" };
  while (bench_clock::now() < deadline) {
    if (auto why = n1_failure(); !why.empty()) return why;
    if (auto why = peer_failure(); !why.empty()) return why;
    auto v = observe(self);
    auto ok = v && v->peers == peers && v->role_on == home;
    if (!v)
      last = "registry: " + sys_->render(v.error());
    else if (!ok)
      last = "peers listed: " + std::to_string(v->peers.size()) +
             ", role listed on " + std::to_string(v->role_on.size()) +
             " node(s)" + (v->role_on.count("n2") ? " incl. n2" : "");
    if (!ok) {
      good = false;
    } else {
      if (!good) {
        good = true;
        good_since = bench_clock::now();
      }
      if (bench_clock::now() - good_since >= settle) {
        auto who = call_info(self, 1s);
        if (who && *who == "n2") {
          if (since) *since = good_since;
          return {};
        }
        last = who ? "info answered by " + *who
                   : "info failed: " + sys_->render(who.error());
        good = false;
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  return last;
}

} // namespace sophia::bench
