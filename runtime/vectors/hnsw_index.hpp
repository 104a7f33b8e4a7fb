#pragma once

#include <memory>

#include "runtime/vectors/vector_index.hpp"

namespace sophia::runtime::vectors {

/// The parameters of an `hnsw_index` (see the HNSW paper, Malkov and
/// Yashunin 2016).
struct hnsw_config {
  /// Links per node and layer (layer 0 has twice as many): more links,
  /// better recall, more memory and slower inserts.
  size_t m = 16;
  /// Candidates kept while linking a new vector: the quality of the graph.
  size_t ef_construction = 200;
  /// Candidates kept while searching (at least k): the recall/speed knob.
  size_t ef_search = 64;
  /// Vectors the index holds before it first grows; it doubles when full.
  size_t initial_capacity = 1024;
  /// Seeds the random layer of each vector, so that building is repeatable.
  uint64_t seed = 100;
};

/// Approximate maximum inner product search on a hierarchical navigable
/// small world graph (hnswlib), for vectors of unit norm (the graph is
/// built on `1 - inner product`, a distance only for normalised vectors).
/// Grows its capacity as vectors are added. Not thread-safe (see
/// `vector_index`).
class hnsw_index final : public vector_index {
public:
  /// An empty index, or the error text for a dimension of 0 or M below 2.
  static std::variant<hnsw_index, std::string> make(
    size_t dimension,
    const hnsw_config& cfg = {});

  /// A moved-from index may only be assigned to or destroyed.
  hnsw_index(hnsw_index&&) noexcept;
  hnsw_index& operator=(hnsw_index&&) noexcept;
  ~hnsw_index() override;

  /// The parameters in use (`ef_search` as last set).
  const hnsw_config& config() const noexcept;

  /// Sets the candidates kept per search; takes effect at the next search.
  void set_ef_search(size_t ef);

  /// The number of vectors the index holds before growing again.
  size_t capacity() const noexcept;

  size_t dimension() const noexcept override;

  size_t size() const noexcept override;

  std::optional<std::string> add(uint64_t id,
                                 std::span<const float> v) override;

  std::optional<std::string> add_batch(std::span<const uint64_t> ids,
                                       std::span<const float> rows) override;

  std::variant<hits, std::string> search(std::span<const float> query,
                                         size_t k) const override;

  std::variant<std::vector<hits>, std::string> search_batch(
    std::span<const float> queries,
    size_t k) const override;

  /// Grows the capacity to at least `n` vectors at once (one reallocation
  /// instead of several while adding).
  std::optional<std::string> reserve(size_t n);

private:
  struct impl;

  explicit hnsw_index(std::unique_ptr<impl> x);

  // hnswlib's header defines non-inline functions and globals: it may be
  // included by one translation unit only, hence the pimpl.
  std::unique_ptr<impl> impl_;
};

} // namespace sophia::runtime::vectors
