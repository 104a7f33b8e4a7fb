#include "actors/optimizer/outcome_memory.hpp"

#include <algorithm>
#include <cmath>

#include "runtime/vectors/dot.hpp"
#include "runtime/vectors/select_highest.hpp"

namespace sophia::actors::optimizer {

namespace rv = runtime::vectors;

outcome_memory::outcome_memory(size_t dimension) : dim_(dimension), codes_(dimension) {}

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
    codes_.push_back(embedding);
    rows_.push_back({intern(task_ids_, tasks_, task_type),
                     static_cast<uint32_t>(cells_.size()), 0, 0});
  }
  auto& r = rows_[at->second];
  auto model = intern(model_ids_, models_, o.model);
  if (means_.size() < tasks_.size())
    means_.resize(tasks_.size());
  auto& acc = means_[r.task];
  if (acc.size() < models_.size())
    acc.resize(models_.size());
  auto row_cells = cells(r);
  auto c = std::find_if(row_cells.begin(), row_cells.end(),
                        [&](const cell& x) { return x.model == model; });
  if (costs_.size() < models_.size())
    costs_.resize(models_.size());
  auto& cost = costs_[model];
  if (o.cost_usd >= 0) {
    // A replaced cost leaves the sum; a new one joins it.
    if (c != row_cells.end() && c->cost >= 0)
      cost.sum -= c->cost;
    else
      ++cost.n;
    cost.sum += o.cost_usd;
  }
  if (c == row_cells.end()) {
    append(r, {model, static_cast<float>(o.quality), static_cast<float>(o.cost_usd)});
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

void outcome_memory::append(row& r, const cell& c) {
  if (r.size < r.capacity) {
    cells_[r.first + r.size++] = c;
    return;
  }
  if (r.first + r.size == cells_.size()) { // The last row grows in place.
    cells_.push_back(c);
    r.capacity = ++r.size;
    return;
  }
  if (abandoned_ > 1024 && abandoned_ > cells_.size() / 2) {
    // Compacted in row order, each row with room for one more.
    std::vector<cell> packed;
    packed.reserve(cells_.size() - abandoned_ + rows_.size());
    for (auto& x : rows_) {
      auto first = static_cast<uint32_t>(packed.size());
      packed.insert(packed.end(), cells_.begin() + x.first,
                    cells_.begin() + x.first + x.size);
      packed.resize(packed.size() + 1);
      x.first = first;
      x.capacity = x.size + 1;
    }
    cells_ = std::move(packed);
    abandoned_ = 0;
    cells_[r.first + r.size++] = c;
    return;
  }
  auto first = static_cast<uint32_t>(cells_.size());
  auto capacity = std::max<uint32_t>(4, 2 * r.size);
  cells_.resize(first + capacity);
  std::copy(cells_.begin() + r.first, cells_.begin() + r.first + r.size,
            cells_.begin() + first);
  abandoned_ += r.capacity;
  r.first = first;
  r.capacity = capacity;
  cells_[r.first + r.size++] = c;
}

namespace {

using scored_row = std::pair<float, uint32_t>;

float score_of(const scored_row& r) { return r.first; }

/// The `want` highest of `scores` (all of them when there are fewer) as
/// (score, row) into `out`, unordered. A strided sample of the scores gives a
/// threshold that about 1.5 × `want` rows pass; one branch-free pass
/// keeps those, and the selection runs on them instead of on every row.
/// When the sample misjudged (fewer than `want` passed, some 4.5 standard
/// deviations off), the selection runs on every row.
void select_best(std::span<const float> scores, size_t want,
                 std::vector<scored_row>& out) {
  auto n = scores.size();
  out.resize(n);
  size_t kept = n;
  if (n > 4096) {
    auto step = n / 1024;
    thread_local std::vector<float> sample;
    sample.clear();
    for (size_t i = 0; i < n; i += step)
      sample.push_back(scores[i]);
    auto rank = std::min(sample.size() - 1, (want * sample.size() * 3) / (2 * n) + 1);
    rv::select_highest(std::span{sample}, rank + 1, [](float x) { return x; });
    auto t = *std::min_element(sample.begin(), sample.begin() + static_cast<ptrdiff_t>(rank + 1));
    kept = 0;
    for (uint32_t i = 0; i < n; ++i) {
      out[kept] = {scores[i], i};
      kept += scores[i] >= t ? 1 : 0;
    }
    if (kept < want)
      kept = n;
  }
  if (kept == n)
    for (uint32_t i = 0; i < n; ++i)
      out[i] = {scores[i], i};
  out.resize(kept);
  rv::select_highest(std::span{out}, want, score_of);
  out.resize(std::min(want, out.size()));
}

} // namespace

void outcome_memory::neighbours(std::span<const float> q,
                                const estimate_params& p,
                                std::vector<scored_row>& near,
                                std::vector<mean_acc>& prior) const {
  // The `k` best of `v` (unordered: the weights need no order).
  auto keep_best = [](std::vector<scored_row>& v, size_t k) {
    rv::select_highest(std::span{v}, k, score_of);
    v.resize(std::min(k, v.size()));
  };
  auto add_prior = [&](std::span<const scored_row> v) {
    // Hundreds of rows scattered over the memory, their cells elsewhere
    // in `cells_`: each row is fetched 32 rows ahead and its cells 16
    // ahead, so that the misses overlap instead of following one another
    // (this loop was a fifth of a decision).
    constexpr size_t ahead = 16;
    for (size_t i = 0; i < v.size(); ++i) {
      if (i + 2 * ahead < v.size())
        __builtin_prefetch(&rows_[v[i + 2 * ahead].second]);
      if (i + ahead < v.size())
        __builtin_prefetch(cells_.data() + rows_[v[i + ahead].second].first);
      for (auto& c : cells(rows_[v[i].second])) {
        prior[c.model].sum += c.quality;
        ++prior[c.model].n;
      }
    }
  };
  // Scratch kept per thread: a decision allocates nothing in the scan.
  thread_local std::vector<float> approx;
  thread_local std::vector<scored_row> best;
  auto n = rows_.size();
  approx.resize(n);
  codes_.scores(q, approx.data());
  select_best(approx, std::max(p.k, p.prior_k), best);
  // The prior's rows: the first `prior_k` once selected.
  rv::select_highest(std::span{best}, p.prior_k, score_of);
  add_prior(std::span{best}.first(std::min(p.prior_k, best.size())));
  // The nearest few again, exactly: their weights are score^weight_power.
  keep_best(best, 2 * p.k + 8);
  for (auto& [score, row] : best)
    __builtin_prefetch(vec(row));
  for (auto& [score, row] : best)
    score = rv::dot(vec(row), q.data(), dim_);
  keep_best(best, p.k);
  near.assign(best.begin(), best.end());
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
      for (auto& c : cells(rows_[row])) {
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
