#pragma once

#include <array>
#include <string>
#include <string_view>

/// The MCP protocol versions this edge speaks, and what differs between
/// them: the one list every transport and the engine consult.
namespace sophia::actors::edge::protocol {

/// Newest first: `initialize` with any other version gets the first.
inline constexpr std::array<std::string_view, 4> versions{ "2025-11-25",
                                                           "2025-06-18",
                                                           "2025-03-26",
                                                           "2024-11-05" };

/// The version a client that asks for an unknown one gets.
inline constexpr std::string_view latest = versions.front();

/// Whether `v` is one of `versions`.
constexpr bool supported(std::string_view v) {
  for (auto x : versions)
    if (x == v) return true;
  return false;
}

/// "2025-11-25, 2025-06-18, ...", for error messages.
inline std::string versions_text() {
  std::string out;
  for (auto x : versions) {
    if (!out.empty()) out += ", ";
    out += x;
  }
  return out;
}

/// JSON-RPC batches: added by 2025-03-26 and removed again by 2025-06-18,
/// so only sessions of exactly that version may send them.
constexpr bool allows_batches(std::string_view v) {
  return v == "2025-03-26";
}

/// Priming events (an id, no data) and `retry:` on SSE streams are
/// 2025-11-25's; older clients would choke on an event without data.
constexpr bool primes_streams(std::string_view v) {
  return v >= std::string_view{ "2025-11-25" };
}

} // namespace sophia::actors::edge::protocol
