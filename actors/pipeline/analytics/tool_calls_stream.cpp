#include "actors/pipeline/analytics/tool_calls_stream.hpp"

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

} // namespace sophia::actors::pipeline::analytics
