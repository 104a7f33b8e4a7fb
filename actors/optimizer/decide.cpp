#include "actors/optimizer/decide.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <string_view>

namespace sophia::actors::optimizer {

namespace {

double per_token(const candidate& c) {
  if (c.prompt_price < 0 || c.completion_price < 0)
    return -1;
  return c.prompt_price + c.completion_price;
}

std::string usd(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.6g", x);
  return buf;
}

} // namespace

estimate_params params_for(std::string_view task_type) {
  if (task_type == "code")
    return {.k = 40, .weight_power = 4, .shrink = 3, .prior_k = 200,
            .prior_shrink = 10};
  return {};
}

double default_completion_tokens(int64_t max_tokens) {
  return max_tokens > 0 && max_tokens < 256 ? static_cast<double>(max_tokens)
                                            : 256.0;
}

std::variant<decision, std::string>
decide(const outcome_memory& memory, std::span<const float> embedding,
       const ask& a, std::vector<candidate> candidates) {
  decision d;
  d.lambda = cost_weight(a.cost, a.performance);
  // Each distinct model once (several providers may serve one), through
  // a flat table of model indices with linear probing: a node-based map's
  // allocation per candidate cost a tenth of the whole decision.
  std::vector<std::string> models;
  std::vector<size_t> model_of(candidates.size());
  {
    size_t slots = 16;
    while (slots < 2 * candidates.size())
      slots *= 2;
    constexpr auto empty = static_cast<uint32_t>(-1);
    std::vector<uint32_t> table(slots, empty);
    std::hash<std::string_view> hash;
    for (size_t i = 0; i < candidates.size(); ++i) {
      std::string_view name = candidates[i].model;
      auto at = hash(name) & (slots - 1);
      while (table[at] != empty && models[table[at]] != name)
        at = (at + 1) & (slots - 1);
      if (table[at] == empty) {
        table[at] = static_cast<uint32_t>(models.size());
        models.push_back(candidates[i].model);
      }
      model_of[i] = table[at];
    }
  }
  // No prompt (a zero embedding): what each model does over the task type.
  auto blank = std::all_of(embedding.begin(), embedding.end(),
                           [](float x) { return x == 0; });
  std::variant<std::vector<model_estimate>, std::string> found;
  if (blank) {
    std::vector<model_estimate> by_task;
    for (auto& m : models) {
      model_estimate e;
      e.model = m;
      if (auto q = memory.task_mean(a.task_type, m)) {
        e.quality = *q;
        e.known = true;
        e.cost_usd = memory.mean_cost(m);
      }
      by_task.push_back(std::move(e));
    }
    found = std::move(by_task);
  } else {
    found = memory.estimate(embedding, a.task_type, models,
                            params_for(a.task_type));
  }
  if (auto* err = std::get_if<std::string>(&found))
    return *err;
  auto& estimates = std::get<std::vector<model_estimate>>(found);
  // Cold prior: with no outcome of a model, the price ranks it (0.5 for
  // the cheapest up to 0.9 for the dearest among the candidates).
  std::vector<double> prices;
  double max_prompt = 0, max_completion = 0;
  for (auto& c : candidates)
    if (per_token(c) >= 0) {
      prices.push_back(per_token(c));
      max_prompt = std::max(max_prompt, c.prompt_price);
      max_completion = std::max(max_completion, c.completion_price);
    }
  std::sort(prices.begin(), prices.end());
  prices.erase(std::unique(prices.begin(), prices.end()), prices.end());
  auto cold_prior = [&](const candidate& c) {
    if (per_token(c) < 0 || prices.size() < 2)
      return 0.5;
    auto rank = std::lower_bound(prices.begin(), prices.end(), per_token(c))
                - prices.begin();
    return 0.5 + 0.4 * static_cast<double>(rank)
                   / static_cast<double>(prices.size() - 1);
  };
  std::vector<scored> all;
  all.reserve(candidates.size());
  const candidate* premium = nullptr;
  for (size_t i = 0; i < candidates.size(); ++i) {
    auto& c = candidates[i];
    scored s;
    auto& e = estimates[model_of[i]];
    s.from_memory = e.known;
    s.quality = s.from_memory       ? e.quality
                : c.prior_quality >= 0 ? c.prior_quality
                                       : cold_prior(c);
    s.neighbours = e.neighbours;
    auto completion = c.completion_tokens > 0
                        ? c.completion_tokens
                        : default_completion_tokens(a.max_tokens);
    if (a.max_tokens > 0)
      completion = std::min(completion, static_cast<double>(a.max_tokens));
    if (e.cost_usd) {
      s.cost_usd = *e.cost_usd;
      s.cost_basis = "memory";
    } else if (per_token(c) >= 0) {
      s.cost_usd = static_cast<double>(a.prompt_tokens) * c.prompt_price
                   + completion * c.completion_price;
      s.cost_basis = "price";
    } else {
      s.cost_usd = static_cast<double>(a.prompt_tokens) * max_prompt
                   + completion * max_completion;
      s.cost_basis = "unpriced";
    }
    if (per_token(c) >= 0 && (premium == nullptr || per_token(c) > per_token(*premium)))
      premium = &c;
    all.push_back(std::move(s));
  }
  // The reference is chosen: the candidates move into their scores.
  std::optional<double> premium_mean;
  std::string premium_model, premium_provider;
  auto has_premium = premium != nullptr;
  if (has_premium) {
    premium_mean = memory.mean_cost(premium->model);
    premium_model = premium->model;
    premium_provider = premium->provider;
  }
  for (size_t i = 0; i < candidates.size(); ++i)
    all[i].c = std::move(candidates[i]);
  // The reference: what the dearest candidate costs on a typical prompt
  // (its mean in the memory), so that one lambda fits prompts of any size.
  if (premium_mean)
    d.reference_cost = *premium_mean;
  else if (has_premium)
    for (auto& s : all)
      if (s.c.model == premium_model && s.c.provider == premium_provider)
        d.reference_cost = s.cost_usd;
  if (d.reference_cost <= 0)
    for (auto& s : all)
      d.reference_cost = std::max(d.reference_cost, s.cost_usd);
  // Eligible first, then behind an open breaker; each best first, ties
  // by cost, then in the candidates' order (what a stable sort gave).
  // Small keys are sorted, not the scores (they hold strings).
  struct rank_key {
    bool open;
    double utility, cost;
    uint32_t i;
  };
  std::vector<rank_key> keys;
  keys.reserve(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    auto& s = all[i];
    auto rate = s.c.success_rate;
    auto reliability = rate == 1 || a.reliability_power == 1
                         ? rate
                         : std::pow(rate, a.reliability_power);
    s.utility = utility(s.quality * reliability,
                        s.cost_usd, d.reference_cost, d.lambda);
    auto need = a.prompt_tokens + std::max<int64_t>(a.max_tokens, 1);
    if (s.c.context_length > 0 && need > s.c.context_length)
      s.excluded = "its context of " + std::to_string(s.c.context_length)
                   + " tokens is shorter than the prompt (~"
                   + std::to_string(a.prompt_tokens) + " tokens) plus max_tokens";
    else if (a.max_cost_usd && s.cost_usd > *a.max_cost_usd)
      s.excluded = "its estimate " + usd(s.cost_usd) + " exceeds max_cost_usd "
                   + usd(*a.max_cost_usd);
    if (!s.excluded.empty()) {
      d.excluded.push_back(std::move(s));
      continue;
    }
    // NaN (an estimate without basis) ranks last rather than breaking
    // the sort's ordering.
    auto lowest = -std::numeric_limits<double>::infinity();
    keys.push_back({s.c.breaker_open, std::isnan(s.utility) ? lowest : s.utility,
                    std::isnan(s.cost_usd) ? -lowest : s.cost_usd,
                    static_cast<uint32_t>(i)});
  }
  std::sort(keys.begin(), keys.end(), [](const rank_key& x, const rank_key& y) {
    if (x.open != y.open)
      return !x.open;
    if (x.utility != y.utility)
      return x.utility > y.utility;
    if (x.cost != y.cost)
      return x.cost < y.cost;
    return x.i < y.i;
  });
  d.ranked.reserve(keys.size());
  for (auto& k : keys)
    d.ranked.push_back(std::move(all[k.i]));
  return d;
}

} // namespace sophia::actors::optimizer
