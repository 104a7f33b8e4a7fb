#pragma once

#include <cstdint>
#include <string>
#include <vector>

/// Redis for the pipeline: the stage after PostgreSQL that keeps the
/// latest version of each record by key, and an event stream per table.
namespace sophia::actors::pipeline::redis {

/// One Redis reply (RESP2), copied out of hiredis so that it outlives the
/// connection and needs no hiredis header.
struct reply {
  enum class kind {
    nil,
    integer,
    string,
    array,
    status,
    /// An error reply. `connection::command` turns a top-level one into
    /// its error text; it stays a value in a pipeline's replies (each
    /// command fails on its own) and inside arrays.
    error,
  };

  kind type = kind::nil;
  /// `integer`'s value.
  int64_t integer = 0;
  /// `string`'s bytes, `status`'s or `error`'s text.
  std::string text;
  /// `array`'s elements.
  std::vector<reply> elements;

  /// Whether this is `type`.
  bool is(kind k) const { return type == k; }
};

} // namespace sophia::actors::pipeline::redis
