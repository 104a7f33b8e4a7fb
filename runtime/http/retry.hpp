#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

#include "runtime/http/client.hpp"

/// When and how long to wait before sending a request again.
namespace sophia::runtime::http {

/// Whether a response with `status` may be worth another attempt: the
/// server was overloaded or a gateway failed (408, 429, 500, 502, 503, 504,
/// 524, 529).
bool retryable_status(int status);

/// Whether `method` is idempotent (GET, HEAD, PUT, DELETE, OPTIONS), i.e.
/// safe to send again when the request does not say otherwise.
bool idempotent(std::string_view method);

/// Whether a failed attempt of `req` may be sent again at all.
bool may_retry(const request& req);

/// The wait the server asked for in `retry-after-ms` (milliseconds, may be
/// fractional) or `Retry-After` (seconds or an HTTP-date, relative to
/// `now`); `retry-after-ms` wins when both are present. Dates in the past
/// give zero.
std::optional<std::chrono::milliseconds>
server_wait(const std::vector<header>& headers,
            std::chrono::system_clock::time_point now);

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date (IMF-fixdate,
/// RFC 850 or asctime form).
std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value,
                  std::chrono::system_clock::time_point now);

/// Exponential backoff with full jitter before retry number `n` (0 for the
/// first): uniform in [0, min(max, base * 2^n)].
std::chrono::milliseconds backoff(const policy& p, int n, std::mt19937_64& rng);

} // namespace sophia::runtime::http
