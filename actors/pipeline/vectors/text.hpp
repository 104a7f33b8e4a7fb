#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

/// What the vectors stage embeds of a record: its text, cut into chunks.
namespace sophia::actors::pipeline::vectors {

/// How `extract_text` and `chunk_text` cut a record's text.
struct text_limits {
  /// Bytes of one chunk at most: about 150-250 English words, short enough
  /// that one topic dominates a chunk's embedding (a bag of words dilutes
  /// with length) and a result's text is readable as it is.
  size_t chunk_bytes = 1000;
  /// Bytes each chunk repeats of the one before, so that a phrase cut at
  /// a chunk's end is still whole in the next.
  size_t overlap_bytes = 200;
  /// Chunks of one record at most; the text after them is not indexed
  /// (bounds memory and time per record: 64 KB of text).
  size_t max_chunks = 64;
  /// Nesting depth of objects and arrays read for strings.
  size_t max_depth = 8;
};

/// The text of a record's fields: every non-blank string, nested ones
/// included (objects by dotted path, array items under the array's
/// name), one `field: value` line each in the object's key order, so
/// that the field names are searchable too. Fields named `_ab_...` or
/// `_airbyte_...` (CDC and Airbyte metadata) are left out. Empty when the
/// record holds no text (it is then not indexed). Never throws.
std::string extract_text(const nlohmann::json& data,
                         const text_limits& limits = {});

/// `text` in chunks of at most `chunk_bytes` bytes, each after the first
/// starting about `overlap_bytes` before the end of the one before. A cut
/// falls on whitespace when there is some in the chunk's second half, and
/// never inside a UTF-8 sequence. At most `max_chunks`; none for an empty
/// text.
std::vector<std::string> chunk_text(std::string_view text,
                                    const text_limits& limits = {});

} // namespace sophia::actors::pipeline::vectors
