#include "runtime/metrics/admin_server.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/error.hpp"
#include "runtime/metrics/registry.hpp"

namespace sophia::runtime::metrics {

namespace {

constexpr size_t max_request = 8192;
constexpr int read_timeout_ms = 1000;

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string response(int status, const char* reason, const char* type,
                     const std::string& body, bool head) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                    "\r\nContent-Type: " + type +
                    "\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n";
  if (!head) out += body;
  return out;
}

} // namespace

caf::expected<std::unique_ptr<admin_server>> admin_server::start(
  const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  auto where = host + ":" + std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0)
    return make_error(errc::bad_config,
                      "admin_port: cannot resolve " + host + ": " + gai_strerror(rc));
  int fd = -1;
  std::string why;
  for (auto* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
      why = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  if (fd < 0)
    return make_error(errc::bad_config, "admin_port: cannot listen on " + where + ": " + why);
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  uint16_t bound = addr.ss_family == AF_INET6
                     ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                     : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return std::unique_ptr<admin_server>{ new admin_server(fd, bound) };
}

admin_server::admin_server(int fd, uint16_t port) : fd_(fd), port_(port) {
  if (::pipe2(wake_, O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
  thread_ = std::thread{ [this] { run(); } };
}

admin_server::~admin_server() {
  if (wake_[1] >= 0) {
    char x = 0;
    [[maybe_unused]] auto n = ::write(wake_[1], &x, 1);
  }
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
  for (int f : wake_)
    if (f >= 0) ::close(f);
}

void admin_server::run() {
  for (;;) {
    pollfd fds[2] = { { fd_, POLLIN, 0 }, { wake_[0], POLLIN, 0 } };
    if (::poll(fds, wake_[0] >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    serve(client);
    ::close(client);
  }
}

void admin_server::serve(int client) {
  std::string req;
  char buf[1024];
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{ read_timeout_ms };
  while (req.find("\r\n\r\n") == std::string::npos && req.size() < max_request) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  until - std::chrono::steady_clock::now()).count();
    pollfd p{ client, POLLIN, 0 };
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
      write_all(client, response(408, "Request Timeout", "text/plain", "request timeout\n", false));
      return;
    }
    auto n = ::recv(client, buf, sizeof buf, 0);
    if (n <= 0) return;
    req.append(buf, static_cast<size_t>(n));
  }
  auto line = std::string_view{ req }.substr(0, req.find("\r\n"));
  auto sp1 = line.find(' ');
  auto sp2 = line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
    write_all(client, response(400, "Bad Request", "text/plain", "malformed request line\n", false));
    return;
  }
  auto method = line.substr(0, sp1);
  auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  bool head = method == "HEAD";
  if (method != "GET" && !head) {
    write_all(client, response(405, "Method Not Allowed", "text/plain", "only GET and HEAD\n", false));
    return;
  }
  if (target == "/metrics")
    write_all(client, response(200, "OK", "text/plain; version=0.0.4; charset=utf-8",
                               registry::global().render(), head));
  else if (target == "/healthz" || target == "/readyz")
    write_all(client, response(200, "OK", "text/plain", "ok\n", head));
  else
    write_all(client, response(404, "Not Found", "text/plain",
                               "admin endpoints: /metrics, /healthz, /readyz\n", head));
}

} // namespace sophia::runtime::metrics
