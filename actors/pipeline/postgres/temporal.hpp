#pragma once

#include <string_view>

/// Checks of ISO 8601 dates and times before they go into a COPY: one
/// value PostgreSQL refuses would fail the whole batch, so the pipeline
/// accepts only what PostgreSQL parses the same way, and a value that
/// does not pass becomes NULL with a DESTINATION_TYPECAST_ERROR change.
namespace sophia::actors::pipeline::postgres::temporal {

/// `YYYY-MM-DD` (years 1 to 5874897), a real calendar day.
bool is_date(std::string_view s);

/// `HH:MM[:SS[.fraction]]`, 00:00 to 24:00:00; with `zone`, optionally
/// followed by `Z`, `±HH`, `±HH:MM` or `±HHMM` (offsets up to 15:59).
bool is_time(std::string_view s, bool zone);

/// A date, then `T` or a space and a time with an optional offset, or a
/// date alone (midnight). Years up to 294276. Without `zone` an offset is
/// accepted and ignored, as PostgreSQL's `timestamp` does.
bool is_timestamp(std::string_view s, bool zone);

} // namespace sophia::actors::pipeline::postgres::temporal
