#include "runtime/testing/node_script.hpp"

#include <csignal>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace sophia::runtime::testing {

node_script::node_script(const std::string& script,
                         const std::vector<std::string>& args,
                         std::chrono::milliseconds wait,
                         bool keep_stderr) {
  int out[2];
  int in[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  if (pipe(in) != 0) {
    close(out[0]);
    close(out[1]);
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, in[1]);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  if (!keep_stderr)
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> all{ "node", script };
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto rc = posix_spawnp(&pid_, "node", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  stdin_fd_ = in[1];
  if (rc != 0) {
    close(out[0]);
    pid_ = -1;
    stop();
    throw std::runtime_error("cannot start node " + script + ": " + std::strerror(rc));
  }
  std::string text;
  auto until = std::chrono::steady_clock::now() + wait;
  while (text.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  until - std::chrono::steady_clock::now()).count();
    pollfd p{ out[0], POLLIN, 0 };
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char buf[128];
    auto n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  auto nl = text.find('\n');
  if (nl == std::string::npos) {
    stop();
    throw std::runtime_error(script + " printed no first line within " +
                             std::to_string(wait.count()) + " ms: '" + text + "'");
  }
  first_line_ = text.substr(0, nl);
}

node_script::~node_script() {
  stop();
}

void node_script::stop() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

} // namespace sophia::runtime::testing
