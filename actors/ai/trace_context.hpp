#pragma once

#include <cstddef>
#include <random>
#include <string>
#include <string_view>

/// Where a span sits in a trace, carried across a tool call: a caller's
/// span (the router's) becomes the parent of the callee's (the provider's
/// LLM span) through a W3C `traceparent` in the request's `_meta`. Header
/// only: the router, which the AI role links, uses it as well.
namespace sophia::actors::ai {

/// `n` random bytes, never all zero (OTLP's invalid id): 16 for a trace
/// id, 8 for a span id.
inline std::string random_id(size_t n) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out(n, '\0');
  do {
    for (auto& ch : out)
      ch = static_cast<char>(rng() & 0xff);
  } while (out.find_first_not_of('\0') == std::string::npos);
  return out;
}

/// The `traceparent` of a span ("00-<32 hex>-<16 hex>-01") from its raw
/// trace and span ids.
inline std::string traceparent(std::string_view trace_id, std::string_view span_id) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "00-";
  auto hex = [&](std::string_view raw) {
    for (unsigned char c : raw) {
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  };
  hex(trace_id);
  out += '-';
  hex(span_id);
  out += "-01";
  return out;
}

/// The raw trace id and parent span id of a `traceparent`; false when it
/// is not one (wrong shape, not lowercase hex, all-zero ids).
inline bool parse_traceparent(std::string_view text, std::string& trace_id,
                              std::string& parent_span_id) {
  // version(2) - trace(32) - parent(16) - flags(2)
  if (text.size() != 55 || text[2] != '-' || text[35] != '-' || text[52] != '-')
    return false;
  auto raw = [](std::string_view hex, std::string& out) {
    auto nibble = [](char c) {
      if (c >= '0' && c <= '9')
        return c - '0';
      if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
      return -1;
    };
    out.clear();
    bool nonzero = false;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      auto hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
      if (hi < 0 || lo < 0)
        return false;
      out += static_cast<char>(hi * 16 + lo);
      nonzero = nonzero || hi != 0 || lo != 0;
    }
    return nonzero;
  };
  return raw(text.substr(3, 32), trace_id) && raw(text.substr(36, 16), parent_span_id);
}

} // namespace sophia::actors::ai
