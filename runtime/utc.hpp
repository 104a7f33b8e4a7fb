#pragma once

#include <chrono>
#include <cstdint>
#include <string>

/// Wall-clock times as Sophia's records write them: RFC 3339 UTC with
/// milliseconds (`2026-12-06T07:01:02.345Z`).
namespace sophia::runtime {

/// `ms` since the epoch as `YYYY-MM-DDTHH:MM:SS.fffZ`.
std::string format_utc_ms(int64_t ms);

/// `t` as `YYYY-MM-DDTHH:MM:SS.fffZ`.
std::string format_utc(std::chrono::system_clock::time_point t);

/// Milliseconds since the epoch of an RFC 3339 UTC time
/// (`YYYY-MM-DDTHH:MM:SS[.fff]Z`); -1 when it is not one.
int64_t parse_utc_ms(const std::string& text);

/// Now, in milliseconds since the epoch.
int64_t unix_ms_now();

} // namespace sophia::runtime
