#pragma once

// A small child-process helper for the multi-process integration tests: start
// a binary with its output in a log file, signal it, wait for it, and run
// short commands (sophiactl) with their output captured.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace sophia::tests::integration {

/// A child process, owned: the destructor kills it (SIGKILL) and reaps it, so
/// a failing test never leaves a node behind.
class process {
public:
  process() = default;

  /// Starts `argv[0]` (a path, not looked up in PATH) with `argv`; stdout
  /// and stderr are appended to `log`, stdin is /dev/null. Throws
  /// `std::runtime_error` when the process cannot be started.
  static process start(const std::vector<std::string>& argv,
                       const std::filesystem::path& log);

  ~process();

  process(process&& other) noexcept;
  process& operator=(process&& other) noexcept;

  process(const process&) = delete;
  process& operator=(const process&) = delete;

  /// The child's pid, or -1 for a default-constructed process.
  pid_t pid() const noexcept { return pid_; }

  /// Sends `sig`; false when the process is already reaped (or never ran).
  bool signal(int sig);

  /// SIGKILL, then reaps the child (a killed process is gone at once, so
  /// this does not block for long).
  void kill9();

  /// SIGSTOP: the process freezes with its sockets open, like a hung node.
  void stop();

  /// SIGCONT: resumes a stopped process.
  void cont();

  /// Waits until the process exits, at most `timeout`. Returns its exit
  /// code, or 128 + N when signal N ended it (the shell's convention);
  /// nothing when it is still running after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  /// True while the child has not exited (a stopped child still runs).
  bool is_running();

  /// The exit status as `wait` reports it, once the child is reaped.
  std::optional<int> exit_code() const noexcept { return exit_code_; }

private:
  explicit process(pid_t pid) noexcept
    : pid_(pid) {}

  /// Reaps the child if it has exited; blocks when `block`.
  void reap(bool block);

  /// Kills and reaps a child that is still ours.
  void release() noexcept;

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

/// What a short command did.
struct run_result {
  /// Exit code, or 128 + N when signal N ended it.
  int exit_code = -1;
  std::string out;
  std::string err;
  /// The command ran past its timeout and was killed.
  bool timed_out = false;
};

/// Runs `argv` to completion with stdout and stderr captured separately;
/// kills it (SIGKILL) when it runs longer than `timeout`.
run_result run(const std::vector<std::string>& argv,
               std::chrono::milliseconds timeout);

/// The last `lines` lines of a text file (all of it when shorter), or a note
/// when it cannot be read: for failure messages.
std::string tail(const std::filesystem::path& file, size_t lines = 30);

} // namespace sophia::tests::integration
