#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "runtime/vectors/int4_rows.hpp"

/// The router's outcome memory: what each model did on past prompts
/// (feedback score and cost), kept by prompt embedding, and the estimate
/// for a new prompt from its nearest neighbours.
///
/// Why neighbours and not the task type alone: on RouterBench no model
/// cheaper than premium reaches 95 % of its quality on a whole task type,
/// so a router that sees only the task type saves nothing; the saving is
/// in judging each prompt, from prompts like it.
namespace sophia::actors::optimizer {

/// One model's outcome on one prompt.
struct outcome {
  std::string model;
  /// The feedback score, in [0, 1].
  double quality = 0;
  /// What the call cost, in USD (negative: unknown).
  double cost_usd = -1;
};

/// How the estimate is made for a prompt of one task type. Quality of
/// model m: p = (sum_i w_i q_im + shrink * prior_m) / (sum_i w_i + shrink)
/// over the `k` nearest remembered prompts that have an outcome of m,
/// w_i = max(cos_i, 1e-6)^weight_power; prior_m is the mean of m over the
/// `prior_k` nearest prompts, shrunk toward m's mean over the task type
/// with `prior_shrink` pseudo-counts. The defaults are those chosen for
/// `simple` prompts by leave-one-out on RouterBench's train split.
struct estimate_params {
  size_t k = 20;
  double weight_power = 8;
  double shrink = 30;
  size_t prior_k = 800;
  double prior_shrink = 30;
};

/// What the memory says of one model for one prompt.
struct model_estimate {
  std::string model;
  /// The expected feedback score (the probability of a good answer).
  double quality = 0;
  /// The expected cost of this prompt, from the neighbours' recorded
  /// costs (weighted as the quality); none when no neighbour recorded one
  /// (the caller estimates it from tokens and price).
  std::optional<double> cost_usd;
  /// Neighbours among the `k` nearest with an outcome of this model.
  size_t neighbours = 0;
  /// Whether the memory holds any outcome of this model.
  bool known = false;
};

class outcome_memory {
public:
  /// An empty memory of prompts embedded as `dimension` floats, searched
  /// by brute force: every prompt scored from 4-bit codes of its embedding
  /// (SIMD, an eighth of the memory traffic of floats: the scan is bound by
  /// it), the nearest picked by partial selection, and the `2k + 8`
  /// nearest scored again exactly from the floats before the `k` are kept,
  /// so that code error (about 0.01 for unit vectors of 384 dimensions)
  /// decides nothing but the edge of the `prior_k` set; the error text for
  /// dimension 0.
  static std::variant<outcome_memory, std::string> make(size_t dimension);

  outcome_memory(outcome_memory&&) noexcept;
  outcome_memory& operator=(outcome_memory&&) noexcept;
  ~outcome_memory();

  /// Remembers `o` for prompt `prompt` (a stable id, e.g. a hash of its
  /// text) embedded as `embedding` (L2-normalised), of `task_type`. The
  /// outcomes of several models on one prompt share its row; a model's
  /// later outcome on the same prompt replaces its earlier one (the
  /// latest feedback wins). The error text for a wrong embedding length,
  /// a quality outside [0, 1] or an empty model.
  std::optional<std::string> add(uint64_t prompt,
                                 std::span<const float> embedding,
                                 std::string_view task_type, const outcome& o);

  /// The estimates for `models` (in that order) on a prompt embedded as
  /// `embedding`, of `task_type`. A model the memory has never seen gets
  /// `unknown_quality` and no cost.
  std::variant<std::vector<model_estimate>, std::string>
  estimate(std::span<const float> embedding, std::string_view task_type,
           std::span<const std::string> models, const estimate_params& p,
           double unknown_quality = 0.5) const;

  /// `model`'s mean quality over the prompts of `task_type` (none when it
  /// has no outcome there).
  std::optional<double> task_mean(std::string_view task_type,
                                  std::string_view model) const;

  /// Whether the memory holds any outcome of `model`.
  bool knows(std::string_view model) const;

  /// `model`'s mean recorded cost per prompt (none when no outcome of it
  /// recorded a cost): the router's reference for comparing costs.
  std::optional<double> mean_cost(std::string_view model) const;

  /// Distinct prompts, and outcomes, remembered.
  size_t prompts() const noexcept;
  size_t outcomes() const noexcept;

private:
  /// One model's outcome in a prompt's row.
  struct cell {
    uint32_t model = 0;
    float quality = 0;
    float cost = -1;
  };
  /// A prompt: its task type and its models' outcomes, cells_[first,
  /// first + size) with room up to first + capacity.
  struct row {
    uint32_t task = 0;
    uint32_t first = 0;
    uint32_t size = 0;
    uint32_t capacity = 0;
  };
  /// Sums of one model's quality over one task type.
  struct mean_acc {
    double sum = 0;
    size_t n = 0;
  };
  /// A scored prompt: (inner product, row).
  using scored_row = std::pair<float, uint32_t>;

  explicit outcome_memory(size_t dimension);

  const float* vec(uint32_t row) const { return vecs_.data() + size_t{row} * dim_; }
  std::span<const cell> cells(const row& r) const {
    return {cells_.data() + r.first, r.size};
  }
  std::span<cell> cells(const row& r) { return {cells_.data() + r.first, r.size}; }
  /// Appends `c` to row `r`'s cells (moving them to the end when full).
  void append(row& r, const cell& c);
  /// The `k` nearest rows (unordered) into `near`, and the per-model sums
  /// of the `prior_k` nearest into `prior`.
  void neighbours(std::span<const float> q, const estimate_params& p,
                  std::vector<scored_row>& near,
                  std::vector<mean_acc>& prior) const;

  uint32_t intern(std::unordered_map<std::string, uint32_t>& ids,
                  std::vector<std::string>& names, std::string_view name);
  std::optional<double> task_mean(uint32_t task, uint32_t model) const;

  size_t dim_ = 0;
  /// Row i's embedding: vecs_[i * dim_, (i + 1) * dim_).
  std::vector<float> vecs_;
  /// The same embeddings as 4-bit codes: the scan of every row reads
  /// these (an eighth of the bytes); the nearest are scored again from
  /// `vecs_`.
  runtime::vectors::int4_rows codes_;
  std::unordered_map<uint64_t, uint32_t> row_of_;
  std::vector<row> rows_;
  /// Every row's cells in one array, mostly in row order: a decision reads
  /// the cells of hundreds of rows, and one allocation per row scattered
  /// them (a cache miss per row, a fifth of the decision). A full row
  /// moves to the end with twice the room; the array is compacted when
  /// more than half of it is left behind.
  std::vector<cell> cells_;
  /// Cells left behind by rows that moved.
  size_t abandoned_ = 0;
  std::unordered_map<std::string, uint32_t> model_ids_, task_ids_;
  std::vector<std::string> models_, tasks_;
  /// [task][model]
  std::vector<std::vector<mean_acc>> means_;
  /// [model]: recorded costs.
  std::vector<mean_acc> costs_;
  size_t outcomes_ = 0;
};

} // namespace sophia::actors::optimizer
