#include "actors/pipeline/vectors/text.hpp"

#include <algorithm>

namespace sophia::actors::pipeline::vectors {

namespace {

bool is_metadata(const std::string& name) {
  return name.rfind("_ab_", 0) == 0 || name.rfind("_airbyte_", 0) == 0;
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
           || c == '\v';
  });
}

void collect(const nlohmann::json& v, const std::string& path, size_t depth,
             const text_limits& limits, std::string& out) {
  if (v.is_string()) {
    auto& s = v.get_ref<const std::string&>();
    if (blank(s))
      return;
    out += path;
    out += ": ";
    out += s;
    out += '\n';
    return;
  }
  if (depth >= limits.max_depth)
    return;
  if (v.is_object()) {
    for (auto& [k, x] : v.items()) {
      if (depth == 0 && is_metadata(k))
        continue;
      collect(x, path.empty() ? k : path + "." + k, depth + 1, limits, out);
    }
  } else if (v.is_array()) {
    for (auto& x : v)
      collect(x, path, depth + 1, limits, out);
  }
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Moves `at` back to the start of a UTF-8 sequence.
size_t utf8_start(std::string_view s, size_t at) {
  while (at > 0 && at < s.size()
         && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80)
    --at;
  return at;
}

} // namespace

std::string extract_text(const nlohmann::json& data, const text_limits& limits) {
  std::string out;
  collect(data, "", 0, limits, out);
  if (!out.empty())
    out.pop_back(); // the last '\n'
  return out;
}

std::vector<std::string> chunk_text(std::string_view text,
                                    const text_limits& limits) {
  std::vector<std::string> out;
  auto size = std::max<size_t>(limits.chunk_bytes, 16);
  auto overlap = std::min(limits.overlap_bytes, size / 2);
  size_t start = 0;
  while (start < text.size() && out.size() < limits.max_chunks) {
    size_t end = text.size();
    if (end - start > size) {
      end = utf8_start(text, start + size);
      // Cut after the last whitespace of the chunk's second half, if any.
      for (size_t i = end; i > start + size / 2; --i)
        if (is_space(text[i - 1])) {
          end = i;
          break;
        }
      if (end <= start)
        end = utf8_start(text, start + size) > start
                ? utf8_start(text, start + size)
                : std::min(text.size(), start + size);
    }
    auto piece = text.substr(start, end - start);
    if (!blank(piece))
      out.emplace_back(piece);
    if (end >= text.size())
      break;
    // The next chunk starts `overlap` bytes back, at a word's start.
    size_t next = end > overlap ? utf8_start(text, end - overlap) : end;
    while (next < end && !is_space(text[next]))
      ++next;
    while (next < end && is_space(text[next]))
      ++next;
    if (next <= start || next >= end)
      next = end; // no word boundary in the overlap: no overlap
    start = next;
  }
  return out;
}

} // namespace sophia::actors::pipeline::vectors
