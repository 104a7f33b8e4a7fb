#pragma once

// One index under test, ours or FAISS's, behind the same small interface so
// that every row of the table is measured by the same code.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "synthetic_data.hpp"

namespace sophia::bench::vectors {

/// The HNSW parameters, the same for ours and FAISS's.
struct hnsw_params {
  size_t m = 16;
  size_t ef_construction = 200;
};

/// An index being benchmarked. Errors throw (the benchmark stops).
class contender {
public:
  virtual ~contender() = default;

  /// The row label, e.g. "ours exact".
  virtual std::string name() const = 0;

  /// "exact" or "hnsw".
  virtual std::string family() const = 0;

  /// Empties the index and adds every base vector of `data`.
  virtual void build(const dataset& data) = 0;

  /// The ids of the `k` best rows for each of `nq` queries, row-major,
  /// best first; UINT64_MAX where fewer were found.
  virtual std::vector<uint64_t> search(const float* queries,
                                       size_t nq,
                                       size_t k) = 0;

  /// Sets efSearch (HNSW only).
  virtual void set_ef_search(size_t) {}

  /// The OpenBLAS and OpenMP threads it runs with; 0: the run's --threads.
  virtual int threads() const { return 0; }

  /// Shard actors searching at once, each with `threads()`; 0: unsharded.
  virtual size_t shards() const { return 0; }
};

/// Ours: `exact_index` with its default blocks.
std::unique_ptr<contender> make_ours_exact();

/// Ours: `sharded_index` (actors/pipeline/vectors) of `shards` shards,
/// one OpenBLAS thread each, in an actor system of its own.
std::unique_ptr<contender> make_ours_sharded(size_t shards);

/// Ours: `hnsw_index` with `p`.
std::unique_ptr<contender> make_ours_hnsw(const hnsw_params& p);

/// FAISS's IndexFlatIP and IndexHNSWFlat (inner product); null when the
/// benchmark was built without FAISS.
std::unique_ptr<contender> make_faiss_flat();
/// IndexFlatIP on `threads` OpenBLAS and OpenMP threads, whatever --threads.
std::unique_ptr<contender> make_faiss_flat(int threads);
std::unique_ptr<contender> make_faiss_hnsw(const hnsw_params& p);

/// Whether FAISS rows can run, and a line about FAISS's version or absence.
bool have_faiss();
std::string faiss_note();

/// Sets the threads of OpenBLAS and OpenMP (FAISS) for everything that
/// follows.
void set_threads(int n);

/// Sets OpenMP's threads, FAISS's; does nothing without FAISS.
void set_faiss_threads(int n);

} // namespace sophia::bench::vectors
