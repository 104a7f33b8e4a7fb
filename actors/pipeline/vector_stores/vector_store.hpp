#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

/// What the pipeline stores in a vector database and gets back, whichever
/// the database (Pinecone: `pinecone.hpp`, Weaviate: `weaviate.hpp`). The
/// request builders and response parsers of both are plain functions over
/// these types; the actor that sends them is `sink.hpp`.
namespace sophia::actors::pipeline::vector_stores {

/// Where a chunk came from, stored with its vector and returned with every
/// match, so that a hit leads back to its row.
struct chunk_metadata {
  /// The connection (Airbyte source) the row came from.
  std::string source;
  /// The Airbyte stream.
  std::string stream;
  /// The PostgreSQL table the row landed in.
  std::string table;
  /// The row's primary key, as text.
  std::string key;
  /// The chunk's text (the databases cap metadata size: see the builders).
  std::string text;

  friend bool operator==(const chunk_metadata&,
                         const chunk_metadata&) = default;
};

/// One embedded chunk to store.
struct chunk {
  /// Ours: unique in the store, stable across runs so that a re-ingest
  /// overwrites instead of duplicating (e.g. "table/key#3").
  std::string id;
  /// The embedding; every chunk of a store has the same dimension.
  std::vector<float> values;
  chunk_metadata metadata;
};

/// One result of a query.
///
/// `score` is a similarity, higher is nearer, the same for both stores
/// where the index uses the cosine metric: Pinecone's `score` as it sends it
/// (cosine similarity in [-1, 1]; for a dotproduct index the dot product;
/// for a euclidean index Pinecone sends the distance, lower is nearer), and
/// for Weaviate `1 - distance` (Weaviate's cosine distance is
/// `1 - cosine similarity`, in [0, 2]).
struct match {
  /// Our id (for Weaviate, the `chunk_id` property, not its UUID).
  std::string id;
  double score = 0;
  chunk_metadata metadata;
};

/// Equality on metadata fields (`source`, `stream`, `table`, `key`); all
/// must hold. Other field names are refused by the builders.
using metadata_filter = std::vector<std::pair<std::string, std::string>>;

/// A nearest-neighbour query.
struct query {
  std::vector<float> values;
  /// How many matches at most; the builders refuse 0 and cap it at 10000
  /// (Pinecone's topK limit).
  size_t k = 10;
  metadata_filter filter;
};

/// One HTTP exchange a builder prepared; the sink sends it to the store's
/// `base_url` + `path` with the store's headers.
struct http_call {
  std::string method = "POST";
  std::string path;
  /// JSON; empty for none.
  std::string body;
  /// How many chunks or ids it carries, for counting.
  size_t items = 0;
};

/// Appends `values` as a JSON (and GraphQL) list of numbers, each in the
/// shortest form that reads back as the same float (`0.1`, not
/// `0.10000000149011612`): a third of the bytes of doubles, which matters
/// against the stores' request size limits.
void append_floats(std::string& out, const std::vector<float>& values);

/// The metadata fields a filter may name.
bool is_filter_field(const std::string& name);

/// Whether every value is finite (JSON and GraphQL have no NaN or Inf).
bool all_finite(const std::vector<float>& values);

/// `chunks` from JSON: `[{"id", "values": [...], "metadata": {"source",
/// "stream", "table", "key", "text"}}]` (missing metadata fields are empty);
/// false (with `why`) for anything else.
bool chunks_from_json(const nlohmann::json& in,
                      std::vector<chunk>& out,
                      std::string& why);

/// The metadata fields of a store's JSON object (non-strings are left
/// empty; other fields are ignored).
chunk_metadata metadata_of(const nlohmann::json& obj);

/// `j` as JSON text; invalid UTF-8 in strings (data from any source) is
/// replaced with U+FFFD instead of throwing.
std::string dump_json(const nlohmann::json& j);

/// `matches` as JSON: `[{"id", "score", "metadata": {...}}]`, and back.
nlohmann::json to_json(const std::vector<match>& matches);
bool matches_from_json(const nlohmann::json& in, std::vector<match>& out);

/// Cuts `text` to at most `max_bytes` without splitting a UTF-8 sequence.
std::string clip_utf8(std::string text, size_t max_bytes);

} // namespace sophia::actors::pipeline::vector_stores
