#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "actors/pipeline/vector_stores/vector_store.hpp"

/// Pinecone's data plane (API version 2025-04), as plain request builders
/// and response parsers. The base URL is the index's own host (the control
/// plane's `GET /indexes/NAME` gives it); authentication is `Api-Key`.
///
/// - `POST /vectors/upsert` `{"vectors":[{"id","values","metadata"}],
///   "namespace"}` -> `{"upsertedCount":N}`;
/// - `POST /query` `{"vector","topK","namespace","includeMetadata":true,
///   "includeValues":false,"filter"?}` -> `{"matches":[{"id","score",
///   "metadata"}],"namespace"}`;
/// - `POST /vectors/delete` `{"ids":[...],"namespace"}` -> `{}`;
/// - errors: `{"code":<gRPC code>,"message":"..."}` with the HTTP status.
///
/// Errors of the builders and parsers are `errc::service_error` (bad input:
/// `errc::rejected`), their text without the service's name, which the sink
/// puts in front.
namespace sophia::actors::pipeline::vector_stores {

/// Pinecone's limits, as its documentation states them.
struct pinecone_limits {
  /// Vectors per upsert request: Pinecone recommends batches of 100.
  size_t max_vectors = 100;
  /// Bytes of one upsert request body: 2 MB.
  size_t max_request_bytes = 2 * 1024 * 1024;
  /// Bytes of one vector's metadata (40 KB): longer texts are cut.
  size_t max_metadata_bytes = 40 * 1024;
  /// Ids of one delete request: 1000.
  size_t max_delete_ids = 1000;
  /// Bytes of an id: 512.
  size_t max_id_bytes = 512;
};

/// The header that selects the API version the formats here follow.
inline constexpr std::string_view pinecone_api_version = "2025-04";

/// The upsert requests for `chunks`, in order, each within `limits`; fails
/// for an empty or too long id, a non-finite value, dimensions that differ
/// between chunks, or one vector too big for a request on its own.
caf::expected<std::vector<http_call>> pinecone_upsert(
  const std::vector<chunk>& chunks,
  const std::string& ns,
  const pinecone_limits& limits = {});

/// The query request for `q`, with metadata and without values; a filter
/// becomes `{"field":{"$eq":"value"}}` (several: `$and`).
caf::expected<http_call> pinecone_query(const query& q, const std::string& ns);

/// The delete requests for `ids`, at most `limits.max_delete_ids` each.
std::vector<http_call> pinecone_delete(const std::vector<std::string>& ids,
                                       const std::string& ns,
                                       const pinecone_limits& limits = {});

/// `upsertedCount` of an upsert response.
caf::expected<size_t> parse_pinecone_upsert(std::string_view body);

/// The matches of a query response, nearest first as Pinecone sent them.
caf::expected<std::vector<match>> parse_pinecone_query(std::string_view body);

/// The message of a Pinecone error body (`{"code","message"}`, or the
/// control plane's `{"error":{"code","message"}}`); else the body's start.
std::string pinecone_message(std::string_view body);

} // namespace sophia::actors::pipeline::vector_stores
