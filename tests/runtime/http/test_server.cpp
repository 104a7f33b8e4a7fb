#include "test_server.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>


namespace sophia::testing {

scripted_server::scripted_server() {
  char tmpl[] = "/tmp/sophia-http-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  unix_path_ = dir_ + "/server.sock";
  try {
    // The first line is the port.
    node_ = std::make_unique<runtime::testing::node_script>(
      SOPHIA_HTTP_SERVER_JS, std::vector<std::string>{ unix_path_ },
      std::chrono::seconds{ 15 }, true);
  } catch (...) {
    cleanup();
    throw;
  }
  port_ = static_cast<uint16_t>(std::atoi(node_->first_line().c_str()));
  if (port_ == 0) {
    cleanup();
    throw std::runtime_error("scripted_server.mjs did not print its port");
  }
}

scripted_server::~scripted_server() {
  cleanup();
}

void scripted_server::cleanup() {
  node_.reset();
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
