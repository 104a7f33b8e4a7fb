// Our indexes as contenders, and the thread setting shared with FAISS.

#include <limits>
#include <stdexcept>

#include <cblas.h>

#include "contender.hpp"
#include "runtime/vectors/exact_index.hpp"
#include "runtime/vectors/hnsw_index.hpp"

namespace sophia::bench::vectors {

namespace {

namespace rv = sophia::runtime::vectors;

template <class T>
T unwrap(std::variant<T, std::string> x) {
  if (auto err = std::get_if<std::string>(&x)) throw std::runtime_error(*err);
  return std::get<T>(std::move(x));
}

void check(const std::optional<std::string>& err) {
  if (err) throw std::runtime_error(*err);
}

/// Flattens our per-query lists into the benchmark's id matrix; its cost
/// counts, as a caller of our API pays it.
std::vector<uint64_t> flatten(const std::vector<rv::hits>& all, size_t k) {
  std::vector<uint64_t> out(all.size() * k,
                            std::numeric_limits<uint64_t>::max());
  for (size_t q = 0; q < all.size(); ++q)
    for (size_t i = 0; i < all[q].size() && i < k; ++i)
      out[q * k + i] = all[q][i].id;
  return out;
}

class ours_exact final : public contender {
public:
  std::string name() const override { return "ours exact"; }
  std::string family() const override { return "exact"; }

  void build(const dataset& data) override {
    index_.reset();
    auto index = unwrap(rv::exact_index::make(data.params.dim));
    check(index.add_batch(data.ids, data.base));
    index_.emplace(std::move(index));
  }

  std::vector<uint64_t> search(const float* q, size_t nq, size_t k) override {
    auto dim = index_->dimension();
    return flatten(unwrap(index_->search_batch({ q, nq * dim }, k)), k);
  }

private:
  std::optional<rv::exact_index> index_;
};

class ours_hnsw final : public contender {
public:
  explicit ours_hnsw(const hnsw_params& p)
    : params_(p) {}

  std::string name() const override { return "ours HNSW"; }
  std::string family() const override { return "hnsw"; }

  void build(const dataset& data) override {
    index_.reset();
    rv::hnsw_config cfg;
    cfg.m = params_.m;
    cfg.ef_construction = params_.ef_construction;
    auto index = unwrap(rv::hnsw_index::make(data.params.dim, cfg));
    check(index.add_batch(data.ids, data.base));
    index_.emplace(std::move(index));
  }

  std::vector<uint64_t> search(const float* q, size_t nq, size_t k) override {
    auto dim = index_->dimension();
    return flatten(unwrap(index_->search_batch({ q, nq * dim }, k)), k);
  }

  void set_ef_search(size_t ef) override { index_->set_ef_search(ef); }

private:
  hnsw_params params_;
  std::optional<rv::hnsw_index> index_;
};

} // namespace

std::unique_ptr<contender> make_ours_exact() {
  return std::make_unique<ours_exact>();
}

std::unique_ptr<contender> make_ours_hnsw(const hnsw_params& p) {
  return std::make_unique<ours_hnsw>(p);
}

void set_threads(int n) {
  openblas_set_num_threads(n);
  set_faiss_threads(n);
}

} // namespace sophia::bench::vectors
