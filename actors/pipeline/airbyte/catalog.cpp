#include "actors/pipeline/airbyte/catalog.hpp"

#include <set>

#include "actors/pipeline/airbyte/json_fields.hpp"

namespace sophia::actors::pipeline::airbyte {

namespace f = fields;

const configured_stream* configured_catalog::find(const stream_id& id) const {
  for (auto& s : streams)
    if (s.id == id) return &s;
  return nullptr;
}

namespace {

using stream_result = std::variant<configured_stream, std::string>;

/// A field path (["a"]) that must name one top-level field; on failure
/// `err` says why.
std::optional<std::string> top_level(const nlohmann::json& path,
                                     const std::string& at, std::string& err) {
  if (!path.is_array()) {
    err = f::expected(at, "an array of field names", path);
    return std::nullopt;
  }
  if (path.size() != 1 || !path[0].is_string()) {
    err = at + ": " + path.dump()
          + " is not one top-level field (nested fields are not supported)";
    return std::nullopt;
  }
  return path[0].get<std::string>();
}

std::optional<int64_t> integer(const nlohmann::json& obj, const char* key,
                               const std::string& at, std::string& err) {
  auto* v = f::find(obj, key);
  if (v == nullptr) return int64_t{ 0 };
  if (!v->is_number_integer()) {
    err = f::expected(at + "/" + key, "an integer", *v);
    return std::nullopt;
  }
  return v->get<int64_t>();
}

stream_result parse_stream(const nlohmann::json& cs, const std::string& at) {
  if (!cs.is_object()) return f::expected(at, "an object", cs);
  configured_stream out;
  std::string err;
  auto* stream = f::find(cs, "stream");
  if (stream == nullptr) return at + "/stream: missing";
  if (!stream->is_object()) return f::expected(at + "/stream", "an object", *stream);
  auto name = f::string_field(*stream, "name", at + "/stream", err);
  if (!name) return err;
  if (name->empty()) return at + "/stream/name: empty";
  out.id.name = std::move(*name);
  out.id.ns = f::optional_string(*stream, "namespace", at + "/stream", err);
  if (!err.empty()) return err;
  if (auto* schema = f::find(*stream, "json_schema")) {
    if (!schema->is_object())
      return f::expected(at + "/stream/json_schema", "an object", *schema);
    out.json_schema = *schema;
  }
  auto sync = f::string_field(cs, "sync_mode", at, err);
  if (!sync) return err;
  if (*sync == "full_refresh")
    out.sync = sync_mode::full_refresh;
  else if (*sync == "incremental")
    out.sync = sync_mode::incremental;
  else
    return at + "/sync_mode: '" + *sync
           + "' is neither full_refresh nor incremental";
  auto dest = f::string_field(cs, "destination_sync_mode", at, err);
  if (!dest) return err;
  if (*dest == "append" || *dest == "overwrite") {
    out.mode = write_mode::append;
  } else if (*dest == "append_dedup") {
    out.mode = write_mode::append_dedup;
  } else if (*dest == "update" || *dest == "soft_delete") {
    return at + "/destination_sync_mode: '" + *dest
           + "' is not supported by this destination (append, append_dedup"
             " or overwrite)";
  } else {
    return at + "/destination_sync_mode: '" + *dest
           + "' is none of append, append_dedup, overwrite";
  }
  if (auto* pk = f::find(cs, "primary_key")) {
    if (!pk->is_array())
      return f::expected(at + "/primary_key", "an array of field paths", *pk);
    for (size_t i = 0; i < pk->size(); ++i) {
      auto field = top_level((*pk)[i], at + "/primary_key/" + std::to_string(i),
                             err);
      if (!field) return err;
      out.primary_key.push_back(std::move(*field));
    }
  }
  if (auto* cursor = f::find(cs, "cursor_field");
      cursor != nullptr && !(cursor->is_array() && cursor->empty())) {
    auto field = top_level(*cursor, at + "/cursor_field", err);
    if (!field) return err;
    out.cursor = std::move(*field);
  }
  if (out.mode == write_mode::append_dedup && out.primary_key.empty())
    return at + "/primary_key: append_dedup needs a primary key";
  auto gen = integer(cs, "generation_id", at, err);
  auto min_gen = integer(cs, "minimum_generation_id", at, err);
  auto sync_id = integer(cs, "sync_id", at, err);
  if (!gen || !min_gen || !sync_id) return err;
  out.generation_id = *gen;
  out.minimum_generation_id = *min_gen;
  out.sync_id = *sync_id;
  if (out.minimum_generation_id != 0
      && out.minimum_generation_id != out.generation_id)
    return at + "/minimum_generation_id: "
           + std::to_string(out.minimum_generation_id) + " is neither 0 (keep"
           " earlier generations) nor the generation_id "
           + std::to_string(out.generation_id)
           + " (replace them): hybrid refreshes are not supported";
  out.truncate = *dest == "overwrite"
                 || (out.generation_id != 0
                     && out.minimum_generation_id == out.generation_id);
  return out;
}

} // namespace

std::variant<configured_catalog, std::string>
parse_catalog(const nlohmann::json& doc) {
  if (!doc.is_object()) return f::expected("/", "a catalog object", doc);
  auto* streams = f::find(doc, "streams");
  if (streams == nullptr) return std::string{ "/streams: missing" };
  if (!streams->is_array()) return f::expected("/streams", "an array", *streams);
  configured_catalog out;
  std::set<stream_id> seen;
  for (size_t i = 0; i < streams->size(); ++i) {
    auto at = "/streams/" + std::to_string(i);
    auto s = parse_stream((*streams)[i], at);
    if (auto* e = std::get_if<std::string>(&s)) return *e;
    auto& cs = std::get<configured_stream>(s);
    if (!seen.insert(cs.id).second)
      return at + "/stream: '" + cs.id.text() + "' is configured twice";
    out.streams.push_back(std::move(cs));
  }
  return out;
}

} // namespace sophia::actors::pipeline::airbyte
