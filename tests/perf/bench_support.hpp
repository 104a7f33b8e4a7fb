#pragma once

// Plain helpers of sophia-bench-runtime that need no CAF: statistics, the
// machine description, child processes and target verdicts. Kept free of CAF
// headers so that the files including it compile quickly.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/config/cluster_config.hpp"
#include "runtime/wire/messages.hpp"

#include <sys/types.h>

namespace sophia::bench {

using bench_clock = std::chrono::steady_clock;

/// Milliseconds between two time points, as a double.
inline double ms_between(bench_clock::time_point from,
                         bench_clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

/// A CAF scheduler configuration: `scheduler.policy` and
/// `scheduler.max-threads`.
struct sched {
  std::string policy;
  size_t threads = 2;

  /// Returns e.g. "sharing/2".
  std::string label() const;
};

/// Parses "sharing/2,stealing/2" into scheduler configurations; throws
/// `std::invalid_argument` on a malformed list.
std::vector<sched> parse_scheds(const std::string& list);

/// Percentiles of a latency sample, in microseconds.
struct latency_summary {
  size_t count = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double p999 = 0;
  double mean = 0;
  double max = 0;
};

/// Summarizes `us` (sorted in place) with nearest-rank percentiles.
latency_summary summarize(std::vector<double>& us);

/// The value at quantile `q` (nearest rank) of an unsorted sample; 0 if empty.
double quantile(std::vector<double> xs, double q);

/// What the benchmark ran on: benchmark figures mean little without it.
struct machine_info {
  unsigned nproc = 0;
  std::string cpu_model;
  std::string kernel;
  std::string hostname;
  /// The 1-minute load average when the run started: the machine is shared,
  /// and a loaded machine explains a bad figure.
  double load1_at_start = 0;
};

machine_info probe_machine();

/// `m` for a benchmark's JSON: nproc, cpu_model, kernel, hostname,
/// load1_at_start, and load1_at_end (now).
nlohmann::json machine_json(const machine_info& m);

/// The current 1-minute load average.
double load_average();

/// Now, as ISO 8601 UTC (`2026-12-03T16:38:22Z`), for a run's title.
std::string now_utc();

/// A progress line on stderr (`[bench] what`), apart from the table.
void progress(const std::string& what);

/// One verdict of a benchmark, as listed in its JSON file.
struct check {
  std::string name;
  double value = 0;
  std::string unit;
  /// "<=" or ">=".
  std::string op;
  double limit = 0;
  bool pass = false;
};

/// Appends the verdict `value <= limit`.
void at_most(std::vector<check>& out,
             std::string name,
             double value,
             std::string unit,
             double limit);

/// Appends the verdict `value >= limit`.
void at_least(std::vector<check>& out,
              std::string name,
              double value,
              std::string unit,
              double limit);

/// The first line of a benchmark's table: what ran, when, on what, and how
/// loaded the machine was.
std::string title_line(const std::string& what,
                       const std::string& started_at,
                       const machine_info& machine,
                       double total_seconds,
                       bool quick);

/// Writes `generated` to `file` and reads it back with the node's own
/// loader, so that every node of a run uses the very same validated
/// configuration; throws naming the problems when it does not validate.
runtime::config::cluster_config write_config(
  runtime::config::cluster_config generated,
  const std::string& file);

/// The command line, to repeat a run.
std::string command_line(int argc, char** argv);

/// The `main` of a benchmark: `parse()` reads the command line (false:
/// --help was printed; throws on a bad one, which exits 2 with `usage`);
/// `run(command)` runs it (throws on failure, which exits 1).
template <class Parse, class Run>
int bench_main(const char* name,
               const char* usage,
               int argc,
               char** argv,
               Parse parse,
               Run run) {
  try {
    if (!parse()) return 0;
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n" << usage;
    return 2;
  }
  try {
    return run(command_line(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 1;
  }
}

/// Prints `table`, writes `json` to `out` (creating its folder) and says
/// where; keeps `work_dir` (the nodes' logs) when `keep`, else removes it.
void publish(const std::string& table,
             const std::string& json,
             const std::string& out,
             const std::string& work_dir,
             bool keep);

/// Membership events as a subscriber actor received them, stamped on
/// arrival, for the benchmark's main thread to wait on.
class event_log {
public:
  struct entry {
    std::string node;
    runtime::wire::member_state state = runtime::wire::member_state::down;
    std::string reason;
    bench_clock::time_point at;
  };

  void push(entry x);

  void clear();

  /// Pops events until one about `node` reaches `state`; drops the others
  /// (a `suspect` on the way to `down` is expected).
  std::optional<entry> wait_for(const std::string& node,
                                runtime::wire::member_state state,
                                std::chrono::milliseconds timeout);

  /// Pops the next event, if one comes within `timeout`.
  std::optional<entry> next(std::chrono::milliseconds timeout);

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<entry> queue_;
};

/// "PASS" or "MISS".
inline const char* verdict(bool ok) {
  return ok ? "PASS" : "MISS";
}

/// A child process (a sophia-node), killed with SIGKILL when this object is
/// destroyed and also when the benchmark itself dies (PR_SET_PDEATHSIG), so
/// that no stray node outlives a crashed or interrupted run.
class child_process {
public:
  child_process() = default;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;
  ~child_process();

  /// Starts `argv[0]` with `argv`, stdout and stderr appended to `log_file`;
  /// throws `std::runtime_error` when fork/exec fails.
  static child_process spawn(const std::vector<std::string>& argv,
                             const std::string& log_file);

  pid_t pid() const noexcept { return pid_; }

  /// Sends `sig`; returns false if the process is gone.
  bool signal(int sig);

  /// True while the process has not exited (a stopped process is running).
  bool running();

  /// Waits up to `timeout` for the process to exit and reaps it; returns
  /// its wait status, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);

  /// SIGTERM, a grace period, then SIGKILL; always reaps the process.
  void terminate(std::chrono::milliseconds grace);

private:
  void reset();

  pid_t pid_ = -1;
};

/// Creates a fresh private directory under $TMPDIR (or /tmp).
std::string make_temp_dir(const std::string& prefix);

/// Removes `dir` and everything below it.
void remove_tree(const std::string& dir);

/// The directory holding this executable.
std::string self_dir();

/// The last `max_lines` lines of a text file (for error reports).
std::string tail_file(const std::string& path, size_t max_lines);

} // namespace sophia::bench
