#include "actors/pipeline/postgres/names.hpp"

namespace sophia::actors::pipeline::postgres::names {

namespace {

constexpr size_t max_bytes = 63; // PostgreSQL's NAMEDATALEN - 1

// The base letter of U+00C0..U+017F where Unicode's NFKD decomposition
// gives one (Airbyte strips the combining marks), `_` elsewhere.
constexpr std::string_view latin1 = "AAAAAA_CEEEEIIII_NOOOOO__UUUUY__"
                                    "aaaaaa_ceeeeiiii_nooooo__uuuuy_y";
constexpr std::string_view latin_ext_a = "AaAaAaCcCcCcCcDd__EeEeEeEeEeGgGg"
                                         "GgGgHh__IiIiIiIiI___JjKk_LlLlLl_"
                                         "___NnNnNn___OoOoOo__RrRrRrSsSsSs"
                                         "SsTtTt__UuUuUuUuUuUuWwYyYZzZzZzs";

bool space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
         || c == '\v';
}

} // namespace

std::string identifier(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      if (space(c)) {
        while (i < in.size() && space(static_cast<unsigned char>(in[i])))
          ++i;
        out += '_';
        continue;
      }
      bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                  || (c >= '0' && c <= '9') || c == '_';
      out += word ? static_cast<char>(c) : '_';
      ++i;
      continue;
    }
    // One code point of UTF-8: its length from the lead byte.
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    char base = '_';
    if (n == 2 && i + 1 < in.size()) {
      unsigned cp = ((c & 0x1F) << 6)
                    | (static_cast<unsigned char>(in[i + 1]) & 0x3F);
      if (cp >= 0xC0 && cp < 0x100)
        base = latin1[cp - 0xC0];
      else if (cp >= 0x100 && cp < 0x180)
        base = latin_ext_a[cp - 0x100];
    }
    out += base;
    i += n;
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9'))
    out.insert(out.begin(), '_');
  if (out.size() > max_bytes)
    out.resize(max_bytes);
  return out;
}

std::string table_name(std::string_view name) {
  auto out = identifier(name);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string unique(const std::string& base, std::set<std::string>& taken) {
  if (taken.insert(base).second)
    return base;
  for (size_t n = 1;; ++n) {
    auto suffix = "_" + std::to_string(n);
    auto name = base.substr(0, max_bytes - suffix.size()) + suffix;
    if (taken.insert(name).second)
      return name;
  }
}

std::string quoted(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"')
      out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string qualified(std::string_view schema, std::string_view table) {
  return quoted(schema) + "." + quoted(table);
}

} // namespace sophia::actors::pipeline::postgres::names
