#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

/// The Airbyte protocol (v0.18) as the pipeline reads it: one
/// AirbyteMessage per line of JSON, from a source's `read` or from
/// `pipeline.ingest`.
namespace sophia::actors::pipeline::airbyte {

/// A stream's identity: its name, and its namespace (none: the
/// destination's default schema).
struct stream_id {
  std::string name;
  std::optional<std::string> ns;

  auto operator<=>(const stream_id&) const = default;

  /// "ns.name", or "name".
  std::string text() const;
};

/// A change made to one field of a record before it arrived (by the
/// source) or on the way in (by the pipeline), e.g. NULLED because of
/// SOURCE_SERIALIZATION_ERROR; kept in the record's `_airbyte_meta`.
struct field_change {
  std::string field;
  std::string change;
  std::string reason;

  bool operator==(const field_change&) const = default;
};

/// RECORD: one record of a stream.
struct record {
  stream_id stream;
  /// The record's fields, an object.
  nlohmann::json data;
  /// When the source emitted it, epoch milliseconds.
  int64_t emitted_at_ms = 0;
  /// `meta.changes`, as the source sent them.
  std::vector<field_change> changes;
};

/// STATE: a checkpoint of the source. The pipeline acknowledges it (and
/// hands it back to the source on the next read) only once everything
/// before it is committed.
struct state {
  enum class kind { legacy, stream, global };
  kind type = kind::legacy;
  /// STREAM: the stream it covers.
  std::optional<stream_id> stream;
  /// GLOBAL: the streams its `stream_states` cover.
  std::vector<stream_id> streams;
  /// The message's `state` object as received.
  nlohmann::json raw;
  /// `sourceStats.recordCount`, when the source counted.
  std::optional<double> source_record_count;
};

/// TRACE of type STREAM_STATUS: where a stream's sync stands. Only a
/// stream that ended COMPLETE may replace its previous data (overwrite).
struct stream_status {
  enum class value { started, running, complete, incomplete };
  stream_id stream;
  value status = value::started;
};

/// Every other message (LOG, TRACE ERROR/ESTIMATE/ANALYTICS, CONTROL,
/// SPEC, CATALOG, CONNECTION_STATUS, DESTINATION_CATALOG), kept whole.
struct other {
  std::string type;
  nlohmann::json raw;
};

using message = std::variant<record, state, stream_status, other>;

/// Parses one line. Fails with one line that names what is wrong, never
/// throws: "N bytes, over the limit of M", "not JSON: ...", or
/// "POINTER: reason" with POINTER into the message, e.g.
/// "/record/emitted_at: expected an integer, got string".
std::variant<message, std::string> parse_message(std::string_view line,
                                                 size_t max_bytes);

/// Parses the `state` object of a STATE message (also what a source is
/// given back with `--state`). Errors as `parse_message`'s, the pointer
/// relative to `at`.
std::variant<state, std::string> parse_state(const nlohmann::json& doc,
                                             const std::string& at = "");

/// Whether a line holds no message (empty or blanks only).
bool is_blank(std::string_view line);

} // namespace sophia::actors::pipeline::airbyte
