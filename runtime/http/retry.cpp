#include "runtime/http/retry.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <string>

namespace sophia::runtime::http {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::tolower(static_cast<unsigned char>(x))
                     == std::tolower(static_cast<unsigned char>(y));
            });
}

} // namespace

bool retryable_status(int status) {
  switch (status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
    case 524:
    case 529: return true;
    default: return false;
  }
}

bool idempotent(std::string_view method) {
  for (auto m : { "GET", "HEAD", "PUT", "DELETE", "OPTIONS" })
    if (iequals(method, m)) return true;
  return false;
}

bool may_retry(const request& req) {
  return req.retry.value_or(idempotent(req.method));
}

std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value,
                  std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    long long secs = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(),
                                   secs);
    if (ec != std::errc{}) return std::nullopt;
    // Absurd values saturate rather than overflow; the deadline caps them.
    secs = std::min<long long>(secs, 365LL * 24 * 3600);
    return std::chrono::milliseconds{ secs * 1000 };
  }
  // An HTTP-date; RFC 9110 asks recipients to accept all three forms.
  std::string text{ value };
  for (auto fmt : { "%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                    "%a %b %e %H:%M:%S %Y" }) {
    std::tm tm{};
    auto end = strptime(text.c_str(), fmt, &tm);
    if (end == nullptr || *end != '\0') continue;
    auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
    if (at <= now) return std::chrono::milliseconds{ 0 };
    return std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds>
server_wait(const std::vector<header>& headers,
            std::chrono::system_clock::time_point now) {
  std::optional<std::chrono::milliseconds> from_seconds;
  for (auto& [name, value] : headers) {
    if (name == "retry-after-ms") {
      std::string v{ trim(value) };
      char* end = nullptr;
      double ms = std::strtod(v.c_str(), &end);
      if (end != v.c_str() && *end == '\0' && ms >= 0 && ms < 1e12)
        return std::chrono::milliseconds{ static_cast<long long>(ms + 0.5) };
    } else if (name == "retry-after" && !from_seconds) {
      from_seconds = parse_retry_after(value, now);
    }
  }
  return from_seconds;
}

std::chrono::milliseconds backoff(const policy& p, int n, std::mt19937_64& rng) {
  auto cap = p.backoff_max.count();
  auto limit = p.backoff_base.count();
  for (int i = 0; i < n && limit < cap; ++i)
    limit *= 2;
  limit = std::clamp<long long>(limit, 0, std::max<long long>(cap, 0));
  if (limit <= 0) return std::chrono::milliseconds{ 0 };
  std::uniform_int_distribution<long long> pick{ 0, limit };
  return std::chrono::milliseconds{ pick(rng) };
}

} // namespace sophia::runtime::http
