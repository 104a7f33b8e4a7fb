#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

/// The streams Sophia itself feeds into its pipeline (the edges' tool
/// calls, the router's AI interactions): one append_dedup stream each,
/// keyed by one field, so that a record sent again replaces itself. Kept
/// apart from the pipeline's writer so that producers on other roles (the
/// optimizer) need no PostgreSQL client to build their messages.
namespace sophia::actors::pipeline::airbyte {

/// One of Sophia's own streams: `namespace_.name`, its JSON schema and the
/// field that keys it.
struct own_stream {
  std::string name;
  std::string namespace_;
  nlohmann::json json_schema;
  std::string key;
};

/// The ConfiguredAirbyteCatalog of `s` alone: incremental, append_dedup by
/// `s.key`, no cursor (a later record replaces an earlier one).
nlohmann::json own_catalog(const own_stream& s);

/// A RECORD message of `s` carrying `data`, emitted at `emitted_at_ms`.
nlohmann::json own_record(const own_stream& s, nlohmann::json data,
                          int64_t emitted_at_ms);

} // namespace sophia::actors::pipeline::airbyte
