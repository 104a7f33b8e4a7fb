#include "actors/optimizer/outcome_memory.hpp"

#include <algorithm>
#include <cmath>

#include "runtime/vectors/dot.hpp"

namespace sophia::actors::optimizer {

namespace rv = runtime::vectors;

outcome_memory::outcome_memory(size_t dimension) : dim_(dimension) {}

outcome_memory::outcome_memory(outcome_memory&&) noexcept = default;
outcome_memory& outcome_memory::operator=(outcome_memory&&) noexcept = default;
outcome_memory::~outcome_memory() = default;

std::variant<outcome_memory, std::string>
outcome_memory::make(size_t dimension) {
  if (dimension == 0)
    return std::string{"outcome memory: the dimension must be at least 1"};
  return outcome_memory{dimension};
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
    vecs_.insert(vecs_.end(), embedding.begin(), embedding.end());
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

void outcome_memory::neighbours(std::span<const float> q,
                                const estimate_params& p,
                                std::vector<scored_row>& near,
                                std::vector<mean_acc>& prior) const {
  auto by_score = [](const scored_row& a, const scored_row& b) {
    return a.first > b.first;
  };
  auto n = static_cast<uint32_t>(rows_.size());
  near.clear();
  near.reserve(n);
  for (uint32_t i = 0; i < n; ++i)
    near.emplace_back(rv::dot(vec(i), q.data(), dim_), i);
  // The `k` best of `near` first (unordered: the weights need no order).
  auto keep_best = [&](std::vector<scored_row>& v, size_t k) {
    if (v.size() > k) {
      std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(k), v.end(),
                       by_score);
      v.resize(k);
    }
  };
  auto add_prior = [&](const std::vector<scored_row>& v) {
    for (auto& [score, row] : v)
      for (auto& c : rows_[row].cells) {
        prior[c.model].sum += c.quality;
        ++prior[c.model].n;
      }
  };
  keep_best(near, std::max(p.k, p.prior_k));
  if (p.prior_k >= near.size()) {
    add_prior(near);
  } else if (p.prior_k > 0) {
    auto best = near;
    keep_best(best, p.prior_k);
    add_prior(best);
  }
  keep_best(near, p.k);
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
  };
  std::vector<sums> s(models_.size());
  std::vector<mean_acc> prior(models_.size());
  if (!rows_.empty()) {
    std::vector<scored_row> near;
    neighbours(embedding, p, near, prior);
    for (auto& [score, row] : near) {
      auto w = std::pow(std::max<double>(score, 1e-6), p.weight_power);
      for (auto& c : rows_[row].cells) {
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
    e.known = true;
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
    auto prior_den = static_cast<double>(prior[m].n) + p.prior_shrink;
    auto local = prior_den > 0 ? (prior[m].sum + p.prior_shrink * *base) / prior_den
                               : *base;
    auto den = x.w + p.shrink;
    e.quality = den > 0 ? (x.wq + p.shrink * local) / den : local;
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
