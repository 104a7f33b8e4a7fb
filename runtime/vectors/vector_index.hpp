#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace sophia::runtime::vectors {

/// One search result: a vector's id and its inner product with the query.
struct hit {
  uint64_t id = 0;
  float score = 0;

  friend bool operator==(const hit&, const hit&) = default;
};

/// The results of one query, best (highest score) first.
using hits = std::vector<hit>;

/// A maximum inner product search over vectors of one dimension, each
/// known by a 64-bit id. For cosine similarity, add and query normalised
/// vectors (as `embedder` writes them).
///
/// Not thread-safe, searches included: the actor owning an index serialises
/// every call to it. An index is self-contained (no global state), so that
/// several can live side by side, one per shard.
class vector_index {
public:
  virtual ~vector_index() = default;

  /// The length of every vector in the index.
  virtual size_t dimension() const noexcept = 0;

  /// The number of vectors (distinct ids) in the index.
  virtual size_t size() const noexcept = 0;

  /// Adds `v` (`dimension()` floats) under `id`; an id already present has
  /// its vector replaced. Returns the error text on failure (wrong size,
  /// out of memory), the index then being unchanged.
  virtual std::optional<std::string> add(uint64_t id,
                                         std::span<const float> v) = 0;

  /// Adds `ids.size()` vectors stored row by row in `rows`
  /// (`rows.size() == ids.size() * dimension()`). Returns the error text on
  /// failure; the rows before the failing one may have been added.
  virtual std::optional<std::string> add_batch(std::span<const uint64_t> ids,
                                               std::span<const float> rows) = 0;

  /// The `k` vectors of highest inner product with `query`, best first;
  /// fewer when the index holds fewer. Returns the error text on a query of
  /// the wrong size.
  virtual std::variant<hits, std::string> search(std::span<const float> query,
                                                 size_t k) const = 0;

  /// `search` for every query stored row by row in `queries`
  /// (a multiple of `dimension()` floats), one result list per query, in
  /// order; faster than one call per query.
  virtual std::variant<std::vector<hits>, std::string> search_batch(
    std::span<const float> queries,
    size_t k) const = 0;
};

} // namespace sophia::runtime::vectors
