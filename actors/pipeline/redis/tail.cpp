#include "actors/pipeline/redis/tail.hpp"

#include <algorithm>
#include <charconv>

#include "actors/pipeline/redis/keys.hpp"

namespace sophia::actors::pipeline::redis {

namespace {

std::string shape_error(connection& c, const std::string& what) {
  return "redis " + c.where().text() + ": " + what
         + ": unexpected reply (not stream entries)";
}

// Entries `[[id, [field, value, ...]], ...]` into events; false when the
// reply has another shape.
bool decode(const reply& r, std::vector<event>& out) {
  if (!r.is(reply::kind::array))
    return false;
  out.reserve(out.size() + r.elements.size());
  for (auto& entry : r.elements) {
    if (!entry.is(reply::kind::array) || entry.elements.size() != 2)
      return false;
    auto& fields = entry.elements[1];
    if (!fields.is(reply::kind::array))
      return false;
    event e;
    e.id = entry.elements[0].text;
    for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
      auto& name = fields.elements[i].text;
      auto& value = fields.elements[i + 1].text;
      if (name == "op")
        e.op = value;
      else if (name == "key")
        e.key = value;
      else if (name == "data")
        e.data = value;
      else if (name == "emitted_at")
        std::from_chars(value.data(), value.data() + value.size(),
                        e.emitted_at_ms);
    }
    out.push_back(std::move(e));
  }
  return true;
}

} // namespace

events_result last_events(connection& c, std::string_view table,
                          size_t count) {
  std::vector<event> out;
  if (count == 0)
    return out;
  auto key = events_key(table);
  auto n = std::to_string(count);
  auto r = c.command({"XREVRANGE", key, "+", "-", "COUNT", n});
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  if (!decode(std::get<reply>(r), out))
    return shape_error(c, "XREVRANGE " + key);
  std::reverse(out.begin(), out.end());
  return out;
}

events_result events_after(connection& c, std::string_view table,
                           std::string_view id, size_t count) {
  std::vector<event> out;
  if (count == 0)
    return out;
  auto key = events_key(table);
  auto start = "(" + std::string{id}; // exclusive (Redis 6.2+)
  auto n = std::to_string(count);
  auto r = c.command({"XRANGE", key, start, "+", "COUNT", n});
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  if (!decode(std::get<reply>(r), out))
    return shape_error(c, "XRANGE " + key);
  return out;
}

events_result follow_events(connection& c, std::string_view table,
                            std::string_view id, size_t count,
                            std::chrono::milliseconds block) {
  std::vector<event> out;
  if (count == 0)
    return out;
  auto key = events_key(table);
  auto n = std::to_string(count);
  auto ms = std::to_string(block.count());
  std::string_view argv[] = {"XREAD", "COUNT", n,   "BLOCK",
                             ms,      "STREAMS", key, id};
  auto r = c.command_waiting(argv, block);
  if (auto* err = std::get_if<std::string>(&r))
    return *err;
  auto& rep = std::get<reply>(r);
  if (rep.is(reply::kind::nil))
    return out; // nothing within `block`
  // [[key, entries]]: one stream asked, one answered.
  if (!rep.is(reply::kind::array) || rep.elements.size() != 1
      || rep.elements[0].elements.size() != 2
      || !decode(rep.elements[0].elements[1], out))
    return shape_error(c, "XREAD " + key);
  return out;
}

} // namespace sophia::actors::pipeline::redis
