// FAISS's IndexFlatIP and IndexHNSWFlat as contenders: the reference peers.
// Compiled only where libfaiss-dev is installed (see CMakeLists.txt).

#include <omp.h>

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/utils/distances.h>

#include <limits>

#include <fmt/format.h>

#include "contender.hpp"

namespace sophia::bench::vectors {

namespace {

/// FAISS's labels (int64, -1 for none) as our ids.
std::vector<uint64_t> to_ids(const std::vector<faiss::Index::idx_t>& labels) {
  std::vector<uint64_t> out(labels.size());
  for (size_t i = 0; i < labels.size(); ++i)
    out[i] = labels[i] < 0 ? std::numeric_limits<uint64_t>::max()
                           : static_cast<uint64_t>(labels[i]);
  return out;
}

std::vector<uint64_t> run_search(faiss::Index& index,
                                 const float* q,
                                 size_t nq,
                                 size_t k) {
  std::vector<float> scores(nq * k);
  std::vector<faiss::Index::idx_t> labels(nq * k);
  index.search(static_cast<faiss::Index::idx_t>(nq),
               q,
               static_cast<faiss::Index::idx_t>(k),
               scores.data(),
               labels.data());
  return to_ids(labels);
}

class faiss_flat final : public contender {
public:
  /// `threads` 0: the run's.
  explicit faiss_flat(int threads = 0)
    : threads_(threads) {}

  std::string name() const override {
    return threads_ ? fmt::format("FAISS IndexFlatIP {}t", threads_)
                    : std::string{ "FAISS IndexFlatIP" };
  }
  std::string family() const override { return "exact"; }
  int threads() const override { return threads_; }

  void build(const dataset& data) override {
    index_ = std::make_unique<faiss::IndexFlatIP>(
      static_cast<faiss::Index::idx_t>(data.params.dim));
    // Ids are the row numbers 0..n-1, FAISS's own labels.
    index_->add(static_cast<faiss::Index::idx_t>(data.params.n),
                data.base.data());
  }

  std::vector<uint64_t> search(const float* q, size_t nq, size_t k) override {
    return run_search(*index_, q, nq, k);
  }

private:
  int threads_;
  std::unique_ptr<faiss::IndexFlatIP> index_;
};

class faiss_hnsw final : public contender {
public:
  explicit faiss_hnsw(const hnsw_params& p)
    : params_(p) {}

  std::string name() const override { return "FAISS IndexHNSWFlat"; }
  std::string family() const override { return "hnsw"; }

  void build(const dataset& data) override {
    index_ =
      std::make_unique<faiss::IndexHNSWFlat>(static_cast<int>(data.params.dim),
                                             static_cast<int>(params_.m),
                                             faiss::METRIC_INNER_PRODUCT);
    index_->hnsw.efConstruction = static_cast<int>(params_.ef_construction);
    index_->add(static_cast<faiss::Index::idx_t>(data.params.n),
                data.base.data());
  }

  std::vector<uint64_t> search(const float* q, size_t nq, size_t k) override {
    return run_search(*index_, q, nq, k);
  }

  void set_ef_search(size_t ef) override {
    index_->hnsw.efSearch = static_cast<int>(ef);
  }

private:
  hnsw_params params_;
  std::unique_ptr<faiss::IndexHNSWFlat> index_;
};

} // namespace

std::unique_ptr<contender> make_faiss_flat() {
  return std::make_unique<faiss_flat>();
}

std::unique_ptr<contender> make_faiss_flat(int threads) {
  return std::make_unique<faiss_flat>(threads);
}

std::unique_ptr<contender> make_faiss_hnsw(const hnsw_params& p) {
  return std::make_unique<faiss_hnsw>(p);
}

bool have_faiss() {
  return true;
}

std::string faiss_note() {
  return fmt::format("FAISS {}.{}.{} (libfaiss-dev, BLAS batches from {} "
                     "queries)",
                     FAISS_VERSION_MAJOR,
                     FAISS_VERSION_MINOR,
                     FAISS_VERSION_PATCH,
                     faiss::distance_compute_blas_threshold);
}

void set_faiss_threads(int n) {
  omp_set_num_threads(n);
}

} // namespace sophia::bench::vectors
