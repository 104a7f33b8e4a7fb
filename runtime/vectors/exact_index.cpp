#include "runtime/vectors/exact_index.hpp"

#include <algorithm>
#include <exception>
#include <new>

#include <cblas.h>

#include "runtime/vectors/top_k.hpp"

namespace sophia::runtime::vectors {

namespace {

std::string wrong_size(const char* what, size_t got, size_t want) {
  return std::string{ "exact_index: " } + what + " holds " +
         std::to_string(got) + " floats, expected " + std::to_string(want);
}

} // namespace

exact_index::exact_index(size_t dimension, const exact_index_config& cfg)
  : dim_(dimension)
  , cfg_(cfg) {}

std::variant<exact_index, std::string> exact_index::make(
  size_t dimension,
  const exact_index_config& cfg) {
  if (dimension == 0) return std::string{ "exact_index: dimension 0" };
  if (cfg.block_rows == 0 || cfg.query_block == 0)
    return std::string{ "exact_index: block sizes must be positive" };
  return exact_index{ dimension, cfg };
}

std::optional<std::string> exact_index::reserve(size_t n) {
  try {
    data_.reserve(n * dim_);
    ids_.reserve(n);
    rows_.reserve(n);
  } catch (const std::exception& e) {
    return std::string{ "exact_index: reserve failed: " } + e.what();
  }
  return std::nullopt;
}

std::optional<std::string> exact_index::add(uint64_t id,
                                            std::span<const float> v) {
  if (v.size() != dim_) return wrong_size("vector", v.size(), dim_);
  try {
    auto [it, fresh] = rows_.try_emplace(id, ids_.size());
    if (!fresh) {
      std::copy(v.begin(), v.end(), data_.begin() + it->second * dim_);
      return std::nullopt;
    }
    try {
      data_.insert(data_.end(), v.begin(), v.end());
      ids_.push_back(id);
    } catch (...) {
      // Keep the three containers in step: the row is not there.
      rows_.erase(it);
      data_.resize(ids_.size() * dim_);
      throw;
    }
  } catch (const std::exception& e) {
    return std::string{ "exact_index: add failed: " } + e.what();
  }
  return std::nullopt;
}

std::optional<std::string> exact_index::add_batch(std::span<const uint64_t> ids,
                                                  std::span<const float> rows) {
  if (rows.size() != ids.size() * dim_)
    return wrong_size("batch", rows.size(), ids.size() * dim_);
  // Geometric growth: batches of a few rows (a shard's adds are one row
  // each) would otherwise reallocate every time, quadratic in the size.
  if (auto need = size() + ids.size(); need > ids_.capacity())
    if (auto err = reserve(std::max(need, ids_.capacity() * 2))) return err;
  for (size_t i = 0; i < ids.size(); ++i)
    if (auto err = add(ids[i], rows.subspan(i * dim_, dim_))) return err;
  return std::nullopt;
}

std::vector<hits> exact_index::rank(const float* queries,
                                    size_t nq,
                                    size_t k) const {
  auto n = size();
  k = std::min(k, n);
  std::vector<top_k> tops(nq, top_k{ k });
  if (k > 0) {
    auto qb = std::min(cfg_.query_block, nq);
    auto rb = std::min(cfg_.block_rows, n);
    std::vector<float> scores(qb * rb);
    auto d = static_cast<int>(dim_);
    // Row blocks outside, queries inside: each block of the matrix is read
    // from memory once and then reused from cache by every query block.
    for (size_t r0 = 0; r0 < n; r0 += rb) {
      auto rows = std::min(rb, n - r0);
      const float* block = data_.data() + r0 * dim_;
      for (size_t q0 = 0; q0 < nq; q0 += qb) {
        auto m = std::min(qb, nq - q0);
        const float* q = queries + q0 * dim_;
        if (m == 1)
          cblas_sgemv(CblasRowMajor,
                      CblasNoTrans,
                      static_cast<int>(rows),
                      d,
                      1.0f,
                      block,
                      d,
                      q,
                      1,
                      0.0f,
                      scores.data(),
                      1);
        else
          cblas_sgemm(CblasRowMajor,
                      CblasNoTrans,
                      CblasTrans,
                      static_cast<int>(m),
                      static_cast<int>(rows),
                      d,
                      1.0f,
                      q,
                      d,
                      block,
                      d,
                      0.0f,
                      scores.data(),
                      static_cast<int>(rows));
        for (size_t i = 0; i < m; ++i)
          tops[q0 + i].push_range(scores.data() + i * rows, rows, r0);
      }
    }
  }
  std::vector<hits> out(nq);
  for (size_t i = 0; i < nq; ++i) {
    auto best = tops[i].take_sorted();
    out[i].reserve(best.size());
    for (auto [score, row] : best)
      out[i].push_back({ ids_[row], score });
  }
  return out;
}

std::variant<hits, std::string> exact_index::search(
  std::span<const float> query,
  size_t k) const {
  if (query.size() != dim_) return wrong_size("query", query.size(), dim_);
  try {
    return std::move(rank(query.data(), 1, k).front());
  } catch (const std::exception& e) {
    return std::string{ "exact_index: search failed: " } + e.what();
  }
}

std::variant<std::vector<hits>, std::string> exact_index::search_batch(
  std::span<const float> queries,
  size_t k) const {
  if (queries.size() % dim_ != 0)
    return "exact_index: query batch holds " + std::to_string(queries.size()) +
           " floats, not a multiple of " + std::to_string(dim_);
  try {
    return rank(queries.data(), queries.size() / dim_, k);
  } catch (const std::exception& e) {
    return std::string{ "exact_index: search failed: " } + e.what();
  }
}

} // namespace sophia::runtime::vectors
