#include "actors/pipeline/postgres/copy_text.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

#include <nlohmann/json.hpp>

namespace sophia::actors::pipeline::postgres::copy_text {

using nlohmann::json;

void append_escaped(std::string& out, std::string_view s) {
  size_t run = 0; // start of the pending run of plain bytes
  for (size_t i = 0; i < s.size(); ++i) {
    const char* esc = nullptr;
    switch (s[i]) {
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      case '\0': esc = ""; break;
      default: continue;
    }
    out.append(s.data() + run, i - run);
    out += esc;
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

void append_number(std::string& out, const json& j) {
  char buf[32];
  std::to_chars_result r;
  if (j.is_number_unsigned())
    r = std::to_chars(buf, buf + sizeof buf, j.get<uint64_t>());
  else if (j.is_number_integer())
    r = std::to_chars(buf, buf + sizeof buf, j.get<int64_t>());
  else // the shortest text that reads back as the same double (not
       // nlohmann's dump, which may print 17 digits: 67.17411800000001)
    r = std::to_chars(buf, buf + sizeof buf, j.get<double>());
  out.append(buf, r.ptr);
}

namespace {

// A JSON string literal, COPY-escaped: JSON's own escapes carry a
// backslash, which COPY doubles. Runs of bytes that need neither escape
// (nearly all of them) are appended at once.
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\\\""; break;
      case '\\': out += "\\\\\\\\"; break;
      case '\n': out += "\\\\n"; break;
      case '\r': out += "\\\\r"; break;
      case '\t': out += "\\\\t"; break;
      case '\b': out += "\\\\b"; break;
      case '\f': out += "\\\\f"; break;
      case 0: break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_value(std::string& out, const json& j, bool pg_style) {
  switch (j.type()) {
    case json::value_t::null: out += "null"; return;
    case json::value_t::boolean: out += j.get<bool>() ? "true" : "false"; return;
    case json::value_t::string:
      append_json_string(out, j.get_ref<const std::string&>());
      return;
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (auto& v : j) {
        if (!first)
          out += pg_style ? ", " : ",";
        first = false;
        append_value(out, v, pg_style);
      }
      out += ']';
      return;
    }
    case json::value_t::object: {
      out += '{';
      if (!pg_style) { // the object's own order: no need to sort
        bool first = true;
        for (auto& [key, value] : *j.get_ptr<const json::object_t*>()) {
          if (!first)
            out += ',';
          first = false;
          append_json_string(out, key);
          out += ':';
          append_value(out, value, false);
        }
        out += '}';
        return;
      }
      std::vector<json::const_iterator> items;
      items.reserve(j.size());
      for (auto i = j.begin(); i != j.end(); ++i)
        items.push_back(i);
      if (pg_style) // jsonb's key order: shorter first, then bytewise
        std::sort(items.begin(), items.end(), [](auto& a, auto& b) {
          auto& x = a.key();
          auto& y = b.key();
          return x.size() != y.size() ? x.size() < y.size() : x < y;
        });
      bool first = true;
      for (auto& i : items) {
        if (!first)
          out += pg_style ? ", " : ",";
        first = false;
        append_json_string(out, i.key());
        out += pg_style ? ": " : ":";
        append_value(out, i.value(), pg_style);
      }
      out += '}';
      return;
    }
    case json::value_t::binary:
    case json::value_t::discarded: out += "null"; return;
    default: append_number(out, j); return;
  }
}

} // namespace

void append_json(std::string& out, const json& j) {
  append_value(out, j, false);
}

void append_jsonb_text(std::string& out, const json& j) {
  append_value(out, j, true);
}

} // namespace sophia::actors::pipeline::postgres::copy_text
