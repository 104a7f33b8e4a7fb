#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "actors/pipeline/vector_stores/vector_store.hpp"

/// Weaviate's REST and GraphQL API (`/v1`), as plain request builders and
/// response parsers. Authentication is `Authorization: Bearer <api key>`.
///
/// - `POST /v1/batch/objects` `{"objects":[{"class","id","properties",
///   "vector"}]}` -> 200 with one result per object; a failed object has
///   `result.errors.error[].message` (the request itself still succeeded);
/// - `POST /v1/graphql` `{"query":"{ Get { Class(nearVector: {vector:
///   [...]}, limit: K) { props _additional { id distance } } } }"}` ->
///   `{"data":{"Get":{"Class":[...]}}}`, errors (also with 200) in
///   `errors[].message`;
/// - `DELETE /v1/objects/{class}/{id}` -> 204 (404: no such object);
/// - REST errors: `{"error":[{"message"}]}` (401: `{"code","message"}`).
///
/// Weaviate's object ids must be UUIDs: ours (any string) maps to a
/// deterministic UUID v5 (`weaviate_uuid`), so a re-ingest overwrites, and
/// is kept in the `chunk_id` property, which queries return as the match id.
/// The other properties are the metadata's fields by name.
///
/// Errors of the builders and parsers are `errc::service_error` (bad input:
/// `errc::rejected`), their text without the service's name, which the sink
/// puts in front.
namespace sophia::actors::pipeline::vector_stores {

struct weaviate_limits {
  /// Objects per batch request (Weaviate's clients batch by 100).
  size_t max_objects = 100;
  /// Bytes of one batch request body.
  size_t max_request_bytes = 8 * 1024 * 1024;
};

/// The class chunks go to when `[services.weaviate] collection` is empty.
inline constexpr std::string_view default_weaviate_class = "SophiaChunk";

/// The namespace of `weaviate_uuid` (a random UUID, fixed for good: changing
/// it would orphan every stored object).
inline constexpr std::string_view weaviate_uuid_namespace =
  "3b241101-e2bb-4255-8caf-4136c566a962";

/// The class name to use for `configured`: empty gives the default; the
/// first letter is upper-cased as Weaviate does; anything but
/// `[A-Za-z][_0-9A-Za-z]{0,254}` is refused, which also makes the name safe
/// to put in a GraphQL query.
caf::expected<std::string> weaviate_class(std::string_view configured);

/// The UUID v5 of `id` in `weaviate_uuid_namespace`, lower-case hex
/// ("8-4-4-4-12"); the same for the same id, everywhere.
std::string weaviate_uuid(std::string_view id);

/// The batch requests for `chunks` into class `cls` (already checked by
/// `weaviate_class`); fails for an empty id, a non-finite value or
/// dimensions that differ between chunks.
caf::expected<std::vector<http_call>> weaviate_batch(
  const std::vector<chunk>& chunks,
  const std::string& cls,
  const weaviate_limits& limits = {});

/// The GraphQL nearVector query for `q` on `cls`, asking for every property
/// and `_additional { id distance }`; a filter becomes `where` with
/// `operator: Equal` and `valueText` (several: `And`), its strings escaped.
caf::expected<http_call> weaviate_query(const query& q, const std::string& cls);

/// The delete request of our `id` in `cls`.
http_call weaviate_delete(const std::string& cls, std::string_view id);

/// The number of objects stored by a batch response; fails when any object
/// failed, naming how many and the first ones' ids and messages.
caf::expected<size_t> parse_weaviate_batch(std::string_view body);

/// The matches of a GraphQL response for class `cls`, nearest first, with
/// `score = 1 - distance`; fails on GraphQL `errors`.
caf::expected<std::vector<match>> parse_weaviate_query(std::string_view body,
                                                       const std::string& cls);

/// The message of a Weaviate error body (`{"error":[{"message"}]}`,
/// `{"code","message"}`, GraphQL `{"errors":[{"message"}]}`); else the
/// body's start.
std::string weaviate_message(std::string_view body);

} // namespace sophia::actors::pipeline::vector_stores
