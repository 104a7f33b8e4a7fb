// Multi-process integration test: real sophia-node processes on loopback
// ports chosen at run time, driven and observed through sophiactl, killed,
// frozen and reconfigured with signals.
//
// Every case starts its own cluster in a fresh temp dir (cluster.conf plus
// one log per node); a failing check prints the tail of every log, and the
// dir of a failed case is kept (set SOPHIA_KEEP_LOGS=1 to keep all of them).
// Bounds are generous on purpose: the test asserts behaviour, not speed
// (the benchmark measures detection latency).

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/testing/cluster.hpp"
#include "tests/integration/process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;
using sophia::tests::integration::process;
using sophia::tests::integration::run_result;

constexpr int64_t heartbeat_ms = 200;
constexpr int64_t failure_timeout_ms = 1500;

// -- keeping the logs of failed cases -----------------------------------------

/// Set when a check of the running test case fails, so that its cluster
/// keeps the temp dir for a post-mortem.
bool case_failed = false;

/// A doctest listener that only tracks failures (reporters see every failed
/// assertion; the test body cannot ask doctest for that).
struct failure_listener : doctest::IReporter {
  explicit failure_listener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override {
    case_failed = false;
  }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {
    case_failed = true;
  }
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData& ad) override {
    if (ad.m_failed) case_failed = true;
  }
  void log_message(const doctest::MessageData& md) override {
    // FAIL and FAIL_CHECK arrive here, not in log_assert.
    if (md.m_severity &
        (doctest::assertType::is_check | doctest::assertType::is_require))
      case_failed = true;
  }
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("sophia_failure_listener", 1, failure_listener);

// -- small helpers ------------------------------------------------------------

/// The directory holding sophia-node and sophiactl: $SOPHIA_BIN_DIR (ctest
/// sets it), else ../bin next to this executable (a run by hand from
/// build/tests).
fs::path bin_dir() {
  if (auto env = std::getenv("SOPHIA_BIN_DIR"); env && *env) return env;
  return fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "bin";
}

int64_t now_unix_ms() {
  return std::chrono::duration_cast<milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

int64_t ms_since(steady::time_point t) {
  return std::chrono::duration_cast<milliseconds>(steady::now() - t).count();
}

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
size_t count_lines(const fs::path& file, const std::string& needle) {
  std::ifstream in{ file };
  size_t n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) ++n;
  return n;
}

/// The 1-based number of the first line of `file` containing `needle`, or 0.
size_t line_of(const fs::path& file, const std::string& needle) {
  std::ifstream in{ file };
  size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.find(needle) != std::string::npos) return n;
  }
  return 0;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// The `N` of sophiactl's "call ... failed after N ms", or -1.
int64_t call_took_ms(const std::string& err) {
  static const std::regex re{ "failed after ([0-9]+) ms" };
  std::smatch m;
  if (std::regex_search(err, m, re)) return std::stoll(m[1].str());
  return -1;
}

/// Ports for `n` nodes, distinct (free_port() may hand out a port twice,
/// since each one is released at once).
std::vector<uint16_t> distinct_ports(size_t n) {
  std::set<uint16_t> seen;
  std::vector<uint16_t> out;
  while (out.size() < n) {
    auto p = sophia::runtime::testing::free_port();
    if (seen.insert(p).second) out.push_back(p);
  }
  return out;
}

std::string describe(const run_result& r) {
  std::ostringstream os;
  os << "exit " << r.exit_code << (r.timed_out ? " (timed out)" : "")
     << "\n  stdout: " << r.out << "\n  stderr: " << r.err;
  return os.str();
}

// -- the cluster under test ---------------------------------------------------

/// One [[node]] block.
struct node_spec {
  std::string name;
  uint16_t port;
  std::vector<std::string> roles;
};

/// A cluster of sophia-node processes in a fresh temp dir. Knows four nodes
/// (n1..n4, each with its own port); the config names those passed to
/// `write_config`. Destroying it kills every node it started.
class test_cluster {
public:
  test_cluster()
    : bins_(bin_dir()) {
    auto base = fs::temp_directory_path() / "sophia-itest-XXXXXX";
    std::string tmpl = base.string();
    if (!::mkdtemp(tmpl.data()))
      throw std::runtime_error("mkdtemp failed for " + tmpl);
    dir_ = tmpl;
    conf_ = dir_ / "cluster.conf";
    auto ports = distinct_ports(4);
    specs_ = { { "n1", ports[0], { "edge" } },
               { "n2", ports[1], { "monitoring" } },
               { "n3", ports[2], { "pipeline" } },
               { "n4", ports[3], { "monitoring" } } };
  }

  ~test_cluster() {
    // Kill the nodes first: they hold files in the dir.
    nodes_.clear();
    bool keep = case_failed || std::uncaught_exceptions() > 0 ||
                std::getenv("SOPHIA_KEEP_LOGS") != nullptr;
    if (keep) {
      std::fprintf(
        stderr, "integration_cluster_test: logs kept in %s\n", dir_.c_str());
    } else {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  test_cluster(const test_cluster&) = delete;
  test_cluster& operator=(const test_cluster&) = delete;

  const fs::path& dir() const { return dir_; }

  const fs::path& conf() const { return conf_; }

  fs::path log(const std::string& name) const { return dir_ / (name + ".log"); }

  const node_spec& spec(const std::string& name) const {
    for (auto& s : specs_)
      if (s.name == name) return s;
    throw std::runtime_error("no node spec " + name);
  }

  fs::path node_bin() const { return bins_ / "sophia-node"; }

  fs::path ctl_bin() const { return bins_ / "sophiactl"; }

  /// The config text naming `names`; `extra` is appended to [cluster] (to
  /// plant a bad key).
  std::string config_text(const std::vector<std::string>& names,
                          const std::string& extra = "") const {
    std::ostringstream os;
    os << "# written by integration_cluster_test\n"
       << "[cluster]\n"
       << "name = \"itest\"\n"
       << "heartbeat_ms = " << heartbeat_ms << "\n"
       << "failure_timeout_ms = " << failure_timeout_ms << "\n"
       << extra;
    for (auto& name : names) {
      auto& s = spec(name);
      os << "\n[[node]]\n"
         << "name = \"" << s.name << "\"\n"
         << "host = \"127.0.0.1\"\n"
         << "port = " << s.port << "\n"
         << "roles = [";
      for (size_t i = 0; i < s.roles.size(); ++i)
        os << (i ? ", " : "") << '"' << s.roles[i] << '"';
      os << "]\n";
    }
    return os.str();
  }

  /// Writes cluster.conf naming `names` (see `config_text`).
  void write_config(const std::vector<std::string>& names,
                    const std::string& extra = "") {
    write_file(conf_, config_text(names, extra));
    members_ = names;
  }

  /// Writes `text` to `file` aside and renames it into place, so that a node
  /// re-reading the file never sees half of it.
  void write_file(const fs::path& file, const std::string& text) const {
    auto tmp = file;
    tmp += ".tmp";
    {
      std::ofstream out{ tmp, std::ios::trunc };
      out << text;
      if (!out) throw std::runtime_error("cannot write " + tmp.string());
    }
    fs::rename(tmp, file);
  }

  /// The nodes the current cluster.conf names.
  const std::vector<std::string>& members() const { return members_; }

  /// Starts (or restarts) node `name` on cluster.conf.
  void start(const std::string& name) {
    auto log_file = log(name);
    {
      std::ofstream mark{ log_file, std::ios::app };
      mark << "---- integration test: starting " << name << "\n";
    }
    nodes_[name] = process::start(
      { node_bin().string(), "--config", conf_.string(), "--node", name },
      log_file);
  }

  /// Starts the members in reverse order (n3 first): start order must not
  /// matter, and the last node starting finds everyone else up already.
  void start_all() {
    for (auto i = members_.rbegin(); i != members_.rend(); ++i)
      start(*i);
  }

  process& proc(const std::string& name) {
    auto i = nodes_.find(name);
    if (i == nodes_.end())
      throw std::runtime_error("node " + name + " was never started");
    return i->second;
  }

  /// Makes sophiactl read `file` instead of cluster.conf (empty: back to
  /// cluster.conf), for while cluster.conf is bad on purpose.
  void set_ctl_config(fs::path file) { ctl_conf_ = std::move(file); }

  /// Runs sophiactl with `args` on `config`, else the file set with
  /// `set_ctl_config`, else cluster.conf.
  run_result ctl(const std::vector<std::string>& args,
                 const fs::path& config = {},
                 milliseconds timeout = 30s) {
    auto& file = !config.empty()      ? config
                 : !ctl_conf_.empty() ? ctl_conf_
                                      : conf_;
    std::vector<std::string> argv{ ctl_bin().string(),
                                   "--config",
                                   file.string() };
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = sophia::tests::integration::run(argv, timeout);
    std::string cmd;
    for (size_t i = 1; i < argv.size(); ++i)
      cmd += " " + argv[i];
    // One line per status view keeps the failure message readable.
    auto shown = r;
    if (auto doc = json::parse(r.out, nullptr, false); !doc.is_discarded())
      shown.out = doc.dump();
    history_.push_back("$ sophiactl" + cmd + "\n  " + describe(shown));
    if (history_.size() > 4) history_.erase(history_.begin());
    return r;
  }

  /// Starts sophiactl with `args` in the background (for a call that should
  /// be pending when a node fails); its output goes to `dir()/log_name`.
  process start_ctl(const std::vector<std::string>& args,
                    const std::string& log_name) {
    std::vector<std::string> argv{ ctl_bin().string(),
                                   "--config",
                                   conf_.string() };
    argv.insert(argv.end(), args.begin(), args.end());
    return process::start(argv, dir_ / log_name);
  }

  /// `status --json` as node `from` sees it, or nothing when it fails.
  std::optional<json> status(const std::string& from) {
    auto r = ctl({ "--node", from, "status", "--json" });
    if (r.exit_code != 0) return std::nullopt;
    auto doc = json::parse(r.out, nullptr, false);
    if (doc.is_discarded() || !doc.contains("nodes") ||
        !doc["nodes"].is_array())
      return std::nullopt;
    return doc;
  }

  /// The entry of `name` in a status view, or nothing when it is not listed.
  static std::optional<json> entry(const json& view, const std::string& name) {
    for (auto& n : view["nodes"])
      if (n.value("name", "") == name) return n;
    return std::nullopt;
  }

  /// The state of `name` in a view: "up", "suspect", "down", or "absent".
  static std::string state_in(const json& view, const std::string& name) {
    auto e = entry(view, name);
    return e ? e->value("state", "?") : "absent";
  }

  /// The state `from` sees for `peer`, or "unreachable".
  std::string state(const std::string& from, const std::string& peer) {
    auto view = status(from);
    return view ? state_in(*view, peer) : "unreachable";
  }

  /// True when `from` answers and lists every node of `names` as up.
  bool sees_up(const std::string& from, const std::vector<std::string>& names) {
    auto view = status(from);
    if (!view) return false;
    return std::all_of(names.begin(), names.end(), [&](auto& n) {
      return state_in(*view, n) == "up";
    });
  }

  /// True when every node of `names` sees every node of `names` up.
  bool converged(const std::vector<std::string>& names) {
    return std::all_of(names.begin(), names.end(), [&](auto& from) {
      return sees_up(from, names);
    });
  }

  bool converged() { return converged(members_); }

  /// `registry --json` of node `from` as "name@node" strings.
  std::optional<std::set<std::string>> registry(const std::string& from) {
    auto r = ctl({ "--node", from, "registry", "--json" });
    if (r.exit_code != 0) return std::nullopt;
    auto doc = json::parse(r.out, nullptr, false);
    if (doc.is_discarded() || !doc.contains("entries")) return std::nullopt;
    std::set<std::string> out;
    for (auto& e : doc["entries"])
      out.insert(e.value("name", "") + "@" + e.value("node", ""));
    return out;
  }

  /// Whether `from`'s registry lists `name` (nothing if it did not answer).
  std::optional<bool> lists(const std::string& from, const std::string& name) {
    auto reg = registry(from);
    if (!reg) return std::nullopt;
    return reg->count(name) > 0;
  }

  /// What a failing check prints: the last sophiactl runs and the tail of
  /// every node's log.
  std::string diagnostics() const {
    std::string out = "\n==== temp dir: " + dir_.string() + "\n";
    out += "==== last sophiactl runs:\n";
    for (auto& h : history_)
      out += h + "\n";
    for (auto& s : specs_) {
      auto f = log(s.name);
      if (fs::exists(f))
        out += "==== " + f.filename().string() + " (tail):\n" +
               sophia::tests::integration::tail(f, 25);
    }
    return out;
  }

private:
  fs::path bins_;
  fs::path dir_;
  fs::path conf_;
  fs::path ctl_conf_;
  std::vector<node_spec> specs_;
  std::vector<std::string> members_;
  std::map<std::string, process> nodes_;
  std::vector<std::string> history_;
};

const std::vector<std::string> n123{ "n1", "n2", "n3" };

/// Starts n1..n3 and waits until they all see each other up.
void start_converged(test_cluster& c) {
  c.write_config(n123);
  c.start_all();
  REQUIRE_MESSAGE(wait_for([&] { return c.converged(); }, 20s),
                  "n1..n3 did not all see each other up within 20 s");
}

} // namespace

// -- 1. formation -------------------------------------------------------------

TEST_CASE("three nodes started in reverse order form a cluster") {
  test_cluster c;
  INFO(c.diagnostics());
  auto started_ms = now_unix_ms();
  c.write_config(n123);
  // Spaced out a little, so that n3 really runs alone for a moment and has
  // to keep retrying the others.
  for (auto& name : { "n3", "n2", "n1" }) {
    c.start(name);
    std::this_thread::sleep_for(300ms);
  }
  auto t0 = steady::now();
  REQUIRE_MESSAGE(wait_for([&] { return c.converged(); }, 20s),
                  "not all up from every node within 20 s");
  note("converged ", ms_since(t0), " ms after the last start");
  for (auto& from : n123) {
    auto view = c.status(from);
    REQUIRE(view);
    CHECK((*view)["cluster"] == "itest");
    CHECK((*view)["seen_from"] == from);
    REQUIRE((*view)["nodes"].size() == 3);
    for (auto& name : n123) {
      CAPTURE(from);
      CAPTURE(name);
      auto e = test_cluster::entry(*view, name);
      REQUIRE(e);
      CHECK((*e)["state"] == "up");
      CHECK((*e)["host"] == "127.0.0.1");
      CHECK((*e)["port"] == c.spec(name).port);
      CHECK((*e)["roles"] == json(c.spec(name).roles));
      // Up since a moment between the start of this test and now.
      REQUIRE((*e)["since_ms"].is_number_integer());
      auto since = (*e)["since_ms"].get<int64_t>();
      CHECK(since >= started_ms - 1000);
      CHECK(since <= now_unix_ms() + 1000);
      if (name != from) {
        REQUIRE((*e)["heartbeat_age_ms"].is_number_integer());
        auto age = (*e)["heartbeat_age_ms"].get<int64_t>();
        CHECK(age >= 0);
        CHECK(age < failure_timeout_ms);
      }
    }
  }
}

// -- 2. crash and restart -----------------------------------------------------

TEST_CASE("a killed node is seen down, leaves the registry, and rejoins") {
  test_cluster c;
  INFO(c.diagnostics());
  start_converged(c);
  REQUIRE(c.lists("n1", "runtime.echo@n3") == true);
  c.proc("n3").kill9();
  auto t0 = steady::now();
  // Bound 5 s; the real target (0.5 s) is the benchmark's business.
  CHECK_MESSAGE(wait_for(
                  [&] {
                    return c.state("n1", "n3") == "down" &&
                           c.state("n2", "n3") == "down";
                  },
                  5s),
                "n1 and n2 did not both see n3 down within 5 s");
  note("n3 seen down by n1 and n2 after ", ms_since(t0), " ms");
  // The survivors still see each other.
  CHECK(c.sees_up("n1", { "n1", "n2" }));
  CHECK(c.sees_up("n2", { "n1", "n2" }));
  // The dead node's names leave the registry with it.
  CHECK_MESSAGE(
    wait_for([&] { return c.lists("n1", "runtime.echo@n3") == false; }, 3s),
    "n1's registry still lists runtime.echo@n3");
  CHECK(c.lists("n2", "runtime.echo@n3") == false);
  CHECK(c.lists("n1", "runtime.echo@n2") == true);

  c.start("n3");
  auto t1 = steady::now();
  CHECK_MESSAGE(wait_for([&] { return c.converged(); }, 10s),
                "the restarted n3 is not up everywhere within 10 s");
  CHECK_MESSAGE(wait_for(
                  [&] {
                    return c.lists("n1", "runtime.echo@n3") == true &&
                           c.lists("n2", "runtime.echo@n3") == true &&
                           c.lists("n3", "runtime.echo@n1") == true;
                  },
                  10s),
                "runtime.echo@n3 did not reappear in the registries");
  note("n3 rejoined after ", ms_since(t1), " ms");
}

// -- 3. a frozen node ---------------------------------------------------------

TEST_CASE("a frozen node is seen down, without false alarms, and comes back") {
  test_cluster c;
  INFO(c.diagnostics());
  start_converged(c);
  // A call pending on n2 when it freezes must not wait for its deadline.
  auto call = c.start_ctl({ "--node",
                            "n1",
                            "call",
                            "runtime.echo@n2",
                            "sleep",
                            "20000",
                            "--deadline-ms",
                            "15000" },
                          "call.log");
  std::this_thread::sleep_for(1500ms);
  REQUIRE_MESSAGE(call.is_running(),
                  "the call ended before n2 froze:\n"
                    << sophia::tests::integration::tail(c.dir() / "call.log"));
  c.proc("n2").stop();
  auto t0 = steady::now();
  // While waiting, n1 and n3 must keep seeing each other.
  std::string false_alarms;
  auto n2_down_everywhere = [&] {
    auto v1 = c.status("n1");
    auto v3 = c.status("n3");
    if (!v1 || !v3) return false;
    auto s13 = test_cluster::state_in(*v1, "n3");
    auto s31 = test_cluster::state_in(*v3, "n1");
    if (s13 == "down" || s31 == "down")
      false_alarms += " n1 sees n3 " + s13 + ", n3 sees n1 " + s31 + " after " +
                      std::to_string(ms_since(t0)) + " ms;";
    return test_cluster::state_in(*v1, "n2") == "down" &&
           test_cluster::state_in(*v3, "n2") == "down";
  };
  CHECK_MESSAGE(
    wait_for(n2_down_everywhere, milliseconds{ failure_timeout_ms } + 5s),
    "the frozen n2 was not seen down by n1 and n3 within "
    "failure_timeout + 5 s");
  note("frozen n2 seen down after ", ms_since(t0), " ms");
  // Stay frozen a little longer: the survivors keep each other up.
  auto t1 = steady::now();
  while (ms_since(t1) < 2000) {
    n2_down_everywhere();
    std::this_thread::sleep_for(200ms);
  }
  CHECK_MESSAGE(false_alarms.empty(), "false down:" << false_alarms);
  {
    auto budget =
      milliseconds{ failure_timeout_ms } + 5s - milliseconds{ ms_since(t0) };
    auto code = call.wait(std::max(budget, milliseconds{ 0 }));
    auto out = sophia::tests::integration::tail(c.dir() / "call.log");
    CHECK_MESSAGE(code,
                  "the call to the frozen n2 still hangs "
                    << ms_since(t0) << " ms after the freeze");
    if (code) CHECK_MESSAGE(*code == 1, out);
    CHECK_MESSAGE(contains(out, "node_down"), out);
  }

  c.proc("n2").cont();
  auto t2 = steady::now();
  CHECK_MESSAGE(wait_for([&] { return c.converged(); }, 10s),
                "n2 is not up everywhere within 10 s of SIGCONT");
  note("thawed n2 up everywhere after ", ms_since(t2), " ms");
  CHECK(c.proc("n2").is_running());
}

// -- 4. calls and node failures -----------------------------------------------

TEST_CASE("calls fail fast and clearly when the callee's node dies") {
  test_cluster c;
  INFO(c.diagnostics());
  start_converged(c);
  // The call path works at all, across nodes.
  {
    auto r =
      c.ctl({ "--node", "n1", "call", "runtime.echo@n2", "echo", "hello" });
    CHECK_MESSAGE(r.exit_code == 0, describe(r));
    CHECK(r.out == "hello\n");
  }
  // A deadline shorter than the work: deadline_exceeded, not a hang.
  {
    auto t0 = steady::now();
    auto r = c.ctl({ "--node",
                     "n1",
                     "call",
                     "runtime.echo@n2",
                     "sleep",
                     "3000",
                     "--deadline-ms",
                     "500" });
    auto took = ms_since(t0);
    CHECK_MESSAGE(r.exit_code == 1, describe(r));
    CHECK_MESSAGE(contains(r.err, "deadline_exceeded"), describe(r));
    CHECK_MESSAGE(took < 3000, "took " << took << " ms: " << describe(r));
  }
  // A call pending on n3 when n3 dies: node_down long before its deadline.
  auto call_log = c.dir() / "call.log";
  auto call = c.start_ctl({ "--node",
                            "n1",
                            "call",
                            "runtime.echo@n3",
                            "sleep",
                            "10000",
                            "--deadline-ms",
                            "8000" },
                          "call.log");
  // Time for sophiactl to start and its call to reach n3's echo actor.
  std::this_thread::sleep_for(1500ms);
  REQUIRE_MESSAGE(call.is_running(),
                  "the call ended before n3 was killed:\n"
                    << sophia::tests::integration::tail(call_log));
  c.proc("n3").kill9();
  auto killed = steady::now();
  auto code = call.wait(8s);
  auto after_kill = ms_since(killed);
  auto out = sophia::tests::integration::tail(call_log);
  INFO("sophiactl call output: " << out);
  REQUIRE_MESSAGE(code, "the call still hangs 8 s after n3 was killed");
  CHECK(*code == 1);
  CHECK(contains(out, "node_down"));
  CHECK_MESSAGE(after_kill < 4000,
                "the call failed " << after_kill << " ms after the kill");
  note("pending call failed ", after_kill, " ms after the kill");
  // A fresh call to the dead node: not_found at once (its names are gone).
  REQUIRE(wait_for([&] { return c.state("n1", "n3") == "down"; }, 5s));
  {
    auto r = c.ctl({ "--node",
                     "n1",
                     "call",
                     "runtime.echo@n3",
                     "echo",
                     "hi",
                     "--deadline-ms",
                     "5000" });
    CHECK_MESSAGE(r.exit_code == 1, describe(r));
    CHECK_MESSAGE(contains(r.err, "not_found"), describe(r));
    auto took = call_took_ms(r.err);
    CHECK_MESSAGE(took >= 0, describe(r));
    CHECK_MESSAGE(took < 1000, describe(r));
  }
}

// -- 5. adding and removing a node --------------------------------------------

TEST_CASE(
  "a node added to cluster.conf joins on reload; a removed one leaves") {
  test_cluster c;
  INFO(c.diagnostics());
  start_converged(c);
  const std::vector<std::string> all4{ "n1", "n2", "n3", "n4" };
  c.write_config(all4);
  c.start("n4");
  REQUIRE_MESSAGE(wait_for([&] { return c.status("n4").has_value(); }, 10s),
                  "n4 does not answer status");
  // Until the others re-read the file, n4 knocks in vain: they neither list
  // it nor let it in.
  auto t0 = steady::now();
  while (ms_since(t0) < 3000) {
    for (auto& from : n123) {
      auto view = c.status(from);
      REQUIRE(view);
      CHECK_MESSAGE(test_cluster::state_in(*view, "n4") == "absent",
                    from << " lists n4 before its reload");
    }
    if (auto view = c.status("n4"))
      for (auto& peer : n123)
        CHECK_MESSAGE(test_cluster::state_in(*view, peer) != "up",
                      "n4 sees " << peer << " up before it was accepted");
    std::this_thread::sleep_for(300ms);
  }
  for (auto& name : n123)
    REQUIRE(c.proc(name).signal(SIGHUP));
  auto t1 = steady::now();
  CHECK_MESSAGE(wait_for([&] { return c.state("n1", "n4") == "up"; }, 15s),
                "n1 does not see n4 up within 15 s of the reload");
  CHECK_MESSAGE(wait_for([&] { return c.converged(all4); }, 15s),
                "the four nodes do not all see each other up");
  note("n4 joined ", ms_since(t1), " ms after SIGHUP");

  // Remove n3: it leaves by itself, cleanly, when it re-reads the file.
  const std::vector<std::string> without3{ "n1", "n2", "n4" };
  c.write_config(without3);
  for (auto& name : { "n1", "n2", "n4", "n3" })
    REQUIRE(c.proc(name).signal(SIGHUP));
  auto code = c.proc("n3").wait(10s);
  CHECK_MESSAGE(code, "n3 still runs 10 s after it was removed");
  if (code) CHECK(*code == 0);
  CHECK_MESSAGE(wait_for(
                  [&] {
                    auto view = c.status("n1");
                    return view &&
                           test_cluster::state_in(*view, "n3") == "absent";
                  },
                  10s),
                "n1 still lists n3");
  CHECK_MESSAGE(wait_for([&] { return c.converged(without3); }, 10s),
                "n1, n2 and n4 do not all see each other up after n3 left");
  for (auto& name : without3)
    CHECK(c.proc(name).is_running());
}

// -- 6. a bad reload ----------------------------------------------------------

TEST_CASE("a bad cluster.conf on reload is rejected and the running one kept") {
  test_cluster c;
  INFO(c.diagnostics());
  start_converged(c);
  // sophiactl reads its own copy: it must reach the nodes, which then find
  // the bad file. The bad file also drops n3, to show nothing of it applies.
  auto ctl_conf = c.dir() / "ctl.conf";
  c.write_file(ctl_conf, c.config_text(n123));
  c.set_ctl_config(ctl_conf);
  c.write_file(c.conf(), c.config_text({ "n1", "n2" }, "bogus_key = 1\n"));
  auto bad_line = line_of(c.conf(), "bogus_key");
  REQUIRE(bad_line > 0);
  auto diag = c.conf().string() + ":" + std::to_string(bad_line) + ":";
  {
    auto r = c.ctl({ "reload" });
    CHECK_MESSAGE(r.exit_code != 0, describe(r));
    CHECK_MESSAGE(contains(r.out + r.err, diag),
                  "expected " << diag << "\n"
                              << describe(r));
    CHECK_MESSAGE(contains(r.out + r.err, ": error: "), describe(r));
    for (auto& name : n123) // every node answered, and refused
      CHECK_MESSAGE(contains(r.out, name + ": "), describe(r));
  }
  // SIGHUP takes the same path: the node logs the rejection and runs on.
  REQUIRE(c.proc("n2").signal(SIGHUP));
  CHECK_MESSAGE(
    wait_for([&] { return count_lines(c.log("n2"), diag) > 0; }, 10s),
    "n2 did not log the rejected file's diagnostic");
  for (auto& name : n123)
    CHECK(c.proc(name).is_running());
  CHECK_MESSAGE(c.converged(n123),
                "the cluster is not all up on its old config after the "
                "rejected reload");
  // sophiactl itself refuses the bad file the same way (exit 2).
  {
    auto r = c.ctl({ "status" }, c.conf());
    CHECK_MESSAGE(r.exit_code == 2, describe(r));
    CHECK_MESSAGE(contains(r.err, diag), describe(r));
  }
  // Fixing the file makes reload work again.
  c.write_config(n123);
  c.set_ctl_config({});
  auto r = c.ctl({ "reload" });
  CHECK_MESSAGE(r.exit_code == 0, describe(r));
  CHECK(c.converged(n123));
}

// -- 7. start-up errors and an unreachable cluster ----------------------------

TEST_CASE("bad config, --check and an unreachable cluster") {
  test_cluster c;
  INFO(c.diagnostics());
  auto bad = c.dir() / "bad.conf";
  c.write_file(bad, c.config_text(n123, "heartbeat_msec = 200\n"));
  auto bad_line = line_of(bad, "heartbeat_msec");
  {
    auto r = sophia::tests::integration::run(
      { c.node_bin().string(), "--config", bad.string(), "--node", "n1" }, 30s);
    CHECK_MESSAGE(r.exit_code == 2, describe(r));
    CHECK_MESSAGE(
      contains(r.err, bad.string() + ":" + std::to_string(bad_line) + ":"),
      describe(r));
    CHECK_MESSAGE(contains(r.err, ": error: "), describe(r));
  }
  c.write_config(n123);
  {
    auto r = sophia::tests::integration::run(
      { c.node_bin().string(), "--config", c.conf().string(), "--check" }, 30s);
    CHECK_MESSAGE(r.exit_code == 0, describe(r));
    // The effective config: ours, with the defaults filled in.
    CHECK_MESSAGE(contains(r.out, "name = \"itest\""), describe(r));
    CHECK_MESSAGE(contains(r.out, "heartbeat_ms = 200"), describe(r));
    CHECK_MESSAGE(contains(r.out, "failure_timeout_ms = 1500"), describe(r));
    CHECK_MESSAGE(contains(r.out, "connect_timeout_ms = "), describe(r));
    for (auto& name : n123) {
      CHECK_MESSAGE(contains(r.out, "name = \"" + name + "\""), describe(r));
      CHECK_MESSAGE(
        contains(r.out, "port = " + std::to_string(c.spec(name).port)),
        describe(r));
    }
  }
  {
    // Nothing runs: sophiactl says so and names every node it tried.
    auto r = c.ctl({ "status", "--json" });
    CHECK_MESSAGE(r.exit_code == 1, describe(r));
    for (auto& name : n123)
      CHECK_MESSAGE(contains(r.err,
                             name + " (127.0.0.1:" +
                               std::to_string(c.spec(name).port) + ")"),
                    describe(r));
    CHECK(r.out.empty());
  }
}

// -- 8. a quiet cluster stays quiet -------------------------------------------

TEST_CASE("an idle cluster raises no false alarms") {
  test_cluster c;
  INFO(c.diagnostics());
  start_converged(c);
  // Let start-up settle, then take the baseline.
  std::this_thread::sleep_for(1s);
  std::map<std::string, std::map<std::string, int64_t>> since;
  std::map<std::string, size_t> downs_logged;
  // "suspect" is the detector at work (two missed heartbeats, e.g. under CPU
  // starvation) and no alarm; it is only reported. A `down`, or an up-since
  // that moves without a suspect phase (a restart), is.
  auto suspect_line = [](const std::string& peer) {
    return "peer=" + peer + " state=suspect";
  };
  std::map<std::string, std::map<std::string, size_t>> suspects_logged;
  for (auto& from : n123) {
    auto view = c.status(from);
    REQUIRE(view);
    for (auto& peer : n123) {
      auto e = test_cluster::entry(*view, peer);
      REQUIRE(e);
      REQUIRE((*e)["state"] == "up");
      since[from][peer] = (*e)["since_ms"].get<int64_t>();
      suspects_logged[from][peer] =
        count_lines(c.log(from), suspect_line(peer));
    }
    downs_logged[from] = count_lines(c.log(from), "state=down");
  }
  std::string alarms;
  std::string suspects;
  std::set<std::pair<std::string, std::string>> moved;
  size_t samples = 0;
  auto t0 = steady::now();
  for (auto tick = t0; ms_since(t0) < 20'000; tick += 500ms) {
    std::this_thread::sleep_until(tick);
    for (auto& from : n123) {
      auto view = c.status(from);
      if (!view) {
        alarms += " " + from + " did not answer at " +
                  std::to_string(ms_since(t0)) + " ms;";
        continue;
      }
      ++samples;
      for (auto& peer : n123) {
        auto e = test_cluster::entry(*view, peer);
        auto st = e ? e->value("state", "?") : "absent";
        auto at = std::to_string(ms_since(t0)) + " ms";
        if (st == "suspect")
          suspects += " " + from + " sees " + peer + " suspect at " + at + ";";
        else if (st != "up")
          alarms += " " + from + " sees " + peer + " " + st + " at " + at + ";";
        // Wall time derives from two clocks: allow some jitter.
        if (e &&
            std::abs((*e)["since_ms"].get<int64_t>() - since[from][peer]) > 100)
          moved.emplace(from, peer);
      }
    }
  }
  note(samples, " status samples in ", ms_since(t0), " ms");
  if (!suspects.empty()) note("suspect (no alarm):", suspects);
  for (auto& from : n123)
    CHECK_MESSAGE(count_lines(c.log(from), "state=down") == downs_logged[from],
                  from << " logged a peer down during the idle window");
  CHECK_MESSAGE(alarms.empty(), "not up:" << alarms);
  for (auto& [from, peer] : moved)
    CHECK_MESSAGE(count_lines(c.log(from), suspect_line(peer)) >
                    suspects_logged[from][peer],
                  from << "'s since_ms of " << peer
                       << " moved without a suspect phase (a restart?)");
  // About 120 nominally; far fewer would mean the window was not watched.
  CHECK(samples >= 30);
}

// -- 9. a clean leave ---------------------------------------------------------

TEST_CASE("a node stopped with SIGTERM leaves at once and exits 0") {
  test_cluster c;
  INFO(c.diagnostics());
  start_converged(c);
  REQUIRE(c.proc("n1").signal(SIGTERM));
  auto t0 = steady::now();
  auto code = c.proc("n1").wait(10s);
  CHECK_MESSAGE(code, "n1 still runs 10 s after SIGTERM");
  if (code) CHECK(*code == 0);
  note("n1 exited ", ms_since(t0), " ms after SIGTERM");
  CHECK_MESSAGE(wait_for(
                  [&] {
                    return c.state("n2", "n1") == "down" &&
                           c.state("n3", "n1") == "down";
                  },
                  5s),
                "n2 and n3 do not both see n1 down");
  // Down because it said goodbye, not because its heartbeats stopped.
  for (auto& from : { "n2", "n3" })
    CHECK_MESSAGE(
      count_lines(c.log(from), "peer=n1 state=down reason=\"left:") == 1,
      from << " did not log n1's leave notice");
  CHECK(c.sees_up("n2", { "n2", "n3" }));
}
