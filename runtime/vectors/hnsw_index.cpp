#include "runtime/vectors/hnsw_index.hpp"

#include <algorithm>
#include <exception>

#include <hnswlib/hnswlib.h>

#include "runtime/vectors/dot.hpp"

namespace sophia::runtime::vectors {

namespace {

/// hnswlib's inner product space with our SIMD kernel. hnswlib's own
/// `InnerProductSpace` picks its kernel at compile time (SSE only in a
/// baseline build, where it is half as fast as AVX2 here) and writes
/// process-wide function pointers in its constructor, a data race when
/// two actors create indexes at once.
class ip_space final : public hnswlib::SpaceInterface<float> {
public:
  explicit ip_space(size_t dim)
    : dim_(dim)
    , fn_(ip_distance()) {}

  size_t get_data_size() override { return dim_ * sizeof(float); }

  hnswlib::DISTFUNC<float> get_dist_func() override { return fn_; }

  void* get_dist_func_param() override { return &dim_; }

private:
  size_t dim_;
  hnswlib::DISTFUNC<float> fn_;
};

using graph = hnswlib::HierarchicalNSW<float>;

} // namespace

struct hnsw_index::impl {
  impl(size_t dimension, const hnsw_config& c)
    : cfg(c)
    , dim(dimension)
    , space(dimension)
    , index(&space, c.initial_capacity, c.m, c.ef_construction, c.seed) {
    index.setEf(c.ef_search);
  }

  /// Makes room for `n` vectors in all: doubling, so that adding n vectors
  /// one by one reallocates O(log n) times.
  void grow_to(size_t n) {
    if (n <= index.max_elements_) return;
    index.resizeIndex(std::max(n, 2 * index.max_elements_));
  }

  hnsw_config cfg;
  size_t dim;
  // Declared before `index`, which keeps a pointer to it.
  ip_space space;
  graph index;
};

hnsw_index::hnsw_index(std::unique_ptr<impl> x)
  : impl_(std::move(x)) {}

hnsw_index::hnsw_index(hnsw_index&&) noexcept = default;

hnsw_index& hnsw_index::operator=(hnsw_index&&) noexcept = default;

hnsw_index::~hnsw_index() = default;

std::variant<hnsw_index, std::string> hnsw_index::make(size_t dimension,
                                                       const hnsw_config& cfg) {
  if (dimension == 0) return std::string{ "hnsw_index: dimension 0" };
  if (cfg.m < 2) return std::string{ "hnsw_index: M must be at least 2" };
  auto c = cfg;
  c.initial_capacity = std::max<size_t>(c.initial_capacity, 1);
  c.ef_construction = std::max<size_t>(c.ef_construction, 1);
  c.ef_search = std::max<size_t>(c.ef_search, 1);
  try {
    return hnsw_index{ std::make_unique<impl>(dimension, c) };
  } catch (const std::exception& e) {
    return std::string{ "hnsw_index: " } + e.what();
  }
}

const hnsw_config& hnsw_index::config() const noexcept {
  return impl_->cfg;
}

void hnsw_index::set_ef_search(size_t ef) {
  impl_->cfg.ef_search = std::max<size_t>(ef, 1);
  impl_->index.setEf(impl_->cfg.ef_search);
}

size_t hnsw_index::capacity() const noexcept {
  return impl_->index.max_elements_;
}

size_t hnsw_index::dimension() const noexcept {
  return impl_->dim;
}

size_t hnsw_index::size() const noexcept {
  return impl_->index.cur_element_count;
}

std::optional<std::string> hnsw_index::reserve(size_t n) {
  try {
    impl_->grow_to(n);
  } catch (const std::exception& e) {
    return std::string{ "hnsw_index: reserve failed: " } + e.what();
  }
  return std::nullopt;
}

std::optional<std::string> hnsw_index::add(uint64_t id,
                                           std::span<const float> v) {
  if (v.size() != impl_->dim)
    return "hnsw_index: vector holds " + std::to_string(v.size()) +
           " floats, expected " + std::to_string(impl_->dim);
  try {
    // A replaced id takes no new slot, but growing early is harmless.
    impl_->grow_to(size() + 1);
    // hnswlib replaces the vector of a label it already has.
    impl_->index.addPoint(v.data(), static_cast<hnswlib::labeltype>(id));
  } catch (const std::exception& e) {
    return std::string{ "hnsw_index: add failed: " } + e.what();
  }
  return std::nullopt;
}

std::optional<std::string> hnsw_index::add_batch(std::span<const uint64_t> ids,
                                                 std::span<const float> rows) {
  auto dim = impl_->dim;
  if (rows.size() != ids.size() * dim)
    return "hnsw_index: batch holds " + std::to_string(rows.size()) +
           " floats, expected " + std::to_string(ids.size() * dim);
  if (auto err = reserve(size() + ids.size())) return err;
  for (size_t i = 0; i < ids.size(); ++i)
    if (auto err = add(ids[i], rows.subspan(i * dim, dim))) return err;
  return std::nullopt;
}

std::variant<hits, std::string> hnsw_index::search(std::span<const float> query,
                                                   size_t k) const {
  if (query.size() != impl_->dim)
    return "hnsw_index: query holds " + std::to_string(query.size()) +
           " floats, expected " + std::to_string(impl_->dim);
  hits out;
  if (k == 0 || size() == 0) return out;
  try {
    // A max-heap on distance: the worst comes out first.
    auto found = impl_->index.searchKnn(query.data(), k);
    out.resize(found.size());
    for (auto i = found.size(); i-- > 0;) {
      auto [distance, label] = found.top();
      out[i] = { static_cast<uint64_t>(label), 1.0f - distance };
      found.pop();
    }
  } catch (const std::exception& e) {
    return std::string{ "hnsw_index: search failed: " } + e.what();
  }
  return out;
}

std::variant<std::vector<hits>, std::string> hnsw_index::search_batch(
  std::span<const float> queries,
  size_t k) const {
  auto dim = impl_->dim;
  if (queries.size() % dim != 0)
    return "hnsw_index: query batch holds " + std::to_string(queries.size()) +
           " floats, not a multiple of " + std::to_string(dim);
  std::vector<hits> out;
  out.reserve(queries.size() / dim);
  for (size_t q = 0; q < queries.size(); q += dim) {
    auto one = search(queries.subspan(q, dim), k);
    if (auto err = std::get_if<std::string>(&one)) return std::move(*err);
    out.push_back(std::move(std::get<hits>(one)));
  }
  return out;
}

} // namespace sophia::runtime::vectors
