#include "tests/integration/harness.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iterator>
#include <regex>
#include <stdexcept>
#include <system_error>

#include "runtime/testing/ports.hpp"

namespace sophia::itest {

// -- keeping the logs of failed cases -----------------------------------------

namespace {

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

// The only registration of the listener in the executable.
REGISTER_LISTENER("sophia_failure_listener", 1, failure_listener);

} // namespace

// -- small helpers ------------------------------------------------------------

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

size_t count_lines(const fs::path& file, const std::string& needle) {
  std::ifstream in{ file };
  size_t n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) ++n;
  return n;
}

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

int64_t call_took_ms(const std::string& err) {
  static const std::regex re{ "failed after ([0-9]+) ms" };
  std::smatch m;
  if (std::regex_search(err, m, re)) return std::stoll(m[1].str());
  return -1;
}

std::vector<uint16_t> reserve_ports(size_t n) {
  std::vector<uint16_t> out;
  while (out.size() < n)
    out.push_back(sophia::runtime::testing::reserve_port());
  return out;
}

std::string describe(const run_result& r) {
  std::ostringstream os;
  os << "exit " << r.exit_code << (r.timed_out ? " (timed out)" : "")
     << "\n  stdout: " << r.out << "\n  stderr: " << r.err;
  return os.str();
}

// -- the cluster under test ---------------------------------------------------

test_cluster::test_cluster()
  : bins_(bin_dir()) {
  auto base = fs::temp_directory_path() / "sophia-itest-XXXXXX";
  std::string tmpl = base.string();
  if (!::mkdtemp(tmpl.data()))
    throw std::runtime_error("mkdtemp failed for " + tmpl);
  dir_ = tmpl;
  conf_ = dir_ / "cluster.conf";
  auto ports = reserve_ports(5);
  specs_ = { { "n1", ports[0], { "edge" } },
             { "n2", ports[1], { "monitoring" } },
             { "n3", ports[2], { "pipeline" } },
             { "n4", ports[3], { "monitoring" } } };
  // The edge serves MCP on a port of its own, not the default 8080 that a
  // parallel test (or a running cluster) may hold.
  mcp_port_ = ports[4];
}

test_cluster::~test_cluster() {
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

const node_spec& test_cluster::spec(const std::string& name) const {
  for (auto& s : specs_)
    if (s.name == name) return s;
  throw std::runtime_error("no node spec " + name);
}

void test_cluster::set_roles(const std::string& name,
                             std::vector<std::string> roles) {
  for (auto& s : specs_)
    if (s.name == name) {
      s.roles = std::move(roles);
      return;
    }
  throw std::runtime_error("no node spec " + name);
}

std::string test_cluster::config_text(const std::vector<std::string>& names,
                                      const std::string& extra) const {
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
  os << "\n[edge]\nport = " << mcp_port_ << "\n";
  return os.str();
}

void test_cluster::write_config(const std::vector<std::string>& names,
                                const std::string& extra) {
  write_file(conf_, config_text(names, extra));
  members_ = names;
}

void test_cluster::write_file(const fs::path& file,
                              const std::string& text) const {
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out{ tmp, std::ios::trunc };
    out << text;
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, file);
}

void test_cluster::start(const std::string& name) {
  constexpr int tries = 3;
  for (int attempt = 1;; ++attempt) {
    auto code = launch(name);
    if (code != 3) return; // up, or failed for a reason the case checks
    if (attempt == tries)
      throw std::runtime_error("node " + name + " could not bind a port in " +
                               std::to_string(tries) +
                               " tries (exit code 3); its log:\n" +
                               sophia::tests::integration::tail(log(name)));
    std::fprintf(stderr,
                 "integration_cluster_test: node %s could not bind port %u; "
                 "moving it to a fresh port\n",
                 name.c_str(),
                 static_cast<unsigned>(spec(name).port));
    move_port(name);
  }
}

std::optional<int> test_cluster::launch(const std::string& name) {
  auto log_file = log(name);
  {
    std::ofstream mark{ log_file, std::ios::app };
    mark << "---- integration test: starting " << name << "\n";
  }
  auto ups = count_lines(log_file, " up on ");
  auto& p = nodes_[name] = process::start(
    { node_bin().string(), "--config", conf_.string(), "--node", name },
    log_file);
  auto deadline = steady::now() + 20s;
  while (steady::now() < deadline) {
    if (count_lines(log_file, " up on ") > ups) return std::nullopt;
    if (auto code = p.wait(20ms)) return code;
  }
  return std::nullopt; // neither up nor gone: the case will see
}

void test_cluster::move_port(const std::string& name) {
  auto& s = const_cast<node_spec&>(spec(name));
  auto old = "port = " + std::to_string(s.port) + "\n";
  s.port = sophia::runtime::testing::reserve_port();
  auto now = "port = " + std::to_string(s.port) + "\n";
  for (auto* file : { &conf_, &ctl_conf_ }) {
    if (file->empty() || !fs::exists(*file)) continue;
    std::ifstream in{ *file };
    std::string text{ std::istreambuf_iterator<char>{ in }, {} };
    for (auto at = text.find(old); at != std::string::npos;
         at = text.find(old, at + now.size()))
      text.replace(at, old.size(), now);
    write_file(*file, text);
  }
  for (auto& [other, proc] : nodes_)
    if (other != name && proc.is_running()) proc.signal(SIGHUP);
}

void test_cluster::start_all() {
  for (auto i = members_.rbegin(); i != members_.rend(); ++i)
    start(*i);
}

process& test_cluster::proc(const std::string& name) {
  auto i = nodes_.find(name);
  if (i == nodes_.end())
    throw std::runtime_error("node " + name + " was never started");
  return i->second;
}

run_result test_cluster::ctl(const std::vector<std::string>& args,
                             const fs::path& config,
                             milliseconds timeout) {
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

process test_cluster::start_ctl(const std::vector<std::string>& args,
                                const std::string& log_name) {
  std::vector<std::string> argv{ ctl_bin().string(),
                                 "--config",
                                 conf_.string() };
  argv.insert(argv.end(), args.begin(), args.end());
  return process::start(argv, dir_ / log_name);
}

std::optional<json> test_cluster::status(const std::string& from) {
  auto r = ctl({ "--node", from, "status", "--json" });
  if (r.exit_code != 0) return std::nullopt;
  auto doc = json::parse(r.out, nullptr, false);
  if (doc.is_discarded() || !doc.contains("nodes") || !doc["nodes"].is_array())
    return std::nullopt;
  return doc;
}

std::optional<json> test_cluster::entry(const json& view,
                                        const std::string& name) {
  for (auto& n : view["nodes"])
    if (n.value("name", "") == name) return n;
  return std::nullopt;
}

std::string test_cluster::state_in(const json& view, const std::string& name) {
  auto e = entry(view, name);
  return e ? e->value("state", "?") : "absent";
}

std::string test_cluster::state(const std::string& from,
                                const std::string& peer) {
  auto view = status(from);
  return view ? state_in(*view, peer) : "unreachable";
}

bool test_cluster::sees_up(const std::string& from,
                           const std::vector<std::string>& names) {
  auto view = status(from);
  if (!view) return false;
  return std::all_of(names.begin(), names.end(), [&](auto& n) {
    return state_in(*view, n) == "up";
  });
}

bool test_cluster::converged(const std::vector<std::string>& names) {
  return std::all_of(names.begin(), names.end(), [&](auto& from) {
    return sees_up(from, names);
  });
}

std::optional<std::set<std::string>> test_cluster::registry(
  const std::string& from) {
  auto r = ctl({ "--node", from, "registry", "--json" });
  if (r.exit_code != 0) return std::nullopt;
  auto doc = json::parse(r.out, nullptr, false);
  if (doc.is_discarded() || !doc.contains("entries")) return std::nullopt;
  std::set<std::string> out;
  for (auto& e : doc["entries"])
    out.insert(e.value("name", "") + "@" + e.value("node", ""));
  return out;
}

std::optional<bool> test_cluster::lists(const std::string& from,
                                        const std::string& name) {
  auto reg = registry(from);
  if (!reg) return std::nullopt;
  return reg->count(name) > 0;
}

bool test_cluster::sleep_arrived(const std::string& from,
                                 const std::string& node) {
  auto r =
    ctl({ "--node", from, "call", "runtime.echo@" + node, "sleeping" }, {}, 5s);
  return r.exit_code == 0 && r.out != "0\n" && !r.out.empty();
}

std::string test_cluster::diagnostics() const {
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

void start_converged(test_cluster& c) {
  c.write_config(n123);
  c.start_all();
  REQUIRE_MESSAGE(wait_for([&] { return c.converged(); }, 20s),
                  "n1..n3 did not all see each other up within 20 s");
}

} // namespace sophia::itest
