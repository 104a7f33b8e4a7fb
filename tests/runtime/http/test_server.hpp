#pragma once

#include <cstdint>
#include <string>

#include <memory>

#include "runtime/testing/node_script.hpp"

namespace sophia::testing {

/// scripted_server.mjs in a child `node` process, listening on loopback (and
/// on a unix socket); killed when this object goes away. The child also
/// ends when this process dies, since we hold its stdin.
class scripted_server {
public:
  /// Starts the server; throws `std::runtime_error` when it does not come
  /// up within a few seconds.
  scripted_server();
  scripted_server(const scripted_server&) = delete;
  scripted_server& operator=(const scripted_server&) = delete;
  ~scripted_server();

  uint16_t port() const noexcept { return port_; }

  const std::string& unix_path() const noexcept { return unix_path_; }

  /// "http://127.0.0.1:PORT" + `path`.
  std::string url(const std::string& path) const;

private:
  void cleanup();

  std::unique_ptr<runtime::testing::node_script> node_;
  uint16_t port_ = 0;
  std::string dir_;
  std::string unix_path_;
};

/// A loopback port nothing listens on (bound, then closed).
uint16_t closed_port();

} // namespace sophia::testing
