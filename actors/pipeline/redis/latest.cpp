#include "actors/pipeline/redis/latest.hpp"

#include <charconv>

#include "actors/pipeline/redis/keys.hpp"

namespace sophia::actors::pipeline::redis {

std::variant<std::optional<latest_value>, std::string>
latest(connection& c, std::string_view table, std::string_view key_json) {
  auto key = latest_key(table, key_json);
  auto r = c.command({"HGETALL", key});
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  auto& rep = std::get<reply>(r);
  if (!rep.is(reply::kind::array))
    return "redis " + c.where().text() + ": HGETALL " + key
           + ": unexpected reply (not an array)";
  if (rep.elements.empty())
    return std::optional<latest_value>{};
  latest_value out;
  for (size_t i = 0; i + 1 < rep.elements.size(); i += 2) {
    auto& field = rep.elements[i].text;
    auto& value = rep.elements[i + 1].text;
    if (field == "data")
      out.data = value;
    else if (field == "cursor")
      out.cursor = value;
    else if (field == "emitted_at")
      std::from_chars(value.data(), value.data() + value.size(),
                      out.emitted_at_ms);
  }
  return std::optional<latest_value>{std::move(out)};
}

} // namespace sophia::actors::pipeline::redis
