// Our exact index sharded over actors (actors/pipeline/vectors/
// sharded_index.hpp) as a contender: the pipeline's index with
// `[pipeline] vector_shards` above 1.

#include <limits>
#include <stdexcept>

#include <caf/all.hpp>
#include <fmt/format.h>

#include "actors/pipeline/vectors/sharded_index.hpp"
#include "contender.hpp"

namespace sophia::bench::vectors {

namespace {

namespace rv = sophia::runtime::vectors;
namespace pv = sophia::actors::pipeline::vectors;

class ours_sharded final : public contender {
public:
  explicit ours_sharded(size_t shards)
    : shards_(shards)
    , sys_(cfg_) {}

  ~ours_sharded() override {
    // The shards stop before the actor system does.
    index_.reset();
  }

  std::string name() const override {
    return fmt::format("ours exact {} shards", shards_);
  }
  std::string family() const override { return "exact"; }
  // sharded_index sets OpenBLAS to one thread itself; the same here, so
  // that the run's setting cannot undo it.
  int threads() const override { return 1; }
  size_t shards() const override { return shards_; }

  void build(const dataset& data) override {
    index_.reset();
    auto made = pv::sharded_index::make(sys_, data.params.dim, shards_,
                                        std::chrono::minutes{ 10 });
    if (auto* err = std::get_if<std::string>(&made))
      throw std::runtime_error(*err);
    index_ = std::move(std::get<std::unique_ptr<pv::sharded_index>>(made));
    if (auto err = index_->add_batch(data.ids, data.base))
      throw std::runtime_error(*err);
  }

  std::vector<uint64_t> search(const float* q, size_t nq, size_t k) override {
    auto found = index_->search_batch({ q, nq * index_->dimension() }, k);
    if (auto* err = std::get_if<std::string>(&found))
      throw std::runtime_error(*err);
    auto& all = std::get<std::vector<rv::hits>>(found);
    // As ours exact's flatten: the caller of our API pays it.
    std::vector<uint64_t> out(nq * k, std::numeric_limits<uint64_t>::max());
    for (size_t i = 0; i < all.size(); ++i)
      for (size_t j = 0; j < all[i].size() && j < k; ++j)
        out[i * k + j] = all[i][j].id;
    return out;
  }

private:
  size_t shards_;
  caf::actor_system_config cfg_;
  caf::actor_system sys_;
  std::unique_ptr<pv::sharded_index> index_;
};

} // namespace

std::unique_ptr<contender> make_ours_sharded(size_t shards) {
  return std::make_unique<ours_sharded>(shards);
}

} // namespace sophia::bench::vectors
