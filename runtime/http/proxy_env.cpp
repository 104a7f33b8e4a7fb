#include "runtime/http/proxy_env.hpp"

#include <cstdlib>
#include <initializer_list>

namespace sophia::runtime::http {

namespace {

/// The first of the variables that is set (even to nothing).
std::optional<std::string> first_set(std::initializer_list<const char*> names) {
  for (auto* name : names)
    if (auto* value = std::getenv(name)) return std::string{ value };
  return std::nullopt;
}

} // namespace

proxy_env proxy_env::from_environment() {
  proxy_env out;
  out.http = first_set({ "http_proxy" });
  out.https = first_set({ "https_proxy", "HTTPS_PROXY" });
  out.all = first_set({ "all_proxy", "ALL_PROXY" });
  out.no_proxy = first_set({ "no_proxy", "NO_PROXY" }).value_or("");
  return out;
}

const std::string& proxy_env::for_url(std::string_view url) const {
  static const std::string none;
  auto scheme = url.substr(0, url.find(':'));
  // A scheme's own variable, when set, wins even if empty (as libcurl).
  if (scheme == "http" && http) return *http;
  if (scheme == "https" && https) return *https;
  return all ? *all : none;
}

} // namespace sophia::runtime::http
