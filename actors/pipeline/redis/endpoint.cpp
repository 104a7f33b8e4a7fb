#include "actors/pipeline/redis/endpoint.hpp"

#include <charconv>
#include <optional>

namespace sophia::actors::pipeline::redis {

namespace {

// Errors quote parts of the URI but never all of it: it may hold a
// password.
std::string bad(const std::string& why) {
  return "redis URI: " + why;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX-decoding, for a user or password with reserved characters, into
// `out`; the error, if any.
std::optional<std::string> decode(std::string_view s, const char* what,
                                  std::string& out) {
  out.clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      return bad(std::string{"bad %-escape in the "} + what);
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return std::nullopt;
}

template <class T>
bool number(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

std::variant<int, std::string> database(std::string_view s) {
  int db = 0;
  if (!number(s, db) || db < 0)
    return bad("database \"" + std::string{s}
               + "\" is not a non-negative number");
  return db;
}

std::variant<endpoint, std::string> unix_socket(std::string_view rest) {
  endpoint out;
  auto q = rest.find('?');
  out.socket = std::string{rest.substr(0, q)};
  if (out.socket.empty() || out.socket.front() != '/')
    return bad("unix:// needs an absolute socket path (unix:///path)");
  if (q == std::string_view::npos)
    return out;
  auto query = rest.substr(q + 1);
  if (!query.starts_with("db="))
    return bad("unix:// takes only ?db=N, not \"" + std::string{query}
               + "\"");
  auto db = database(query.substr(3));
  if (auto* err = std::get_if<std::string>(&db))
    return *err;
  out.db = std::get<int>(db);
  return out;
}

} // namespace

std::string endpoint::text() const {
  if (!socket.empty())
    return socket;
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::variant<endpoint, std::string> parse_endpoint(std::string_view uri) {
  auto colon = uri.find("://");
  if (colon == std::string_view::npos)
    return bad("expected redis://host:port[/db] or unix:///path, got no "
               "scheme");
  auto scheme = uri.substr(0, colon);
  auto rest = uri.substr(colon + 3);
  if (scheme == "rediss")
    return bad("rediss:// (TLS) is not supported: this build's hiredis "
               "has no TLS; use redis:// on a trusted network or a tunnel");
  if (scheme == "unix")
    return unix_socket(rest);
  if (scheme != "redis")
    return bad("unknown scheme \"" + std::string{scheme}
               + "\" (expected redis or unix)");
  if (rest.find_first_of("?#") != std::string_view::npos)
    return bad("query parameters and fragments are not supported");
  endpoint out;
  // Userinfo: everything up to the last '@' (a password may hold '@'
  // unescaped; host names never do).
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    auto info = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto sep = info.find(':');
    if (auto err = decode(info.substr(0, sep), "user", out.user))
      return *err;
    if (sep != std::string_view::npos) {
      if (auto err = decode(info.substr(sep + 1), "password", out.password))
        return *err;
    } else {
      // `redis://secret@host`: a lone userinfo is the password, as
      // redis-cli and most clients read it.
      out.password = std::move(out.user);
      out.user.clear();
    }
  }
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    auto path = rest.substr(slash + 1);
    if (!path.empty()) {
      auto db = database(path);
      if (auto* err = std::get_if<std::string>(&db))
        return *err;
      out.db = std::get<int>(db);
    }
  }
  std::string_view port;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return bad("IPv6 host without its closing ]");
    out.host = std::string{authority.substr(1, close - 1)};
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return bad("unexpected text after the IPv6 host");
      port = after.substr(1);
      if (port.empty())
        return bad("empty port after ':'");
    }
  } else {
    auto sep = authority.rfind(':');
    out.host = std::string{authority.substr(0, sep)};
    if (sep != std::string_view::npos) {
      port = authority.substr(sep + 1);
      if (port.empty())
        return bad("empty port after ':'");
    }
  }
  if (out.host.empty())
    return bad("no host (expected redis://host:port)");
  if (!port.empty()) {
    unsigned p = 0;
    if (!number(port, p) || p == 0 || p > 65535)
      return bad("port \"" + std::string{port}
                 + "\" is not a number in 1..65535");
    out.port = static_cast<uint16_t>(p);
  }
  return out;
}

} // namespace sophia::actors::pipeline::redis
