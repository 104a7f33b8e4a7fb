#include "actors/optimizer/live_record.hpp"

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

namespace sophia::actors::optimizer {

namespace {

/// Successful calls kept for the p95.
constexpr size_t window = 100;
/// EWMA weights: latency and tokens follow a change within ~5 calls,
/// success within ~10.
constexpr double latency_alpha = 0.2;
constexpr double success_alpha = 0.1;

} // namespace

double model_record::p95_ms() const {
  if (recent_ms.empty())
    return 0;
  std::vector<double> v(recent_ms.begin(), recent_ms.end());
  auto k = static_cast<size_t>(0.95 * static_cast<double>(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(k), v.end());
  return v[k];
}

std::chrono::milliseconds model_record::deadline(std::chrono::milliseconds longest) const {
  if (calls - failures < 20)
    return longest;
  auto ms = std::chrono::milliseconds{static_cast<int64_t>(4 * p95_ms())};
  return std::min(longest, std::max(ms, std::chrono::milliseconds{10000}));
}

live_record::live_record(size_t threshold, std::chrono::milliseconds cool_down)
  : threshold_(threshold), cool_down_(cool_down) {}

void live_record::success(const std::string& provider, const std::string& model,
                          double latency_ms, int64_t completion_tokens) {
  auto& r = models_[{provider, model}];
  auto first = r.calls == r.failures;
  ++r.calls;
  r.latency_ewma_ms = first ? latency_ms
                            : r.latency_ewma_ms
                                + latency_alpha * (latency_ms - r.latency_ewma_ms);
  r.recent_ms.push_back(latency_ms);
  if (r.recent_ms.size() > window)
    r.recent_ms.pop_front();
  r.success_rate += success_alpha * (1 - r.success_rate);
  auto tokens = static_cast<double>(completion_tokens);
  r.completion_tokens = first ? tokens
                              : r.completion_tokens
                                  + latency_alpha * (tokens - r.completion_tokens);
  auto& b = providers_[provider];
  b.consecutive_failures = 0;
  b.open_until = {};
}

void live_record::failure(const std::string& provider, const std::string& model,
                          std::string error) {
  auto& r = models_[{provider, model}];
  ++r.calls;
  ++r.failures;
  r.success_rate -= success_alpha * r.success_rate;
  auto& b = providers_[provider];
  b.last_error = std::move(error);
  // A failure while half-open opens it again at once.
  if (++b.consecutive_failures >= threshold_) {
    if (b.open_until <= steady::now())
      ++b.opened;
    b.open_until = steady::now() + cool_down_;
  }
}

const model_record& live_record::of(const std::string& provider,
                                    const std::string& model) const {
  static const model_record none;
  auto i = models_.find({provider, model});
  return i == models_.end() ? none : i->second;
}

bool live_record::open(const std::string& provider, steady::time_point now) const {
  auto i = providers_.find(provider);
  return i != providers_.end() && i->second.open_until > now;
}

nlohmann::json live_record::to_json() const {
  nlohmann::json providers = nlohmann::json::array();
  auto now = steady::now();
  for (auto& [name, b] : providers_)
    providers.push_back({{"provider", name},
                         {"breaker", b.open_until > now ? "open" : "closed"},
                         {"consecutive_failures", b.consecutive_failures},
                         {"opened", b.opened},
                         {"last_error", b.last_error}});
  nlohmann::json models = nlohmann::json::array();
  for (auto& [key, r] : models_)
    models.push_back({{"provider", key.first},
                      {"model", key.second},
                      {"calls", r.calls},
                      {"failures", r.failures},
                      {"success_rate", r.success_rate},
                      {"latency_ewma_ms", r.latency_ewma_ms},
                      {"latency_p95_ms", r.p95_ms()},
                      {"completion_tokens", r.completion_tokens}});
  return {{"providers", std::move(providers)}, {"models", std::move(models)}};
}

} // namespace sophia::actors::optimizer
