#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sophia::runtime::http {

/// The proxy settings of the environment, read once when the client
/// starts. libcurl, left to itself, reads them on every request (five
/// getenv calls, some 2 % of a request); the client hands them over
/// explicitly instead, chosen as libcurl would choose them: `http_proxy`
/// (lower-case only, as libcurl, for safety in CGI environments) for
/// http URLs, `https_proxy` or `HTTPS_PROXY` for https URLs, else
/// `all_proxy` or `ALL_PROXY`; hosts in `no_proxy` or `NO_PROXY` go direct.
struct proxy_env {
  /// Each variable as set, even to nothing (which means no proxy).
  std::optional<std::string> http;
  std::optional<std::string> https;
  std::optional<std::string> all;
  /// `no_proxy`'s list; empty: every host through the proxy.
  std::string no_proxy;

  /// Reads the process's environment.
  static proxy_env from_environment();

  /// The proxy for `url` (empty: none).
  const std::string& for_url(std::string_view url) const;
};

} // namespace sophia::runtime::http
