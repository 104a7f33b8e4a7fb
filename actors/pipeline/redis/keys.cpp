#include "actors/pipeline/redis/keys.hpp"

namespace sophia::actors::pipeline::redis {

std::string latest_key(std::string_view table, std::string_view key_json) {
  std::string out;
  out.reserve(8 + table.size() + key_json.size());
  out += "sophia:";
  out += table;
  out += ':';
  out += key_json;
  return out;
}

std::string events_key(std::string_view table) {
  std::string out{"sophia:events:"};
  out += table;
  return out;
}

std::string compact(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string key_json(const nlohmann::json& data,
                     const std::vector<std::string>& fields) {
  auto values = nlohmann::json::array();
  for (auto& f : fields) {
    auto it = data.is_object() ? data.find(f) : data.end();
    values.push_back(it != data.end() ? *it : nlohmann::json{});
  }
  return compact(values);
}

} // namespace sophia::actors::pipeline::redis
