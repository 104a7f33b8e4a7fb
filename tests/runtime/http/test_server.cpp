#include "test_server.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace sophia::testing {

scripted_server::scripted_server() {
  char tmpl[] = "/tmp/sophia-http-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  unix_path_ = dir_ + "/server.sock";
  int out[2];
  int in[2];
  if (pipe(out) != 0 || pipe(in) != 0)
    throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, in[1]);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  std::string script = SOPHIA_HTTP_SERVER_JS;
  std::vector<std::string> args{ "node", script, unix_path_ };
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  auto rc = posix_spawnp(&pid_, "node", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  stdin_fd_ = in[1];
  if (rc != 0) {
    close(out[0]);
    throw std::runtime_error(std::string{ "cannot start node: " }
                             + std::strerror(rc));
  }
  // The first line is the port.
  std::string line;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds{ 15 };
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  until - std::chrono::steady_clock::now())
                  .count();
    pollfd p{ out[0], POLLIN, 0 };
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char buf[64];
    auto n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  port_ = static_cast<uint16_t>(std::atoi(line.c_str()));
  if (port_ == 0) {
    cleanup();
    throw std::runtime_error("scripted_server.mjs did not print its port");
  }
}

scripted_server::~scripted_server() {
  cleanup();
}

void scripted_server::cleanup() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  if (!unix_path_.empty()) unlink(unix_path_.c_str());
  if (!dir_.empty()) rmdir(dir_.c_str());
  dir_.clear();
  unix_path_.clear();
}

std::string scripted_server::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

uint16_t closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

} // namespace sophia::testing
