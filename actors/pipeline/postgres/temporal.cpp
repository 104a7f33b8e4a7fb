#include "actors/pipeline/postgres/temporal.hpp"

#include <cstdint>

namespace sophia::actors::pipeline::postgres::temporal {

namespace {

bool digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads exactly `n` digits at `s[i]`.
bool digits(std::string_view s, size_t& i, size_t n, int64_t& out) {
  if (i + n > s.size())
    return false;
  out = 0;
  for (size_t k = 0; k < n; ++k) {
    if (!digit(s[i + k]))
      return false;
    out = out * 10 + (s[i + k] - '0');
  }
  i += n;
  return true;
}

bool leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool date_at(std::string_view s, size_t& i, int64_t max_year) {
  size_t start = i;
  while (i < s.size() && digit(s[i]))
    ++i;
  size_t n = i - start;
  if (n < 4 || n > 7)
    return false;
  int64_t y = 0;
  for (size_t k = start; k < i; ++k)
    y = y * 10 + (s[k] - '0');
  int64_t m = 0, d = 0;
  if (i >= s.size() || s[i++] != '-' || !digits(s, i, 2, m))
    return false;
  if (i >= s.size() || s[i++] != '-' || !digits(s, i, 2, d))
    return false;
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || y > max_year || m < 1 || m > 12 || d < 1)
    return false;
  return d <= days[m - 1] + (m == 2 && leap(y) ? 1 : 0);
}

bool time_at(std::string_view s, size_t& i) {
  int64_t h = 0, m = 0, sec = 0;
  if (!digits(s, i, 2, h) || i >= s.size() || s[i++] != ':'
      || !digits(s, i, 2, m))
    return false;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!digits(s, i, 2, sec))
      return false;
    if (i < s.size() && s[i] == '.') {
      size_t start = ++i;
      while (i < s.size() && digit(s[i]))
        ++i;
      if (i == start)
        return false;
    }
  }
  if (m > 59 || sec > 60 || h > 24)
    return false;
  return h < 24 || (m == 0 && sec == 0);
}

bool offset_at(std::string_view s, size_t& i) {
  if (i == s.size())
    return true;
  if (s[i] == 'Z' || s[i] == 'z')
    return ++i == s.size();
  if (s[i] != '+' && s[i] != '-')
    return false;
  ++i;
  int64_t h = 0, m = 0;
  if (!digits(s, i, 2, h) || h > 15)
    return false;
  if (i < s.size() && s[i] == ':')
    ++i;
  if (i < s.size() && (!digits(s, i, 2, m) || m > 59))
    return false;
  return i == s.size();
}

} // namespace

bool is_date(std::string_view s) {
  size_t i = 0;
  return date_at(s, i, 5874897) && i == s.size();
}

bool is_time(std::string_view s, bool zone) {
  size_t i = 0;
  if (!time_at(s, i))
    return false;
  return zone ? offset_at(s, i) : i == s.size();
}

bool is_timestamp(std::string_view s, bool) {
  size_t i = 0;
  if (!date_at(s, i, 294276))
    return false;
  if (i == s.size())
    return true;
  if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
    return false;
  ++i;
  return time_at(s, i) && offset_at(s, i);
}

} // namespace sophia::actors::pipeline::postgres::temporal
