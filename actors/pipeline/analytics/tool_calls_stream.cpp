#include "actors/pipeline/analytics/tool_calls_stream.hpp"

#include "actors/pipeline/airbyte/own_stream.hpp"

namespace sophia::actors::pipeline::analytics {

using nlohmann::json;

namespace {

const airbyte::own_stream& stream() {
  static const airbyte::own_stream s{
    stream_name, stream_namespace,
    json::parse(R"({"type":"object","properties":{
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
      "cost_usd":{"type":["null","number"]}}})"),
    "id"};
  return s;
}

} // namespace

const json& tool_calls_catalog() {
  static const json catalog = airbyte::own_catalog(stream());
  return catalog;
}

std::string record_message(const json& data, int64_t emitted_at_ms) {
  return airbyte::own_record(stream(), data, emitted_at_ms).dump();
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
