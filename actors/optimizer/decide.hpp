#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/optimizer/outcome_memory.hpp"
#include "actors/optimizer/utility.hpp"

/// The router's decision for one prompt: every candidate (a model on a
/// provider) scored by the outcome memory, its price and its live record,
/// ranked by `utility.hpp`'s formula. Pure: the router actor gathers the
/// inputs and calls the models in this order.
namespace sophia::actors::optimizer {

/// A model on a provider, as the catalog and the live record know it.
struct candidate {
  /// The `[services.NAME]` that serves it (`mcp.NAME`'s `chat` tool).
  std::string provider;
  std::string model;
  /// USD per prompt and completion token; negative: unknown.
  double prompt_price = -1;
  double completion_price = -1;
  /// Tokens of prompt and completion together; 0: unknown.
  int64_t context_length = 0;
  /// The share of recent calls that succeeded (1 with no calls yet).
  double success_rate = 1;
  /// Completion tokens this model gave recently (EWMA); 0: none yet.
  double completion_tokens = 0;
  /// The router's breaker for the provider is open: it is tried only
  /// when nothing else is left.
  bool breaker_open = false;
  /// The configuration's prior probability of a good answer for the
  /// ask's task type (`[models."ID"] quality_*`); negative: none, the
  /// price ranks it.
  double prior_quality = -1;
};

/// What is asked.
struct ask {
  std::string task_type = "simple";
  priority cost = priority::medium;
  priority performance = priority::medium;
  /// The prompt's tokens (estimated from its length).
  int64_t prompt_tokens = 0;
  /// The completion's cap (`max_tokens`); 0: none given.
  int64_t max_tokens = 0;
  /// Candidates whose estimate exceeds it are left out.
  std::optional<double> max_cost_usd;
  /// The success rate counts as success_rate^reliability_power (1, 2, 4 for
  /// a low, medium, high reliability priority).
  double reliability_power = 1;
};

/// One candidate as judged.
struct scored {
  candidate c;
  /// The expected feedback score.
  double quality = 0;
  /// Whether the quality came from outcomes of this model (else a prior
  /// from its price: a pricier model is presumed better).
  bool from_memory = false;
  /// Neighbours with an outcome of this model.
  size_t neighbours = 0;
  /// The expected cost of this prompt, USD.
  double cost_usd = 0;
  /// "memory" (neighbours' recorded costs), "price" (tokens × price) or
  /// "unpriced" (no price known: the dearest known price is assumed).
  std::string cost_basis;
  double utility = 0;
  /// Why it is not eligible (empty: eligible).
  std::string excluded;
};

/// The decision: `ranked` holds the eligible candidates best first, then
/// those behind an open breaker; `excluded` the others with the reason.
struct decision {
  std::vector<scored> ranked;
  std::vector<scored> excluded;
  /// The cost costs are compared against (see `utility.hpp`).
  double reference_cost = 0;
  double lambda = 0;
};

/// The estimate parameters for `task_type`: those chosen by leave-one-out
/// on RouterBench's train split for `code`, and for `simple` (used for
/// every other task type too).
estimate_params params_for(std::string_view task_type);

/// Expected completion tokens of a model with no record: `max_tokens`
/// when given and smaller, else 256.
double default_completion_tokens(int64_t max_tokens);

/// Ranks `candidates` for a prompt embedded as `embedding`; for a zero
/// embedding (no prompt), by each model's mean over the task type. The
/// error text when the memory refuses the embedding.
std::variant<decision, std::string>
decide(const outcome_memory& memory, std::span<const float> embedding,
       const ask& a, std::vector<candidate> candidates);

} // namespace sophia::actors::optimizer
