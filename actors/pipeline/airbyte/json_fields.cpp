#include "actors/pipeline/airbyte/json_fields.hpp"

namespace sophia::actors::pipeline::airbyte::fields {

std::string type_name(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "object";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::boolean:
      return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "integer";
    case nlohmann::json::value_t::number_float:
      return "number";
    default:
      return "binary";
  }
}

std::string expected(const std::string& pointer, const char* what,
                     const nlohmann::json& got) {
  return pointer + ": expected " + what + ", got " + type_name(got);
}

const nlohmann::json* find(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto i = obj.find(key);
  if (i == obj.end() || i->is_null()) return nullptr;
  return &*i;
}

std::optional<std::string> string_field(const nlohmann::json& obj,
                                        const char* key,
                                        const std::string& at,
                                        std::string& err) {
  auto v = optional_string(obj, key, at, err);
  if (!v && err.empty()) err = at + "/" + key + ": missing";
  return v;
}

std::optional<std::string> optional_string(const nlohmann::json& obj,
                                           const char* key,
                                           const std::string& at,
                                           std::string& err) {
  auto* v = find(obj, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    err = expected(at + "/" + key, "a string", *v);
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<stream_id> descriptor(const nlohmann::json& obj,
                                    const char* key, const std::string& at,
                                    std::string& err) {
  auto pointer = at + "/" + key;
  auto* d = find(obj, key);
  if (d == nullptr) {
    err = pointer + ": missing";
    return std::nullopt;
  }
  if (!d->is_object()) {
    err = expected(pointer, "an object", *d);
    return std::nullopt;
  }
  stream_id id;
  auto name = string_field(*d, "name", pointer, err);
  if (!name) return std::nullopt;
  if (name->empty()) {
    err = pointer + "/name: empty";
    return std::nullopt;
  }
  id.name = std::move(*name);
  id.ns = optional_string(*d, "namespace", pointer, err);
  if (!err.empty()) return std::nullopt;
  return id;
}

} // namespace sophia::actors::pipeline::airbyte::fields
