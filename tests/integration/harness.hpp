#pragma once

// The harness of the multi-process integration test: a cluster of real
// sophia-node processes on loopback ports chosen at run time, driven and
// observed through sophiactl.
//
// Every case starts its own cluster in a fresh temp dir (cluster.conf plus
// one log per node); the dir of a failed case is kept (set
// SOPHIA_KEEP_LOGS=1 to keep all of them). A doctest listener, registered in
// harness.cpp, tracks the failures.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/process.hpp"

namespace sophia::itest {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;
using sophia::tests::integration::process;
using sophia::tests::integration::run_result;

/// The heartbeat interval every test cluster runs with.
inline constexpr int64_t heartbeat_ms = 200;

/// The failure timeout every test cluster runs with.
inline constexpr int64_t failure_timeout_ms = 1500;

// -- small helpers ------------------------------------------------------------

/// The directory holding sophia-node and sophiactl: $SOPHIA_BIN_DIR (ctest
/// sets it), else ../bin next to this executable (a run by hand from
/// build/tests).
fs::path bin_dir();

/// The wall clock in milliseconds since the Unix epoch.
int64_t now_unix_ms();

/// Milliseconds elapsed since `t`.
int64_t ms_since(steady::time_point t);

/// Polls `pred` about every 100 ms until it holds or `timeout` passes;
/// returns whether it held. `pred` itself may take a while (it usually runs
/// sophiactl), so the last try may end a little after `timeout`.
template <class Pred>
bool wait_for(Pred&& pred, milliseconds timeout) {
  auto deadline = steady::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (steady::now() >= deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
}

/// Prints a measurement (not an assertion) on stdout. Not doctest's
/// MESSAGE, which would print the INFO context (every node's log) with it.
template <class... Ts>
void note(const Ts&... xs) {
  std::ostringstream os;
  (os << ... << xs);
  std::printf("integration_cluster_test: %s\n", os.str().c_str());
  std::fflush(stdout);
}

/// Counts the lines of `file` that contain `needle`.
size_t count_lines(const fs::path& file, const std::string& needle);

/// The 1-based number of the first line of `file` containing `needle`, or 0.
size_t line_of(const fs::path& file, const std::string& needle);

/// Whether `haystack` contains `needle`.
bool contains(const std::string& haystack, const std::string& needle);

/// The `N` of sophiactl's "call ... failed after N ms", or -1.
int64_t call_took_ms(const std::string& err);

/// `n` loopback ports reserved for this test process (distinct, and never
/// handed to another test: see `runtime/testing/ports.hpp`).
std::vector<uint16_t> reserve_ports(size_t n);

/// A command's exit code and output, for failure messages.
std::string describe(const run_result& r);

// -- the cluster under test ---------------------------------------------------

/// One [[node]] block.
struct node_spec {
  std::string name;
  uint16_t port;
  std::vector<std::string> roles;
};

/// A cluster of sophia-node processes in a fresh temp dir. Knows four nodes
/// (n1..n4, each with its own port); the config names those passed to
/// `write_config`. Destroying it kills every node it started, and removes
/// the dir unless the case failed (or SOPHIA_KEEP_LOGS is set).
class test_cluster {
public:
  /// Makes the temp dir and picks the four nodes' ports; starts nothing.
  test_cluster();

  ~test_cluster();

  test_cluster(const test_cluster&) = delete;
  test_cluster& operator=(const test_cluster&) = delete;

  /// The temp dir: cluster.conf, the node logs, anything a case writes.
  const fs::path& dir() const { return dir_; }

  /// The cluster.conf the nodes run on.
  const fs::path& conf() const { return conf_; }

  /// The log of node `name`.
  fs::path log(const std::string& name) const { return dir_ / (name + ".log"); }

  /// The spec of node `name` (n1..n4); throws for any other name.
  const node_spec& spec(const std::string& name) const;

  /// Gives node `name` the roles `roles` in the configs written from now on
  /// (e.g. the pipeline and the AI role on one node).
  void set_roles(const std::string& name, std::vector<std::string> roles);

  /// The sophia-node binary.
  fs::path node_bin() const { return bins_ / "sophia-node"; }

  /// The sophiactl binary.
  fs::path ctl_bin() const { return bins_ / "sophiactl"; }

  /// The config text naming `names`; `extra` is appended to [cluster] (to
  /// plant a bad key).
  std::string config_text(const std::vector<std::string>& names,
                          const std::string& extra = "") const;

  /// Writes cluster.conf naming `names` (see `config_text`).
  void write_config(const std::vector<std::string>& names,
                    const std::string& extra = "");

  /// Writes `text` to `file` aside and renames it into place, so that a node
  /// re-reading the file never sees half of it.
  void write_file(const fs::path& file, const std::string& text) const;

  /// The nodes the current cluster.conf names.
  const std::vector<std::string>& members() const { return members_; }

  /// Starts (or restarts) node `name` on cluster.conf and waits until it is
  /// up (its log says so) or has exited. A node that cannot bind its port
  /// (exit code 3: something outside the tests took it) is moved to a fresh
  /// port (cluster.conf rewritten, running nodes reloaded) and started
  /// again, up to 3 times; then this throws, saying so.
  void start(const std::string& name);

  /// Starts the members in reverse order (n3 first): start order must not
  /// matter, and the last node starting finds everyone else up already.
  void start_all();

  /// The process of node `name`; throws when it was never started.
  process& proc(const std::string& name);

  /// Makes sophiactl read `file` instead of cluster.conf (empty: back to
  /// cluster.conf), for while cluster.conf is bad on purpose.
  void set_ctl_config(fs::path file) { ctl_conf_ = std::move(file); }

  /// Runs sophiactl with `args` on `config`, else the file set with
  /// `set_ctl_config`, else cluster.conf.
  run_result ctl(const std::vector<std::string>& args,
                 const fs::path& config = {},
                 milliseconds timeout = 30s);

  /// Starts sophiactl with `args` in the background (for a call that should
  /// be pending when a node fails); its output goes to `dir()/log_name`.
  process start_ctl(const std::vector<std::string>& args,
                    const std::string& log_name);

  /// `status --json` as node `from` sees it, or nothing when it fails.
  std::optional<json> status(const std::string& from);

  /// The entry of `name` in a status view, or nothing when it is not listed.
  static std::optional<json> entry(const json& view, const std::string& name);

  /// The state of `name` in a view: "up", "suspect", "down", or "absent".
  static std::string state_in(const json& view, const std::string& name);

  /// The state `from` sees for `peer`, or "unreachable".
  std::string state(const std::string& from, const std::string& peer);

  /// True when `from` answers and lists every node of `names` as up.
  bool sees_up(const std::string& from, const std::vector<std::string>& names);

  /// True when every node of `names` sees every node of `names` up.
  bool converged(const std::vector<std::string>& names);

  /// True when every member sees every member up.
  bool converged() { return converged(members_); }

  /// `registry --json` of node `from` as "name@node" strings.
  std::optional<std::set<std::string>> registry(const std::string& from);

  /// Whether `from`'s registry lists `name` (nothing if it did not answer).
  std::optional<bool> lists(const std::string& from, const std::string& name);

  /// Whether node `node`'s echo actor holds a pending `sleep` call (asked
  /// through `from`): a call made in the background has arrived.
  bool sleep_arrived(const std::string& from, const std::string& node);

  /// What a failing check prints: the last sophiactl runs and the tail of
  /// every node's log.
  std::string diagnostics() const;

  /// The MCP port of the edge node (not the default 8080, which a parallel
  /// test or a running cluster may hold).
  uint16_t mcp_port() const noexcept { return mcp_port_; }

private:
  /// Starts `name` and waits for its "up" line or its exit; returns the
  /// exit code if it exited.
  std::optional<int> launch(const std::string& name);

  /// Gives node `name` a fresh port: in its spec, in cluster.conf (and the
  /// sophiactl config), and in the running nodes (SIGHUP).
  void move_port(const std::string& name);

  uint16_t mcp_port_ = 0;
  fs::path bins_;
  fs::path dir_;
  fs::path conf_;
  fs::path ctl_conf_;
  std::vector<node_spec> specs_;
  std::vector<std::string> members_;
  std::map<std::string, process> nodes_;
  std::vector<std::string> history_;
};

/// The three nodes most cases run.
inline const std::vector<std::string> n123{ "n1", "n2", "n3" };

/// Starts n1..n3 and waits until they all see each other up (a REQUIRE:
/// the case ends when they do not within 20 s).
void start_converged(test_cluster& c);

} // namespace sophia::itest
