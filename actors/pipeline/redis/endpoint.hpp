#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace sophia::actors::pipeline::redis {

/// Where a connection goes and how it logs in, read from a URI.
struct endpoint {
  /// TCP host (an IPv6 address without its brackets); empty for a Unix
  /// socket.
  std::string host;
  uint16_t port = 6379;
  /// A Unix socket's path (`unix://`); empty for TCP.
  std::string socket;
  /// ACL user (Redis 6+); empty: the password alone (`AUTH password`).
  std::string user;
  /// Empty: no AUTH.
  std::string password;
  /// The database SELECTed after connecting.
  int db = 0;

  /// `host:port` or the socket's path, for error messages (never the
  /// password).
  std::string text() const;
};

/// Reads `redis://[[user]:password@]host[:port][/db]` (user and password
/// percent-decoded; a host may be `[v6]`) or `unix:///path[?db=N]`.
/// `rediss://` is refused (no TLS in this build's hiredis). Errors name
/// the part that is wrong, never the password.
std::variant<endpoint, std::string> parse_endpoint(std::string_view uri);

} // namespace sophia::actors::pipeline::redis
