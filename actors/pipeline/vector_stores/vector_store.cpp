#include "actors/pipeline/vector_stores/vector_store.hpp"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace sophia::actors::pipeline::vector_stores {

using nlohmann::json;

bool is_filter_field(const std::string& name) {
  return name == "source" || name == "stream" || name == "table" ||
         name == "key";
}

bool all_finite(const std::vector<float>& values) {
  for (auto v : values)
    if (!std::isfinite(v)) return false;
  return true;
}

void append_floats(std::string& out, const std::vector<float>& values) {
  out += '[';
  char buf[32];
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), values[i]);
    out.append(buf, ec == std::errc{} ? end : buf);
  }
  out += ']';
}

namespace {

bool string_field(const json& obj, const char* name, std::string& out) {
  auto i = obj.find(name);
  if (i == obj.end() || i->is_null()) return true;
  if (!i->is_string()) return false;
  out = i->get<std::string>();
  return true;
}

json metadata_json(const chunk_metadata& m) {
  return { { "source", m.source },
           { "stream", m.stream },
           { "table", m.table },
           { "key", m.key },
           { "text", m.text } };
}

bool metadata_from(const json& in, chunk_metadata& m) {
  if (in.is_null()) return true;
  if (!in.is_object()) return false;
  return string_field(in, "source", m.source) &&
         string_field(in, "stream", m.stream) &&
         string_field(in, "table", m.table) && string_field(in, "key", m.key) &&
         string_field(in, "text", m.text);
}

} // namespace

std::string dump_json(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

chunk_metadata metadata_of(const json& obj) {
  chunk_metadata m;
  if (!obj.is_object()) return m;
  auto get = [&](const char* name, std::string& out) {
    auto i = obj.find(name);
    if (i != obj.end() && i->is_string()) out = i->get<std::string>();
  };
  get("source", m.source);
  get("stream", m.stream);
  get("table", m.table);
  get("key", m.key);
  get("text", m.text);
  return m;
}

bool chunks_from_json(const json& in,
                      std::vector<chunk>& out,
                      std::string& why) {
  if (!in.is_array()) {
    why = "chunks: expected a JSON array";
    return false;
  }
  out.reserve(out.size() + in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    auto& x = in[i];
    auto at = "chunks[" + std::to_string(i) + "]";
    if (!x.is_object() || !x.contains("id") || !x["id"].is_string() ||
        x["id"].get_ref<const std::string&>().empty()) {
      why = at + ": needs a non-empty string id";
      return false;
    }
    chunk c;
    c.id = x["id"].get<std::string>();
    auto v = x.find("values");
    if (v == x.end() || !v->is_array() || v->empty()) {
      why = at + ".values: expected a non-empty array of numbers";
      return false;
    }
    c.values.reserve(v->size());
    for (auto& n : *v) {
      if (!n.is_number()) {
        why = at + ".values: expected numbers only";
        return false;
      }
      c.values.push_back(n.get<float>());
    }
    if (!metadata_from(x.value("metadata", json{}), c.metadata)) {
      why = at + ".metadata: expected an object of strings (source, stream, "
                 "table, key, text)";
      return false;
    }
    out.push_back(std::move(c));
  }
  return true;
}

json to_json(const std::vector<match>& matches) {
  auto out = json::array();
  for (auto& m : matches)
    out.push_back({ { "id", m.id },
                    { "score", m.score },
                    { "metadata", metadata_json(m.metadata) } });
  return out;
}

bool matches_from_json(const json& in, std::vector<match>& out) {
  if (!in.is_array()) return false;
  for (auto& x : in) {
    if (!x.is_object() || !x.contains("id") || !x["id"].is_string() ||
        !x.contains("score") || !x["score"].is_number())
      return false;
    match m;
    m.id = x["id"].get<std::string>();
    m.score = x["score"].get<double>();
    if (!metadata_from(x.value("metadata", json{}), m.metadata)) return false;
    out.push_back(std::move(m));
  }
  return true;
}

std::string clip_utf8(std::string text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  auto end = max_bytes;
  // Step back over continuation bytes (10xxxxxx) to a sequence's start.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  text.resize(end);
  return text;
}

} // namespace sophia::actors::pipeline::vector_stores
