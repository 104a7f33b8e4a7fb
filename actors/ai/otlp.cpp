#include "actors/ai/otlp.hpp"

#include <cstring>

#include "actors/ai/trace_context.hpp"

namespace sophia::actors::ai::otlp {

namespace {

// Protobuf wire types.
constexpr uint32_t varint = 0;
constexpr uint32_t fixed64 = 1;
constexpr uint32_t length_delimited = 2;

void put_varint(std::string& out, uint64_t x) {
  while (x >= 0x80) {
    out.push_back(static_cast<char>((x & 0x7f) | 0x80));
    x >>= 7;
  }
  out.push_back(static_cast<char>(x));
}

void put_tag(std::string& out, uint32_t field, uint32_t wire) {
  put_varint(out, (static_cast<uint64_t>(field) << 3) | wire);
}

void put_bytes(std::string& out, uint32_t field, const std::string& bytes) {
  put_tag(out, field, length_delimited);
  put_varint(out, bytes.size());
  out += bytes;
}

void put_fixed64(std::string& out, uint32_t field, uint64_t x) {
  put_tag(out, field, fixed64);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}

void put_uint(std::string& out, uint32_t field, uint64_t x) {
  put_tag(out, field, varint);
  put_varint(out, x);
}

/// `AnyValue`.
std::string any_value(const value& v) {
  std::string out;
  if (auto* s = std::get_if<std::string>(&v)) {
    put_bytes(out, 1, *s);
  } else if (auto* b = std::get_if<bool>(&v)) {
    put_uint(out, 2, *b ? 1 : 0);
  } else if (auto* i = std::get_if<int64_t>(&v)) {
    put_uint(out, 3, static_cast<uint64_t>(*i));
  } else {
    double d = std::get<double>(v);
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    put_fixed64(out, 4, bits);
  }
  return out;
}

/// `KeyValue`.
std::string key_value(const attribute& a) {
  std::string out;
  put_bytes(out, 1, a.key);
  put_bytes(out, 2, any_value(a.v));
  return out;
}

std::string encode_span(const span& s) {
  std::string out;
  put_bytes(out, 1, s.trace_id);
  put_bytes(out, 2, s.span_id);
  if (!s.parent_span_id.empty()) put_bytes(out, 4, s.parent_span_id);
  put_bytes(out, 5, s.name);
  put_uint(out, 6, static_cast<uint64_t>(s.kind));
  put_fixed64(out, 7, s.start_unix_nano);
  put_fixed64(out, 8, s.end_unix_nano);
  for (auto& a : s.attributes) put_bytes(out, 9, key_value(a));
  std::string status;
  if (!s.status_message.empty()) put_bytes(status, 2, s.status_message);
  if (s.status != status_code::unset) put_uint(status, 3, static_cast<uint64_t>(s.status));
  put_bytes(out, 15, status);
  return out;
}

} // namespace

std::string encode_request(const std::vector<attribute>& resource,
                           const std::string& scope_name,
                           const std::string& scope_version,
                           const std::vector<span>& spans) {
  std::string res;
  for (auto& a : resource) put_bytes(res, 1, key_value(a));
  std::string scope;
  put_bytes(scope, 1, scope_name);
  put_bytes(scope, 2, scope_version);
  std::string scope_spans;
  put_bytes(scope_spans, 1, scope);
  for (auto& s : spans) put_bytes(scope_spans, 2, encode_span(s));
  std::string resource_spans;
  put_bytes(resource_spans, 1, res);
  put_bytes(resource_spans, 2, scope_spans);
  std::string request;
  put_bytes(request, 1, resource_spans);
  return request;
}

std::string new_trace_id() {
  return random_id(16);
}

std::string new_span_id() {
  return random_id(8);
}

} // namespace sophia::actors::ai::otlp
