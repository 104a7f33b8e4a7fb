#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/pipeline/vectors/record.hpp"
#include "actors/pipeline/vectors/sharded_index.hpp"
#include "actors/pipeline/vectors/text.hpp"
#include "runtime/vectors/embedder.hpp"
#include "runtime/vectors/vector_index.hpp"

/// The vectors stage's data, apart from the actor: records' chunks in a
/// vector index, with the metadata a search result shows, and the rules
/// of replacement (see stage.hpp). Not thread-safe.
namespace sophia::actors::pipeline::vectors {

/// One search result (one per record: its best chunk).
struct search_result {
  std::string source, stream, table;
  nlohmann::json key;
  float score = 0;
  std::string text;
};

class record_index {
public:
  /// Called for each chunk added (vector set) or removed (vector empty).
  using sink_fn = std::function<void(uint64_t id, const vector_record& r,
                                     const std::string& text,
                                     std::span<const float> vector)>;

  /// `kind` "exact" or "hnsw"; the error text for another kind or a bad
  /// dimension. `shards`: an exact index spread over shard actors
  /// (`sharded_index`) or not (the default); ignored for "hnsw".
  static std::variant<std::unique_ptr<record_index>, std::string>
  make(const std::string& kind, size_t dimension, text_limits limits = {},
       shard_options shards = {});

  /// Replaces the hashing embedder `make` set (e.g. by a
  /// `service_embedder`): it embeds both the chunks and the queries, so
  /// that they compare. Its dimension must be the index's; the error
  /// text otherwise (the embedder is then not used).
  std::optional<std::string>
  use_embedder(std::unique_ptr<runtime::vectors::embedder> e);

  /// What `apply` did with a record.
  enum class outcome { indexed, deleted, no_text, stale, kept_live, failed };

  /// Applies one record: indexes it (replacing its identity's chunks),
  /// removes a deletion's identity, or skips it. `from_rebuild`: read
  /// back from PostgreSQL (loses against live records while rebuilding).
  outcome apply(const vector_record& r, bool from_rebuild);

  /// A rebuild starts: keys live records touch from now on win over the
  /// rebuild's reads.
  void begin_rebuild();
  /// The rebuild read everything: entries it neither read nor saw touched
  /// live are removed (returns how many). `complete` false (it failed):
  /// nothing is removed.
  size_t end_rebuild(bool complete);
  bool rebuilding() const { return rebuilding_; }

  /// The `k` records of best score for `query` (score > 0), best first;
  /// `stream` (non-empty) keeps those of a stream or table of that name
  /// ("name", "ns.name" or "schema.table").
  std::variant<std::vector<search_result>, std::string>
  search(const std::string& query, size_t k, const std::string& stream);

  size_t records() const { return entries_.size(); }
  size_t chunks() const { return live_chunks_; }
  /// Vectors in the index, removed slots (zero vectors reused) included.
  size_t vectors() const { return index_->size(); }
  size_t dimension() const { return embedder_->dimension(); }
  const std::string& kind() const { return kind_; }
  std::string last_error() const { return last_error_; }

  void on_change(sink_fn f) { sink_ = std::move(f); }

private:
  struct entry {
    vector_record meta; // text cleared
    std::vector<uint64_t> ids;
    uint64_t generation = 0;
  };
  struct chunk {
    const std::string* identity = nullptr; // the entries_ key
    std::string text;
  };

  record_index() = default;
  void remove(std::unordered_map<std::string, entry>::iterator it);
  bool newer(const vector_record& r, const entry& e) const;

  std::string kind_;
  text_limits limits_;
  std::unique_ptr<runtime::vectors::embedder> embedder_;
  std::unique_ptr<runtime::vectors::vector_index> index_;
  std::unordered_map<std::string, entry> entries_;
  /// By vector id; a removed chunk has no identity and its id is free.
  std::vector<chunk> chunks_;
  std::vector<uint64_t> free_;
  size_t live_chunks_ = 0;
  std::vector<float> zeros_, scratch_;
  bool rebuilding_ = false;
  uint64_t generation_ = 0;
  std::unordered_set<std::string> touched_;
  std::string last_error_;
  sink_fn sink_;
};

} // namespace sophia::actors::pipeline::vectors
