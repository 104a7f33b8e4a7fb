#include "actors/pipeline/airbyte/simd_reader.hpp"

#include <simdjson.h>

namespace sophia::actors::pipeline::airbyte::simd {

namespace dom = simdjson::dom;
using nlohmann::json;

namespace {

// Deeper documents go to nlohmann, whose parser does not recurse.
constexpr int max_depth = 128;

// One parser per thread: it keeps its buffers between lines, and the
// pipeline's worker reads on one thread.
dom::parser& parser() {
  thread_local dom::parser p;
  return p;
}

bool convert(dom::element e, json& out, int depth) {
  switch (e.type()) {
    case dom::element_type::OBJECT: {
      if (depth >= max_depth)
        return false;
      out = json::object();
      auto& obj = *out.get_ptr<json::object_t*>();
      for (auto field : dom::object(e)) {
        // As nlohmann: a repeated key keeps its later value.
        if (!convert(field.value, obj[std::string{field.key}], depth + 1))
          return false;
      }
      return true;
    }
    case dom::element_type::ARRAY: {
      if (depth >= max_depth)
        return false;
      out = json::array();
      auto& arr = *out.get_ptr<json::array_t*>();
      for (auto item : dom::array(e)) {
        arr.emplace_back();
        if (!convert(item, arr.back(), depth + 1))
          return false;
      }
      return true;
    }
    case dom::element_type::STRING:
      out = std::string{std::string_view(e)};
      return true;
    case dom::element_type::INT64: {
      // nlohmann reads a literal without a minus as unsigned (and "-0" as
      // a signed 0, which simdjson does not tell apart: the same value).
      auto v = int64_t(e);
      if (v >= 0)
        out = static_cast<uint64_t>(v);
      else
        out = v;
      return true;
    }
    case dom::element_type::UINT64:
      out = uint64_t(e);
      return true;
    case dom::element_type::DOUBLE:
      out = double(e);
      return true;
    case dom::element_type::BOOL:
      out = bool(e);
      return true;
    case dom::element_type::NULL_VALUE:
      out = nullptr;
      return true;
  }
  return false;
}

bool record_body(dom::object rec, record& out) {
  bool has_stream = false, has_ns = false, has_data = false, has_at = false;
  for (auto field : rec) {
    auto key = field.key;
    auto v = field.value;
    if (key == "stream" && !has_stream) {
      std::string_view name;
      if (v.get(name) || name.empty())
        return false;
      out.stream.name = std::string{name};
      has_stream = true;
    } else if (key == "namespace" && !has_ns) {
      std::string_view ns;
      if (v.is_null())
        out.stream.ns.reset();
      else if (!v.get(ns))
        out.stream.ns = std::string{ns};
      else
        return false;
      has_ns = true;
    } else if (key == "data" && !has_data) {
      if (!v.is_object() || !convert(v, out.data, 2))
        return false;
      has_data = true;
    } else if (key == "emitted_at" && !has_at) {
      // As parse_record: an integer, unsigned ones taken as int64.
      if (v.is_int64())
        out.emitted_at_ms = int64_t(v);
      else if (v.is_uint64())
        out.emitted_at_ms = static_cast<int64_t>(uint64_t(v));
      else
        return false;
      has_at = true;
    } else {
      return false;
    }
  }
  return has_stream && has_data && has_at;
}

} // namespace

bool read_document(std::string_view line, nlohmann::json& out) {
  dom::element doc;
  if (parser().parse(line.data(), line.size()).get(doc) || !doc.is_object())
    return false;
  return convert(doc, out, 0);
}

bool read_record(std::string_view line, record& out) {
  dom::object msg;
  if (parser().parse(line.data(), line.size()).get(msg))
    return false;
  bool typed = false, has_record = false;
  for (auto field : msg) {
    if (field.key == "type" && !typed) {
      std::string_view type;
      if (field.value.get(type) || type != "RECORD")
        return false;
      typed = true;
    } else if (field.key == "record" && !has_record) {
      dom::object rec;
      if (field.value.get(rec) || !record_body(rec, out))
        return false;
      has_record = true;
    } else {
      return false;
    }
  }
  return typed && has_record;
}

} // namespace sophia::actors::pipeline::airbyte::simd
