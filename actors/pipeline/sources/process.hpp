#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

/// Running an Airbyte source's command: a child process without a shell,
/// its stdout read line by line as it comes, the tail of its stderr kept
/// for error messages, a deadline, and nothing left behind (the child is
/// reaped, its process group killed when it overstays, every descriptor
/// closed).
namespace sophia::actors::pipeline::sources {

/// How one run ended.
struct run_result {
  /// The exit code (0..255), or -1 when a signal ended it.
  int exit_code = -1;
  /// The signal that ended it (0: none).
  int signal = 0;
  /// The deadline passed: it was stopped (SIGTERM, then SIGKILL).
  bool timed_out = false;
  /// The line callback asked to stop: it was stopped.
  bool stopped = false;
  /// The last `stderr_tail_bytes` of its stderr.
  std::string stderr_tail;

  bool ok() const { return exit_code == 0 && !timed_out && !stopped; }

  /// "exit status 3", "killed by signal 9 (SIGKILL)", "timed out after
  /// 2 s (stopped with SIGTERM)".
  std::string describe() const;
};

struct run_options {
  /// The program and its arguments; argv[0] is looked up in $PATH when it
  /// has no slash.
  std::vector<std::string> argv;
  std::chrono::milliseconds timeout{std::chrono::hours{1}};
  /// After SIGTERM, how long it may take to exit before SIGKILL.
  std::chrono::milliseconds grace{std::chrono::seconds{5}};
  size_t stderr_tail_bytes = 64 * 1024;
  /// A longer stdout line is cut to this many bytes + 1, so that the
  /// reader sees that it is too long without the process holding it all.
  size_t max_line_bytes = 16 << 20;
};

/// Called with each stdout line (without its newline); returning false
/// stops the child.
using line_handler = std::function<bool(std::string_view)>;

/// Runs `opts.argv` to its end (or deadline); the error text when it could
/// not be started at all.
std::variant<run_result, std::string> run_command(const run_options& opts,
                                                  const line_handler& on_line);

/// A file only this user may read (mode 0600) holding `text`, removed when
/// this goes away: the config (with resolved secrets), catalog and state
/// handed to a source.
class temp_file {
public:
  /// Writes `text` into a new file under $TMPDIR (else /tmp) named after
  /// `label`; the error text when that failed.
  static std::variant<temp_file, std::string> create(std::string_view label,
                                                     std::string_view text);

  temp_file(temp_file&& other) noexcept;
  temp_file& operator=(temp_file&& other) noexcept;
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  ~temp_file();

  const std::string& path() const { return path_; }

private:
  explicit temp_file(std::string path) : path_(std::move(path)) {}

  std::string path_;
};

} // namespace sophia::actors::pipeline::sources
