#include "actors/pipeline/vector_stores/pinecone.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "actors/pipeline/vector_stores/store_errors.hpp"
#include "runtime/error.hpp"

namespace sophia::actors::pipeline::vector_stores {

using nlohmann::json;
using runtime::errc;

namespace {

/// Pinecone's `topK` limit.
constexpr size_t max_top_k = 10000;

/// `chunk`'s metadata with the text cut so that the whole stays within
/// `max_bytes` (the other fields are short: source, table, key).
std::string metadata_text(const chunk_metadata& m, size_t max_bytes) {
  json j = { { "source", m.source },
             { "stream", m.stream },
             { "table", m.table },
             { "key", m.key },
             { "text", m.text } };
  auto out = dump_json(j);
  if (out.size() <= max_bytes) return out;
  // Escaping can grow the text (up to 6 bytes for a control character), so
  // cut by what the dump took beyond the limit, then check again.
  auto text = m.text;
  while (out.size() > max_bytes && !text.empty()) {
    auto over = out.size() - max_bytes;
    auto keep = text.size() > over ? text.size() - over : 0;
    text = clip_utf8(std::move(text), keep);
    j["text"] = text;
    out = dump_json(j);
  }
  return out;
}

std::string envelope_end(const std::string& ns) {
  return "],\"namespace\":" + dump_json(ns) + "}";
}

} // namespace

caf::expected<std::vector<http_call>> pinecone_upsert(
  const std::vector<chunk>& chunks,
  const std::string& ns,
  const pinecone_limits& limits) {
  std::vector<http_call> out;
  const std::string head = "{\"vectors\":[";
  const auto tail = envelope_end(ns);
  http_call cur;
  auto open = [&] {
    cur = http_call{};
    cur.path = "/vectors/upsert";
    cur.body = head;
  };
  auto close = [&] {
    cur.body += tail;
    out.push_back(std::move(cur));
  };
  open();
  size_t dim = chunks.empty() ? 0 : chunks.front().values.size();
  for (size_t i = 0; i < chunks.size(); ++i) {
    auto& c = chunks[i];
    auto which = "chunk " + dump_json(c.id);
    if (c.id.empty())
      return runtime::make_error(
        errc::rejected, "chunk " + std::to_string(i) + " has an empty id");
    if (c.id.size() > limits.max_id_bytes)
      return runtime::make_error(errc::rejected,
                                 which + ": ids are limited to " +
                                   std::to_string(limits.max_id_bytes) +
                                   " bytes");
    if (c.values.empty() || c.values.size() != dim)
      return runtime::make_error(
        errc::rejected,
        which + " has " + std::to_string(c.values.size()) +
          " values, the first chunk " + std::to_string(dim) +
          " (one index, one dimension)");
    if (!all_finite(c.values))
      return runtime::make_error(errc::rejected,
                                 which + " has a value that is NaN or "
                                         "infinite");
    std::string item = "{\"id\":" + dump_json(c.id) + ",\"values\":";
    append_floats(item, c.values);
    item += ",\"metadata\":";
    item += metadata_text(c.metadata, limits.max_metadata_bytes);
    item += '}';
    if (head.size() + item.size() + tail.size() > limits.max_request_bytes)
      return runtime::make_error(errc::rejected,
                                 which +
                                   " alone is over the request limit "
                                   "of " +
                                   std::to_string(limits.max_request_bytes) +
                                   " bytes");
    auto grown =
      cur.body.size() + (cur.items > 0 ? 1 : 0) + item.size() + tail.size();
    if (cur.items > 0 &&
        (cur.items == limits.max_vectors || grown > limits.max_request_bytes)) {
      close();
      open();
    }
    if (cur.items > 0) cur.body += ',';
    cur.body += item;
    ++cur.items;
  }
  if (cur.items > 0) close();
  return out;
}

caf::expected<http_call> pinecone_query(const query& q, const std::string& ns) {
  if (auto err = check_query(q)) return err;
  json filter;
  if (!q.filter.empty()) {
    auto all = json::array();
    for (auto& [field, value] : q.filter)
      all.push_back({ { field, { { "$eq", value } } } });
    filter = all.size() == 1 ? all.front() : json{ { "$and", all } };
  }
  http_call call;
  call.path = "/query";
  call.body = "{\"vector\":";
  append_floats(call.body, q.values);
  call.body += ",\"topK\":" + std::to_string(std::min(q.k, max_top_k)) +
               ",\"namespace\":" + dump_json(ns) +
               ",\"includeMetadata\":true,\"includeValues\":false";
  if (!filter.is_null()) call.body += ",\"filter\":" + dump_json(filter);
  call.body += '}';
  return call;
}

std::vector<http_call> pinecone_delete(const std::vector<std::string>& ids,
                                       const std::string& ns,
                                       const pinecone_limits& limits) {
  std::vector<http_call> out;
  auto step = std::max<size_t>(1, limits.max_delete_ids);
  for (size_t i = 0; i < ids.size(); i += step) {
    auto end = std::min(ids.size(), i + step);
    json body = {
      { "ids", std::vector<std::string>(ids.begin() + i, ids.begin() + end) },
      { "namespace", ns }
    };
    http_call call;
    call.path = "/vectors/delete";
    call.body = dump_json(body);
    call.items = end - i;
    out.push_back(std::move(call));
  }
  return out;
}

caf::expected<size_t> parse_pinecone_upsert(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_object())
    return runtime::make_error(errc::service_error,
                               "the upsert response is not a JSON object: " +
                                 quote_body(body));
  auto n = j.find("upsertedCount");
  if (n == j.end() || !n->is_number_integer() || n->get<int64_t>() < 0)
    return runtime::make_error(errc::service_error,
                               "the upsert response has no upsertedCount: " +
                                 quote_body(body));
  return static_cast<size_t>(n->get<int64_t>());
}

caf::expected<std::vector<match>> parse_pinecone_query(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  auto ms = j.is_object() ? j.find("matches") : j.end();
  if (!j.is_object() || ms == j.end() || !ms->is_array())
    return runtime::make_error(errc::service_error,
                               "the query response has no matches list: " +
                                 quote_body(body));
  std::vector<match> out;
  for (auto& x : *ms) {
    if (!x.is_object() || !x.contains("id") || !x["id"].is_string())
      return runtime::make_error(errc::service_error,
                                 "a match of the query response has no id: " +
                                   quote_body(dump_json(x)));
    match m;
    m.id = x["id"].get<std::string>();
    // Pinecone omits a score of 0 (proto3 default values are not sent).
    if (auto s = x.find("score"); s != x.end() && s->is_number())
      m.score = s->get<double>();
    if (auto md = x.find("metadata"); md != x.end() && md->is_object())
      m.metadata = metadata_of(*md);
    out.push_back(std::move(m));
  }
  return out;
}

std::string pinecone_message(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    auto* e = &j;
    if (auto i = j.find("error"); i != j.end() && i->is_object()) e = &*i;
    if (auto m = e->find("message"); m != e->end() && m->is_string())
      return clip_message(m->get<std::string>());
  }
  return quote_body(body);
}

} // namespace sophia::actors::pipeline::vector_stores
