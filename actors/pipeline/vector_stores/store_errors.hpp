#pragma once

#include <string>
#include <string_view>

#include <caf/error.hpp>

#include "actors/pipeline/vector_stores/vector_store.hpp"

/// What the Pinecone and Weaviate builders and parsers share to report a
/// problem: a service's message quoted within bounds, and the checks of a
/// query both stores need.
namespace sophia::actors::pipeline::vector_stores {

/// `text` on one line, at most 300 bytes (longer: cut, with "...").
std::string clip_message(std::string text);

/// A response body for an error text: clipped, "(empty body)" when empty.
std::string quote_body(std::string_view body);

/// `errc::rejected` for a query the stores cannot take: no values, a value
/// that is NaN or infinite, k = 0, a filter on an unknown field; else none.
caf::error check_query(const query& q);

} // namespace sophia::actors::pipeline::vector_stores
