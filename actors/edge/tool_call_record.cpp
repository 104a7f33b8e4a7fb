#include "actors/edge/tool_call_record.hpp"

#include <nlohmann/json.hpp>

#include "actors/edge/session.hpp"
#include "runtime/utc.hpp"

namespace sophia::actors::edge {

using json = nlohmann::json;

namespace {

// The error text of a JSON-RPC error or of a tool error result.
std::string error_text(const std::string& answer) {
  auto doc = json::parse(answer, nullptr, false);
  if (!doc.is_object()) return "malformed answer";
  std::string out;
  if (auto e = doc.find("error"); e != doc.end() && e->is_object()) {
    out = e->value("message", std::string{});
  } else if (auto r = doc.find("result"); r != doc.end() && r->is_object()) {
    if (auto c = r->find("content"); c != r->end() && c->is_array())
      for (auto& item : *c)
        if (item.is_object() && item.value("type", "") == "text")
          out += item.value("text", std::string{});
  }
  if (out.size() > 1000) out.resize(1000);
  return out;
}

} // namespace

bool tool_call_succeeded(const std::string& answer) {
  return answer.find("\"result\"") != std::string::npos &&
         answer.find("\"isError\":true") == std::string::npos;
}

std::string tool_call_record(const std::string& node,
                             const session& s,
                             const inflight& r,
                             const std::string& service,
                             const std::string& answer,
                             std::chrono::system_clock::time_point wall_now,
                             std::chrono::steady_clock::time_point now) {
  auto took = r.started == std::chrono::steady_clock::time_point{}
                ? std::chrono::steady_clock::duration::zero()
                : now - r.started;
  bool failed = !tool_call_succeeded(answer);
  json rec{
    { "at",
      runtime::format_utc(wall_now -
             std::chrono::duration_cast<std::chrono::system_clock::duration>(
               took)) },
    { "node", node },
    { "key", s.key ? json(s.key->first) : json() },
    { "session", s.id },
    { "tool", r.tool },
    { "service", service },
    { "duration_ms", std::chrono::duration<double, std::milli>(took).count() },
    { "outcome", !failed ? "ok" : r.timed_out ? "timeout" : "error" },
    { "error", failed ? json(error_text(answer)) : json() },
  };
  // Invalid UTF-8 (a provider's odd text) must not lose the record.
  return rec.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace sophia::actors::edge
