#include "actors/pipeline/vector_stores/weaviate.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "actors/pipeline/vector_stores/store_errors.hpp"
#include "runtime/error.hpp"

namespace sophia::actors::pipeline::vector_stores {

using nlohmann::json;
using runtime::errc;

namespace {

/// Weaviate's own limit on `limit` is QUERY_MAXIMUM_RESULTS (10000 by
/// default); asking for more fails the whole query.
constexpr size_t max_limit = 10000;

constexpr size_t max_class_length = 255;

bool is_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool is_name_char(char c) {
  return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string format_uuid(const unsigned char* b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += digits[b[i] >> 4];
    out += digits[b[i] & 0xF];
  }
  return out;
}

json properties_of(const chunk& c) {
  return { { "chunk_id", c.id },
           { "source", c.metadata.source },
           { "stream", c.metadata.stream },
           { "table", c.metadata.table },
           { "key", c.metadata.key },
           { "text", c.metadata.text } };
}

/// One condition of a `where` filter, in GraphQL syntax; the value is a
/// JSON string literal, which is also a valid GraphQL one (same escapes).
std::string where_operand(const std::string& field, const std::string& value) {
  return "{path: [\"" + field +
         "\"], operator: Equal, valueText: " + dump_json(value) + "}";
}

const json* find_path(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (auto* key : path) {
    if (!at->is_object()) return nullptr;
    auto i = at->find(key);
    if (i == at->end()) return nullptr;
    at = &*i;
  }
  return at;
}

/// The messages of `errors[]` (GraphQL) or `error[]` (REST), joined.
std::string messages_of(const json& list) {
  std::string out;
  for (auto& e : list) {
    auto m = e.is_object() ? e.find("message") : e.end();
    if (!e.is_object() || m == e.end() || !m->is_string()) continue;
    if (!out.empty()) out += "; ";
    out += m->get<std::string>();
  }
  return out;
}

} // namespace

caf::expected<std::string> weaviate_class(std::string_view configured) {
  std::string name{ configured.empty() ? default_weaviate_class : configured };
  auto ok = name.size() <= max_class_length && is_alpha(name.front()) &&
            std::all_of(name.begin(), name.end(), is_name_char);
  if (!ok)
    return runtime::make_error(errc::bad_config,
                               "collection '" + clip_message(name) +
                                 "' is no Weaviate class name: a letter, "
                                 "then letters, digits and _ (at most 255)");
  if (name.front() >= 'a' && name.front() <= 'z')
    name.front() = static_cast<char>(name.front() - 'a' + 'A');
  return name;
}

std::string weaviate_uuid(std::string_view id) {
  // RFC 9562 5.5: SHA-1 of the namespace's 16 bytes and the name, its
  // first 16 bytes with the version (5) and the variant (10xx) set.
  std::string input(16, '\0');
  size_t n = 0;
  for (size_t i = 0; i + 1 < weaviate_uuid_namespace.size() && n < 16;) {
    if (weaviate_uuid_namespace[i] == '-') {
      ++i;
      continue;
    }
    input[n++] = static_cast<char>(hex_value(weaviate_uuid_namespace[i]) * 16 +
                                   hex_value(weaviate_uuid_namespace[i + 1]));
    i += 2;
  }
  input.append(id);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned size = 0;
  // EVP_Digest fails only when OpenSSL cannot allocate; the digest then
  // stays zero and so does the UUID's hash part, still a valid UUID.
  EVP_Digest(
    input.data(), input.size(), digest.data(), &size, EVP_sha1(), nullptr);
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x50);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);
  return format_uuid(digest.data());
}

caf::expected<std::vector<http_call>> weaviate_batch(
  const std::vector<chunk>& chunks,
  const std::string& cls,
  const weaviate_limits& limits) {
  std::vector<http_call> out;
  const std::string head = "{\"objects\":[";
  const std::string tail = "]}";
  http_call cur;
  auto open = [&] {
    cur = http_call{};
    cur.path = "/v1/batch/objects";
    cur.body = head;
  };
  open();
  size_t dim = chunks.empty() ? 0 : chunks.front().values.size();
  for (size_t i = 0; i < chunks.size(); ++i) {
    auto& c = chunks[i];
    auto which = "chunk " + dump_json(c.id);
    if (c.id.empty())
      return runtime::make_error(
        errc::rejected, "chunk " + std::to_string(i) + " has an empty id");
    if (c.values.empty() || c.values.size() != dim)
      return runtime::make_error(
        errc::rejected,
        which + " has " + std::to_string(c.values.size()) +
          " values, the first chunk " + std::to_string(dim) +
          " (one class, one dimension)");
    if (!all_finite(c.values))
      return runtime::make_error(errc::rejected,
                                 which + " has a value that is NaN or "
                                         "infinite");
    std::string item =
      "{\"class\":" + dump_json(cls) + ",\"id\":\"" + weaviate_uuid(c.id) +
      "\",\"properties\":" + dump_json(properties_of(c)) + ",\"vector\":";
    append_floats(item, c.values);
    item += '}';
    if (head.size() + item.size() + tail.size() > limits.max_request_bytes)
      return runtime::make_error(errc::rejected,
                                 which +
                                   " alone is over the request limit "
                                   "of " +
                                   std::to_string(limits.max_request_bytes) +
                                   " bytes");
    auto grown = cur.body.size() + 1 + item.size() + tail.size();
    if (cur.items > 0 &&
        (cur.items == limits.max_objects || grown > limits.max_request_bytes)) {
      cur.body += tail;
      out.push_back(std::move(cur));
      open();
    }
    if (cur.items > 0) cur.body += ',';
    cur.body += item;
    ++cur.items;
  }
  if (cur.items > 0) {
    cur.body += tail;
    out.push_back(std::move(cur));
  }
  return out;
}

caf::expected<http_call> weaviate_query(const query& q,
                                        const std::string& cls) {
  if (auto err = check_query(q)) return err;
  // The class was checked by weaviate_class; check again, since it goes
  // into the query text as is.
  auto checked = weaviate_class(cls);
  if (!checked || *checked != cls)
    return runtime::make_error(
      errc::rejected, "'" + clip_message(cls) + "' is no Weaviate class name");
  std::string gql = "{ Get { " + cls + "(nearVector: {vector: ";
  append_floats(gql, q.values);
  gql += "}, limit: " + std::to_string(std::min(q.k, max_limit));
  if (q.filter.size() == 1) {
    gql += ", where: " + where_operand(q.filter[0].first, q.filter[0].second);
  } else if (q.filter.size() > 1) {
    gql += ", where: {operator: And, operands: [";
    for (size_t i = 0; i < q.filter.size(); ++i) {
      if (i > 0) gql += ", ";
      gql += where_operand(q.filter[i].first, q.filter[i].second);
    }
    gql += "]}";
  }
  gql += ") { chunk_id source stream table key text "
         "_additional { id distance } } } }";
  http_call call;
  call.path = "/v1/graphql";
  call.body = dump_json(json{ { "query", gql } });
  return call;
}

http_call weaviate_delete(const std::string& cls, std::string_view id) {
  http_call call;
  call.method = "DELETE";
  call.path = "/v1/objects/" + cls + "/" + weaviate_uuid(id);
  call.items = 1;
  return call;
}

caf::expected<size_t> parse_weaviate_batch(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_array())
    return runtime::make_error(errc::service_error,
                               "the batch response is not a JSON array: " +
                                 quote_body(body));
  size_t stored = 0;
  size_t failed = 0;
  std::string first;
  for (auto& x : j) {
    auto* errors = find_path(x, { "result", "errors", "error" });
    auto text = errors != nullptr && errors->is_array() ? messages_of(*errors)
                                                        : std::string{};
    auto* status = find_path(x, { "result", "status" });
    auto bad = !text.empty() || (status != nullptr && status->is_string() &&
                                 status->get<std::string>() == "FAILED");
    if (!bad) {
      ++stored;
      continue;
    }
    if (++failed <= 3) {
      auto* id = find_path(x, { "properties", "chunk_id" });
      if (!first.empty()) first += "; ";
      first += (id != nullptr && id->is_string() ? id->get<std::string>()
                                                 : std::string{ "?" }) +
               ": " + (text.empty() ? std::string{ "failed" } : text);
    }
  }
  if (failed > 0)
    return runtime::make_error(errc::service_error,
                               std::to_string(failed) + " of " +
                                 std::to_string(j.size()) +
                                 " objects failed: " + clip_message(first));
  return stored;
}

caf::expected<std::vector<match>> parse_weaviate_query(std::string_view body,
                                                       const std::string& cls) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_object())
    return runtime::make_error(errc::service_error,
                               "the GraphQL response is not a JSON object: " +
                                 quote_body(body));
  if (auto e = j.find("errors"); e != j.end() && e->is_array() && !e->empty())
    return runtime::make_error(errc::service_error,
                               "GraphQL: " + clip_message(messages_of(*e)));
  auto* list = find_path(j, { "data", "Get", cls.c_str() });
  if (list == nullptr || list->is_null()) return std::vector<match>{};
  if (!list->is_array())
    return runtime::make_error(errc::service_error,
                               "the GraphQL response's data.Get." + cls +
                                 " is not a list: " + quote_body(body));
  std::vector<match> out;
  for (auto& x : *list) {
    match m;
    m.metadata = metadata_of(x);
    if (auto* id = find_path(x, { "chunk_id" });
        id != nullptr && id->is_string())
      m.id = id->get<std::string>();
    else if (auto* uuid = find_path(x, { "_additional", "id" });
             uuid != nullptr && uuid->is_string())
      m.id = uuid->get<std::string>(); // an object stored by someone else
    else
      return runtime::make_error(errc::service_error,
                                 "a GraphQL result has neither chunk_id nor "
                                 "_additional.id: " +
                                   quote_body(dump_json(x)));
    auto* d = find_path(x, { "_additional", "distance" });
    m.score = d != nullptr && d->is_number() ? 1.0 - d->get<double>() : 0.0;
    out.push_back(std::move(m));
  }
  return out;
}

std::string weaviate_message(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    for (auto* key : { "error", "errors" }) {
      auto e = j.find(key);
      if (e == j.end()) continue;
      if (e->is_array()) {
        auto text = messages_of(*e);
        if (!text.empty()) return clip_message(text);
      }
      if (e->is_string()) return clip_message(e->get<std::string>());
    }
    if (auto m = j.find("message"); m != j.end() && m->is_string())
      return clip_message(m->get<std::string>());
  }
  return quote_body(body);
}

} // namespace sophia::actors::pipeline::vector_stores
