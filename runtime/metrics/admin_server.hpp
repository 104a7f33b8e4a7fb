#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <caf/expected.hpp>

namespace sophia::runtime::metrics {

/// A node's admin endpoint (`[[node]] admin_port`): GET /metrics
/// (Prometheus text of `registry::global()`), /healthz and /readyz, on a
/// thread of its own. One request per connection, each read within a
/// second: scrapers and probes, not clients, come here.
class admin_server {
public:
  /// Listens on `host:port` (port 0: the kernel picks one; see `port()`).
  static caf::expected<std::unique_ptr<admin_server>> start(const std::string& host,
                                                            uint16_t port);
  ~admin_server();

  admin_server(const admin_server&) = delete;
  admin_server& operator=(const admin_server&) = delete;

  uint16_t port() const { return port_; }

private:
  admin_server(int fd, uint16_t port);
  void run();
  void serve(int client);

  int fd_;
  uint16_t port_;
  int wake_[2] = { -1, -1 };
  std::thread thread_;
};

} // namespace sophia::runtime::metrics
