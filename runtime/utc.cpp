#include "runtime/utc.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace sophia::runtime {

std::string format_utc_ms(int64_t ms) {
  auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string format_utc(std::chrono::system_clock::time_point t) {
  return format_utc_ms(
    std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch())
      .count());
}

int64_t parse_utc_ms(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, n = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h,
                  &mi, &s, &n) != 6)
    return -1;
  int64_t ms = 0;
  size_t i = static_cast<size_t>(n);
  if (i < text.size() && text[i] == '.') {
    int digits = 0;
    for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i)
      if (digits++ < 3)
        ms = ms * 10 + (text[i] - '0');
    for (; digits < 3; ++digits)
      ms *= 10;
  }
  if (i >= text.size() || (text[i] != 'Z' && text[i] != 'z') || mo < 1 || mo > 12
      || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    return -1;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace sophia::runtime
