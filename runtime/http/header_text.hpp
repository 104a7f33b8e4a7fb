#pragma once

#include <algorithm>
#include <string_view>

/// Reading HTTP header text: names are ASCII and compared without case;
/// no locale is consulted per character.
namespace sophia::runtime::http {

inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Whether `a` and `b` are equal but for ASCII case.
inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return ascii_lower(x) == ascii_lower(y);
            });
}

/// `s` without leading blanks, or trailing blanks and line ends.
inline std::string_view trim_header_text(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty()
         && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'
             || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

} // namespace sophia::runtime::http
