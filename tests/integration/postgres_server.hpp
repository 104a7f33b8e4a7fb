#pragma once

// A real PostgreSQL 15 server for a test: a fresh cluster in a temporary
// directory, on a loopback port reserved at run time, run as the
// `postgres` user when the tests run as root (PostgreSQL refuses root).

#include <filesystem>
#include <string>

#include "process.hpp"

namespace sophia::tests::integration {

class postgres_server {
public:
  /// initdb + start, waiting until it accepts connections. Throws
  /// std::runtime_error with the server's log when it cannot start.
  postgres_server();

  /// Fast shutdown, then the directory goes.
  ~postgres_server();

  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  /// `postgresql://sophia@127.0.0.1:PORT/postgres` (trust auth, superuser).
  std::string uri() const;
  uint16_t port() const { return port_; }

  /// Stops the server (fast shutdown) or starts it again on the same
  /// port and data: for tests of the pipeline when PostgreSQL goes away.
  void stop();
  void start();

  /// Runs `sql` with psql, returning its unaligned, tuples-only output;
  /// throws with psql's error when it fails.
  std::string psql(const std::string& sql) const;

private:
  std::filesystem::path dir_;
  uint16_t port_ = 0;
  process server_;
};

} // namespace sophia::tests::integration
