#include "actors/pipeline/airbyte/own_stream.hpp"

namespace sophia::actors::pipeline::airbyte {

using nlohmann::json;

json own_catalog(const own_stream& s) {
  return json{{"streams",
               {{{"stream",
                  {{"name", s.name},
                   {"namespace", s.namespace_},
                   {"json_schema", s.json_schema},
                   {"supported_sync_modes", {"incremental"}}}},
                 {"sync_mode", "incremental"},
                 {"destination_sync_mode", "append_dedup"},
                 {"primary_key", {{s.key}}},
                 {"cursor_field", json::array()}}}}};
}

json own_record(const own_stream& s, json data, int64_t emitted_at_ms) {
  return {{"type", "RECORD"},
          {"record",
           {{"stream", s.name},
            {"namespace", s.namespace_},
            {"data", std::move(data)},
            {"emitted_at", emitted_at_ms}}}};
}

} // namespace sophia::actors::pipeline::airbyte
