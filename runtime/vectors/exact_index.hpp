#pragma once

#include <unordered_map>

#include "runtime/vectors/vector_index.hpp"

namespace sophia::runtime::vectors {

/// How `exact_index` cuts a search into BLAS calls.
struct exact_index_config {
  /// Rows scored per BLAS call: the scores of one block are scanned while
  /// still in cache, and the scratch memory stays bounded.
  size_t block_rows = 2048;
  /// Queries scored together per BLAS call (one matrix product). With the
  /// rows above: 4 MiB of scores, and sgemm at its full speed (measured at
  /// 100k x 384, 1000 queries: the search takes as long as the bare sgemm
  /// calls; 1024 or 4096 rows, or fewer queries, were slower).
  size_t query_block = 512;
};

/// Exact maximum inner product search: the vectors stored row-major in one
/// contiguous array, every search scoring all of them with OpenBLAS
/// (`sgemm` for batches of queries, `sgemv` for one), block by block, while a
/// per-query heap keeps the best k. Scratch memory: at most
/// `block_rows * query_block` floats per search.
///
/// BLAS uses OpenBLAS's own thread count (OPENBLAS_NUM_THREADS or
/// `openblas_set_num_threads`). Not thread-safe (see `vector_index`).
class exact_index final : public vector_index {
public:
  /// An empty index of `dimension`-float vectors, or the error text when
  /// `dimension` is 0 or a block size is 0.
  static std::variant<exact_index, std::string> make(
    size_t dimension,
    const exact_index_config& cfg = {});

  size_t dimension() const noexcept override { return dim_; }

  size_t size() const noexcept override { return ids_.size(); }

  std::optional<std::string> add(uint64_t id,
                                 std::span<const float> v) override;

  std::optional<std::string> add_batch(std::span<const uint64_t> ids,
                                       std::span<const float> rows) override;

  std::variant<hits, std::string> search(std::span<const float> query,
                                         size_t k) const override;

  std::variant<std::vector<hits>, std::string> search_batch(
    std::span<const float> queries,
    size_t k) const override;

  /// Reserves memory for `n` vectors in all, to spare regrowth while adding.
  std::optional<std::string> reserve(size_t n);

private:
  exact_index(size_t dimension, const exact_index_config& cfg);

  /// Scores and ranks `nq` queries; no argument checks.
  std::vector<hits> rank(const float* queries, size_t nq, size_t k) const;

  size_t dim_;
  exact_index_config cfg_;
  /// Row i of the matrix: data_[i * dim_, (i + 1) * dim_).
  std::vector<float> data_;
  /// The id of each row.
  std::vector<uint64_t> ids_;
  /// The row of each id, to replace a vector added again.
  std::unordered_map<uint64_t, size_t> rows_;
};

} // namespace sophia::runtime::vectors
