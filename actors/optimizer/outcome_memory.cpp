#include "actors/optimizer/outcome_memory.hpp"

#include <algorithm>
#include <cmath>

#include "runtime/vectors/exact_index.hpp"

namespace sophia::actors::optimizer {

namespace rv = runtime::vectors;

outcome_memory::outcome_memory(size_t dimension,
                               std::unique_ptr<rv::vector_index> index)
  : dim_(dimension), index_(std::move(index)) {}

outcome_memory::outcome_memory(outcome_memory&&) noexcept = default;
outcome_memory& outcome_memory::operator=(outcome_memory&&) noexcept = default;
outcome_memory::~outcome_memory() = default;

std::variant<outcome_memory, std::string>
outcome_memory::make(size_t dimension) {
  auto i = rv::exact_index::make(dimension);
  if (auto* err = std::get_if<std::string>(&i))
    return "outcome memory: " + *err;
  return outcome_memory{dimension, std::make_unique<rv::exact_index>(
                                     std::move(std::get<rv::exact_index>(i)))};
}

uint32_t outcome_memory::intern(std::unordered_map<std::string, uint32_t>& ids,
                                std::vector<std::string>& names,
                                std::string_view name) {
  auto [it, fresh] = ids.try_emplace(std::string{name},
                                     static_cast<uint32_t>(names.size()));
  if (fresh)
    names.emplace_back(name);
  return it->second;
}

std::optional<std::string>
outcome_memory::add(uint64_t prompt, std::span<const float> embedding,
                    std::string_view task_type, const outcome& o) {
  if (embedding.size() != dim_)
    return "outcome memory: the embedding has " + std::to_string(embedding.size())
           + " floats, expected " + std::to_string(dim_);
  if (o.model.empty())
    return std::string{"outcome memory: an outcome without a model"};
  if (!(o.quality >= 0 && o.quality <= 1))
    return "outcome memory: quality " + std::to_string(o.quality)
           + " of model " + o.model + " is not in [0, 1]";
  auto [at, fresh] = row_of_.try_emplace(prompt, static_cast<uint32_t>(rows_.size()));
  if (fresh) {
    if (auto err = index_->add(at->second, embedding)) {
      row_of_.erase(at);
      return "outcome memory: " + *err;
    }
    rows_.push_back({intern(task_ids_, tasks_, task_type), {}});
  }
  auto& r = rows_[at->second];
  auto model = intern(model_ids_, models_, o.model);
  if (means_.size() < tasks_.size())
    means_.resize(tasks_.size());
  auto& acc = means_[r.task];
  if (acc.size() < models_.size())
    acc.resize(models_.size());
  auto c = std::find_if(r.cells.begin(), r.cells.end(),
                        [&](const cell& x) { return x.model == model; });
  if (costs_.size() < models_.size())
    costs_.resize(models_.size());
  auto& cost = costs_[model];
  if (o.cost_usd >= 0) {
    // A replaced cost leaves the sum; a new one joins it.
    if (c != r.cells.end() && c->cost >= 0)
      cost.sum -= c->cost;
    else
      ++cost.n;
    cost.sum += o.cost_usd;
  }
  if (c == r.cells.end()) {
    r.cells.push_back({model, static_cast<float>(o.quality),
                       static_cast<float>(o.cost_usd)});
    acc[model].sum += o.quality;
    ++acc[model].n;
    ++outcomes_;
  } else {
    acc[model].sum += o.quality - c->quality;
    c->quality = static_cast<float>(o.quality);
    if (o.cost_usd >= 0)
      c->cost = static_cast<float>(o.cost_usd);
  }
  return std::nullopt;
}

std::optional<double> outcome_memory::task_mean(uint32_t task,
                                                uint32_t model) const {
  if (task >= means_.size() || model >= means_[task].size()
      || means_[task][model].n == 0)
    return std::nullopt;
  return means_[task][model].sum / static_cast<double>(means_[task][model].n);
}

std::optional<double> outcome_memory::task_mean(std::string_view task_type,
                                                std::string_view model) const {
  auto t = task_ids_.find(std::string{task_type});
  auto m = model_ids_.find(std::string{model});
  if (t == task_ids_.end() || m == model_ids_.end())
    return std::nullopt;
  return task_mean(t->second, m->second);
}

std::variant<std::vector<model_estimate>, std::string>
outcome_memory::estimate(std::span<const float> embedding,
                         std::string_view task_type,
                         std::span<const std::string> models,
                         const estimate_params& p,
                         double unknown_quality) const {
  if (embedding.size() != dim_)
    return "outcome memory: the query embedding has "
           + std::to_string(embedding.size()) + " floats, expected "
           + std::to_string(dim_);
  // Per asked model: its id in the memory (none: never seen).
  std::vector<std::optional<uint32_t>> ids;
  ids.reserve(models.size());
  for (auto& m : models) {
    auto i = model_ids_.find(m);
    ids.push_back(i == model_ids_.end() ? std::nullopt
                                        : std::optional<uint32_t>{i->second});
  }
  struct sums {
    double wq = 0, w = 0, wc = 0, wcw = 0;
    size_t n = 0;
    double prior_q = 0;
    size_t prior_n = 0;
  };
  std::vector<sums> s(models_.size());
  auto want = std::min(std::max(p.k, p.prior_k), rows_.size());
  if (want > 0) {
    auto found = index_->search(embedding, want);
    if (auto* err = std::get_if<std::string>(&found))
      return "outcome memory: " + *err;
    auto& hits = std::get<rv::hits>(found);
    for (size_t i = 0; i < hits.size(); ++i) {
      auto& r = rows_[hits[i].id];
      if (i < p.prior_k)
        for (auto& c : r.cells) {
          s[c.model].prior_q += c.quality;
          ++s[c.model].prior_n;
        }
      if (i >= p.k)
        continue;
      auto w = std::pow(std::max<double>(hits[i].score, 1e-6), p.weight_power);
      for (auto& c : r.cells) {
        auto& x = s[c.model];
        x.wq += w * c.quality;
        x.w += w;
        ++x.n;
        if (c.cost >= 0) {
          x.wc += w * c.cost;
          x.wcw += w;
        }
      }
    }
  }
  auto task = task_ids_.find(std::string{task_type});
  std::vector<model_estimate> out;
  out.reserve(models.size());
  for (size_t i = 0; i < models.size(); ++i) {
    model_estimate e;
    e.model = models[i];
    if (!ids[i]) {
      e.quality = unknown_quality;
      out.push_back(std::move(e));
      continue;
    }
    auto m = *ids[i];
    // The task type's mean; a task type never seen: the model's mean
    // over all of them.
    std::optional<double> base;
    if (task != task_ids_.end())
      base = task_mean(task->second, m);
    if (!base) {
      double sum = 0;
      size_t n = 0;
      for (auto& acc : means_)
        if (m < acc.size()) {
          sum += acc[m].sum;
          n += acc[m].n;
        }
      base = n > 0 ? sum / static_cast<double>(n) : unknown_quality;
    }
    auto& x = s[m];
    // Shrinkage of 0 with nothing to shrink: the level above, as is.
    auto prior_den = static_cast<double>(x.prior_n) + p.prior_shrink;
    auto prior = prior_den > 0 ? (x.prior_q + p.prior_shrink * *base) / prior_den
                               : *base;
    auto den = x.w + p.shrink;
    e.quality = den > 0 ? (x.wq + p.shrink * prior) / den : prior;
    if (x.wcw > 0)
      e.cost_usd = x.wc / x.wcw;
    e.neighbours = x.n;
    out.push_back(std::move(e));
  }
  return out;
}

bool outcome_memory::knows(std::string_view model) const {
  return model_ids_.count(std::string{model}) != 0;
}

std::optional<double> outcome_memory::mean_cost(std::string_view model) const {
  auto m = model_ids_.find(std::string{model});
  if (m == model_ids_.end() || m->second >= costs_.size()
      || costs_[m->second].n == 0)
    return std::nullopt;
  return costs_[m->second].sum / static_cast<double>(costs_[m->second].n);
}

size_t outcome_memory::prompts() const noexcept {
  return rows_.size();
}

size_t outcome_memory::outcomes() const noexcept {
  return outcomes_;
}

} // namespace sophia::actors::optimizer
