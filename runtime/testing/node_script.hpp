#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

namespace sophia::runtime::testing {

/// A Node.js script in a child process, for tests that need a real server
/// written in Node (stand-ins, scripted HTTP servers). It holds the child's
/// stdin, so a script that watches it ends with the test even when the test
/// dies; the child is killed when this object goes away.
class node_script {
public:
  /// Starts `node SCRIPT ARGS...` (stderr to /dev/null unless `keep_stderr`)
  /// and waits up to `wait` for its first stdout line; throws
  /// `std::runtime_error` naming the script when it does not come.
  node_script(const std::string& script,
              const std::vector<std::string>& args,
              std::chrono::milliseconds wait = std::chrono::seconds{ 20 },
              bool keep_stderr = false);
  node_script(const node_script&) = delete;
  node_script& operator=(const node_script&) = delete;
  ~node_script();

  /// The first line the script printed, without its newline.
  const std::string& first_line() const { return first_line_; }

private:
  void stop();

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::string first_line_;
};

} // namespace sophia::runtime::testing
