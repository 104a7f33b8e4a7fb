#include "runtime/http/client.hpp"

#include "runtime/http/header_text.hpp"

namespace sophia::runtime::http {

namespace {

/// Calls `f(name, value)` for each header line of `block`, both trimmed,
/// until it returns true.
template <class F>
void each_header(std::string_view block, F f) {
  while (!block.empty()) {
    auto end = block.find('\n');
    auto line = block.substr(0, end);
    block.remove_prefix(end == std::string_view::npos ? block.size() : end + 1);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (f(trim_header_text(line.substr(0, colon)),
          trim_header_text(line.substr(colon + 1))))
      return;
  }
}

} // namespace

std::optional<std::string_view>
response::find_header(std::string_view name) const {
  std::optional<std::string_view> out;
  each_header(header_block, [&](std::string_view n, std::string_view v) {
    if (!iequals(n, name)) return false;
    out = v;
    return true;
  });
  return out;
}

std::vector<header> response::headers() const {
  std::vector<header> out;
  each_header(header_block, [&](std::string_view n, std::string_view v) {
    auto& [name, value] = out.emplace_back(std::string{ n }, std::string{ v });
    for (auto& c : name)
      c = ascii_lower(c);
    return false;
  });
  return out;
}

} // namespace sophia::runtime::http
