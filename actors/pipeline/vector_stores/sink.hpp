#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "runtime/http/client.hpp"

namespace sophia::runtime::config {
struct service_config;
} // namespace sophia::runtime::config

/// The actor that writes embedded chunks to a vector database (Pinecone or
/// Weaviate) and queries it, through Sophia's HTTP client actor under the
/// service's name, so that `[services.NAME]`'s retries, breaker and limits
/// apply (the sink sets that policy on the client when it starts).
///
/// Wiring, e.g. in the pipeline worker, for a configured `[services.pinecone]`:
///
///     auto key = runtime::config::resolve_secret(svc.api_key);
///     auto settings = vector_stores::sink_settings_of(svc, *key);
///     if (settings) sink = vector_stores::spawn_sink(sys, http, *settings);
///
/// Messages (every error is a `caf::error` whose text names the service, and
/// for an HTTP failure its status and the service's own message):
/// - `(upsert, std::string chunks)` -> `uint64_t`: stores chunks given as
///   JSON, `[{"id","values":[...],"metadata":{"source","stream","table",
///   "key","text"}}]` (`chunks_from_json` in `vector_store.hpp`), in
///   batches the store accepts, one request at a time; replies the number
///   stored. A batch that fails stops the rest (the error says how many were
///   stored before); upserting again is safe, ids overwrite.
/// - `(query, std::vector<float> vector, uint64_t k)` -> `std::string`:
///   the k nearest as JSON, `[{"id","score","metadata":{...}}]`, nearest
///   first (`matches_from_json`; the score's meaning: `match` in
///   `vector_store.hpp`).
/// - `(query, std::vector<float> vector, uint64_t k, std::string filter)`:
///   the same among chunks whose metadata equals `filter`, a JSON object of
///   strings over `source`, `stream`, `table`, `key`.
/// - `(remove, std::vector<std::string> ids)` -> `uint64_t`: deletes by our
///   ids; replies how many ids were sent (Pinecone does not say which
///   existed) or, for Weaviate, how many existed.
///
/// Error codes (`runtime/error.hpp`): `rejected` (bad input, nothing sent),
/// `service_error` (an HTTP error status, a response that is not the
/// store's format, Weaviate objects that failed), and the HTTP client's own
/// for transport failures: `unreachable`, `deadline_exceeded`,
/// `unavailable` (the breaker is open).
namespace sophia::actors::pipeline::vector_stores {

namespace atoms {

using upsert = caf::atom_constant<caf::atom("vsupsert")>;
using query = caf::atom_constant<caf::atom("vsquery")>;
using remove = caf::atom_constant<caf::atom("vsdelete")>;

} // namespace atoms

enum class store_kind { pinecone, weaviate };

/// What a sink needs to know about its store.
struct sink_settings {
  /// `[services.NAME]`'s NAME: the HTTP client's policy, breaker and
  /// metrics, and the start of every error text.
  std::string service;
  store_kind kind = store_kind::pinecone;
  /// Pinecone: the index host; Weaviate: the root, without `/v1` (paths
  /// are appended). No trailing slash.
  std::string base_url;
  /// The resolved key (Weaviate: empty for anonymous access).
  std::string api_key;
  /// The api_key reference as written in cluster.conf, for 401 texts.
  std::string secret_ref;
  /// Pinecone: the namespace; Weaviate: the class (checked).
  std::string collection;
  runtime::http::policy policy;
};

/// The store of `[services.NAME]`: `pinecone` or `weaviate` by NAME; fails
/// (`not_found`) for another NAME.
caf::expected<store_kind> store_kind_of(const std::string& service);

/// The settings of a configured `[services.pinecone]` or
/// `[services.weaviate]`, with its api_key already resolved to `api_key`;
/// fails (`bad_config`) for a missing base_url, a missing Pinecone key or
/// a collection that is no Weaviate class name.
caf::expected<sink_settings> sink_settings_of(
  const runtime::config::service_config& svc,
  const std::string& api_key);

/// Spawns a sink that sends through `http`; it sets `settings.policy` for
/// `settings.service` on `http` first.
caf::actor spawn_sink(caf::actor_system& sys,
                      caf::actor http,
                      sink_settings settings);

} // namespace sophia::actors::pipeline::vector_stores
