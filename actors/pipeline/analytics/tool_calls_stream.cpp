#include "actors/pipeline/analytics/tool_calls_stream.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace sophia::actors::pipeline::analytics {

using nlohmann::json;

const json& tool_calls_catalog() {
  static const json catalog = [] {
    auto schema = json::parse(R"({"type":"object","properties":{
      "id":{"type":"string"},
      "at":{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"},
      "node":{"type":"string"},
      "key":{"type":["null","string"]},
      "session":{"type":"string"},
      "tool":{"type":"string"},
      "service":{"type":"string"},
      "duration_ms":{"type":"number"},
      "outcome":{"type":"string"},
      "error":{"type":["null","string"]},
      "model":{"type":["null","string"]},
      "tokens_in":{"type":["null","integer"]},
      "tokens_out":{"type":["null","integer"]},
      "cost_usd":{"type":["null","number"]}}})");
    return json{{"streams",
                 {{{"stream",
                    {{"name", stream_name},
                     {"namespace", stream_namespace},
                     {"json_schema", schema},
                     {"supported_sync_modes", {"incremental"}}}},
                   {"sync_mode", "incremental"},
                   {"destination_sync_mode", "append_dedup"},
                   {"primary_key", {{"id"}}},
                   {"cursor_field", json::array()}}}}};
  }();
  return catalog;
}

std::string record_message(const json& data, int64_t emitted_at_ms) {
  return json{{"type", "RECORD"},
              {"record",
               {{"stream", stream_name},
                {"namespace", stream_namespace},
                {"data", data},
                {"emitted_at", emitted_at_ms}}}}
    .dump();
}

std::string state_message(const std::string& spool, uint64_t segment,
                          uint64_t offset) {
  return json{{"type", "STATE"},
              {"state",
               {{"type", "STREAM"},
                {"stream",
                 {{"stream_descriptor",
                   {{"name", stream_name}, {"namespace", stream_namespace}}},
                  {"stream_state",
                   {{"spool", spool}, {"segment", segment}, {"offset", offset}}}}}}}}
    .dump();
}

int64_t parse_utc_ms(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, n = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h,
                  &mi, &s, &n) != 6)
    return -1;
  int64_t ms = 0;
  size_t i = static_cast<size_t>(n);
  if (i < text.size() && text[i] == '.') {
    int digits = 0;
    for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i)
      if (digits++ < 3)
        ms = ms * 10 + (text[i] - '0');
    for (; digits < 3; ++digits)
      ms *= 10;
  }
  if (i >= text.size() || (text[i] != 'Z' && text[i] != 'z') || mo < 1 || mo > 12
      || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    return -1;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

std::string format_utc_ms(int64_t ms) {
  auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

} // namespace sophia::actors::pipeline::analytics
