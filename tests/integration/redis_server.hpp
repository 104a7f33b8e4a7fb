#pragma once

// A real Redis server for a test: redis-server on a loopback port reserved
// at run time, no persistence, its files in a temporary directory.

#include <filesystem>
#include <string>
#include <vector>

#include "process.hpp"

namespace sophia::tests::integration {

class redis_server {
public:
  /// Starts the server and waits until it answers PING. Throws
  /// std::runtime_error with the server's log when it cannot start.
  redis_server();

  /// Stops the server; the directory goes.
  ~redis_server();

  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  /// `redis://127.0.0.1:PORT`.
  std::string uri() const;
  uint16_t port() const { return port_; }
  /// The server's Unix socket (`unix://` + this reaches it too).
  std::string socket() const { return (dir_ / "redis.sock").string(); }

  /// Stops the server (SIGTERM, then SIGKILL) or starts it again on the
  /// same port (empty: nothing is saved): for tests of outages.
  void stop();
  void start();

  /// SIGSTOP / SIGCONT: the server hangs with its sockets open, so that
  /// only timeouts end a client's wait.
  void freeze() { server_.stop(); }
  void thaw() { server_.cont(); }

  /// Runs redis-cli with `args` against the server and returns its output
  /// (trailing newlines trimmed); throws when it fails. Independent of the
  /// client under test, for checks.
  std::string cli(const std::vector<std::string>& args) const;

private:
  /// Whether the server answers PING.
  bool answers() const;

  std::filesystem::path dir_;
  uint16_t port_ = 0;
  process server_;
};

} // namespace sophia::tests::integration
