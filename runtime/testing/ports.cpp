#include "runtime/testing/ports.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <stdexcept>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sophia::runtime::testing {

namespace {

/// The lock files this process holds (closed, and so released, at exit).
std::mutex held_mtx;
std::vector<int> held;

bool binds(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

} // namespace

std::string port_lock_dir() {
  if (const char* d = std::getenv("SOPHIA_PORT_LOCK_DIR"); d && *d) return d;
  const char* tmp = std::getenv("TMPDIR");
  return std::string{ tmp && *tmp ? tmp : "/tmp" } + "/sophia-ports";
}

std::pair<uint16_t, uint16_t> reservable_ports() {
  int lo = 32768;
  int hi = 60999;
  std::ifstream in{ "/proc/sys/net/ipv4/ip_local_port_range" };
  in >> lo >> hi;
  // Below the ephemeral range if there is room, else above it.
  constexpr int floor = 10000;
  if (lo - 1 - floor >= 2000) return { floor, static_cast<uint16_t>(lo - 1) };
  if (65535 - (hi + 1) >= 2000) return { static_cast<uint16_t>(hi + 1), 65535 };
  return { floor, 65535 };
}

uint16_t reserve_port() {
  auto dir = port_lock_dir();
  // Shared by every user's tests: sticky and world-writable, like /tmp.
  if (::mkdir(dir.c_str(), 01777) == 0) ::chmod(dir.c_str(), 01777);
  auto [lo, hi] = reservable_ports();
  static std::mt19937 rng{ std::random_device{}() ^
                           static_cast<unsigned>(::getpid()) };
  std::uniform_int_distribution<int> pick{ lo, hi };
  std::string last_error = "every port tried was taken";
  for (int attempt = 0; attempt < 4000; ++attempt) {
    auto port = static_cast<uint16_t>(pick(rng));
    auto file = dir + "/" + std::to_string(port) + ".lock";
    int fd = ::open(file.c_str(), O_CREAT | O_RDONLY | O_CLOEXEC, 0666);
    if (fd < 0) {
      last_error = "cannot open " + file + ": " + std::strerror(errno);
      continue;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) { // another test holds it
      ::close(fd);
      continue;
    }
    if (!binds(port)) { // something outside the tests has it
      ::close(fd);
      continue;
    }
    std::lock_guard<std::mutex> guard{ held_mtx };
    held.push_back(fd);
    return port;
  }
  throw std::runtime_error("reserve_port: no free port in " +
                           std::to_string(lo) + ".." + std::to_string(hi) +
                           " (locks in " + dir + "): " + last_error);
}

} // namespace sophia::runtime::testing
