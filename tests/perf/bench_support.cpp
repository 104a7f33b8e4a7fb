#include "bench_support.hpp"

#include <ctime>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <csignal>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "runtime/config/loader.hpp"

namespace sophia::bench {

std::string sched::label() const {
  return policy + "/" + std::to_string(threads);
}

std::vector<sched> parse_scheds(const std::string& list) {
  std::vector<sched> out;
  std::istringstream in{ list };
  std::string item;
  while (std::getline(in, item, ',')) {
    auto slash = item.find('/');
    if (slash == std::string::npos)
      throw std::invalid_argument("expected POLICY/THREADS, got '" + item +
                                  "'");
    sched s{ item.substr(0, slash), 0 };
    if (s.policy != "sharing" && s.policy != "stealing")
      throw std::invalid_argument("unknown scheduler policy '" + s.policy +
                                  "' (sharing, stealing)");
    s.threads = std::stoul(item.substr(slash + 1));
    if (s.threads == 0 || s.threads > 64)
      throw std::invalid_argument("thread count out of range in '" + item +
                                  "'");
    out.push_back(s);
  }
  if (out.empty()) throw std::invalid_argument("empty scheduler list");
  return out;
}

namespace {

/// Nearest-rank percentile of a sorted, non-empty sample.
double rank(const std::vector<double>& sorted, double q) {
  auto n = sorted.size();
  auto i = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
  return sorted[std::clamp<size_t>(i, 1, n) - 1];
}

} // namespace

latency_summary summarize(std::vector<double>& us) {
  latency_summary s;
  s.count = us.size();
  if (us.empty()) return s;
  std::sort(us.begin(), us.end());
  s.p50 = rank(us, 0.50);
  s.p90 = rank(us, 0.90);
  s.p99 = rank(us, 0.99);
  s.p999 = rank(us, 0.999);
  s.mean =
    std::accumulate(us.begin(), us.end(), 0.0) / static_cast<double>(us.size());
  s.max = us.back();
  return s;
}

double quantile(std::vector<double> xs, double q) {
  if (xs.empty()) return 0;
  std::sort(xs.begin(), xs.end());
  return rank(xs, q);
}

nlohmann::json machine_json(const machine_info& m) {
  return { { "nproc", m.nproc },
           { "cpu_model", m.cpu_model },
           { "kernel", m.kernel },
           { "hostname", m.hostname },
           { "load1_at_start", m.load1_at_start },
           { "load1_at_end", load_average() } };
}

double load_average() {
  std::ifstream in{ "/proc/loadavg" };
  double load1 = 0;
  in >> load1;
  return load1;
}

machine_info probe_machine() {
  machine_info m;
  m.nproc = std::thread::hardware_concurrency();
  if (auto n = sysconf(_SC_NPROCESSORS_ONLN); n > 0)
    m.nproc = static_cast<unsigned>(n);
  std::ifstream cpuinfo{ "/proc/cpuinfo" };
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos)
        m.cpu_model = line.substr(line.find_first_not_of(" \t", colon + 1));
      break;
    }
  }
  utsname u{};
  if (uname(&u) == 0) {
    m.kernel = std::string{ u.sysname } + " " + u.release + " " + u.machine;
    m.hostname = u.nodename;
  }
  m.load1_at_start = load_average();
  return m;
}

child_process::child_process(child_process&& other) noexcept
  : pid_(other.pid_) {
  other.pid_ = -1;
}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    reset();
    pid_ = other.pid_;
    other.pid_ = -1;
  }
  return *this;
}

child_process::~child_process() {
  reset();
}

void child_process::reset() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

child_process child_process::spawn(const std::vector<std::string>& argv,
                                   const std::string& log_file) {
  if (argv.empty())
    throw std::runtime_error("child_process: empty command line");
  // Everything the child needs is prepared before fork: after fork only
  // async-signal-safe calls are allowed (the parent has CAF threads).
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int fd =
    ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("child_process: cannot open " + log_file + ": " +
                             std::strerror(errno));
  auto parent = ::getpid();
  auto pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    throw std::runtime_error(std::string{ "child_process: fork failed: " } +
                             std::strerror(errno));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    // CAF threads of the parent may have blocked signals; start clean.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fd);
  child_process c;
  c.pid_ = pid;
  return c;
}

bool child_process::signal(int sig) {
  return pid_ > 0 && ::kill(pid_, sig) == 0;
}

bool child_process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int child_process::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return 0;
  auto deadline = bench_clock::now() + timeout;
  for (;;) {
    int status = 0;
    auto r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = -1;
      return status;
    }
    if (bench_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds{ 2 });
  }
}

void child_process::terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  // A stopped process cannot act on SIGTERM.
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGTERM);
  if (wait(grace) == -1) reset();
}

std::string make_temp_dir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
    std::string{ base && *base ? base : "/tmp" } + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data()))
    throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
  return buf.data();
}

void remove_tree(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

std::string self_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string{ "." } : exe.parent_path().string();
}

std::string tail_file(const std::string& path, size_t max_lines) {
  std::ifstream in{ path };
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (auto& l : lines)
    out += l + "\n";
  return out;
}

void at_most(std::vector<check>& out,
             std::string name,
             double value,
             std::string unit,
             double limit) {
  out.push_back(
    { std::move(name), value, std::move(unit), "<=", limit, value <= limit });
}

void at_least(std::vector<check>& out,
              std::string name,
              double value,
              std::string unit,
              double limit) {
  out.push_back(
    { std::move(name), value, std::move(unit), ">=", limit, value >= limit });
}

std::string title_line(const std::string& what,
                       const std::string& started_at,
                       const machine_info& machine,
                       double total_seconds,
                       bool quick) {
  return fmt::format("Sophia {} benchmark ({}) - {} cores, {}, load {:.2f} at "
                     "start and {:.2f} at end, {:.0f} s in all{}",
                     what,
                     started_at,
                     machine.nproc,
                     machine.cpu_model,
                     machine.load1_at_start,
                     load_average(),
                     total_seconds,
                     quick ? " [QUICK: small runs, figures are rough]" : "");
}

runtime::config::cluster_config write_config(
  runtime::config::cluster_config generated,
  const std::string& file) {
  generated.source = file;
  {
    std::ofstream out{ file };
    out << runtime::config::render_effective(generated);
    if (!out) throw std::runtime_error("cannot write " + file);
  }
  auto loaded = runtime::config::load(file);
  if (auto diags =
        std::get_if<std::vector<runtime::config::diagnostic>>(&loaded)) {
    std::string text = "generated cluster.conf is invalid:";
    for (auto& d : *diags)
      text += "\n" + d.to_string();
    throw std::runtime_error(text);
  }
  return std::get<runtime::config::cluster_config>(std::move(loaded));
}

std::string command_line(int argc, char** argv) {
  std::string command;
  for (int i = 0; i < argc; ++i)
    command += (i ? " " : "") + std::string{ argv[i] };
  return command;
}

void publish(const std::string& table,
             const std::string& json,
             const std::string& out_path,
             const std::string& work_dir,
             bool keep) {
  std::cout << table << std::flush;
  std::filesystem::path out{ out_path };
  if (out.has_parent_path())
    std::filesystem::create_directories(out.parent_path());
  std::ofstream file{ out };
  file << json << "\n";
  if (!file) throw std::runtime_error("cannot write " + out_path);
  std::cout << "JSON: " << std::filesystem::weakly_canonical(out).string()
            << "\n";
  // The nodes' logs explain a failed run; keep them then.
  if (keep)
    std::cout << "logs: " << work_dir << "\n";
  else
    remove_tree(work_dir);
}

void event_log::push(entry x) {
  {
    std::lock_guard<std::mutex> guard{ mtx_ };
    queue_.push_back(std::move(x));
  }
  cv_.notify_all();
}

void event_log::clear() {
  std::lock_guard<std::mutex> guard{ mtx_ };
  queue_.clear();
}

std::optional<event_log::entry> event_log::wait_for(
  const std::string& node,
  runtime::wire::member_state state,
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

std::optional<event_log::entry> event_log::next(
  std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> guard{ mtx_ };
  if (!cv_.wait_for(guard, timeout, [this] { return !queue_.empty(); }))
    return std::nullopt;
  auto x = std::move(queue_.front());
  queue_.pop_front();
  return x;
}

std::string now_utc() {
  auto t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

void progress(const std::string& what) {
  std::cerr << "[bench] " << what << std::endl;
}

} // namespace sophia::bench
