#include "actors/optimizer/limits.hpp"

#include <algorithm>
#include <cmath>

namespace sophia::actors::optimizer {

namespace {

limit make(std::string id, double amount, period per, bool fail_open, std::string what,
           std::string config, bool usd) {
  return {std::move(id), amount, per, fail_open, std::move(what), std::move(config), usd};
}

} // namespace

limit_set limits_of_key(const limits_config& cfg, const std::string& key) {
  limit_set out;
  auto i = cfg.keys.find(key);
  if (i == cfg.keys.end())
    return out;
  auto& k = i->second;
  auto at = "[api_keys." + key + "] ";
  auto who = "API key " + key + "'s ";
  if (k.daily_usd > 0)
    out.budgets.push_back(make(key_limit_id(key, "daily_usd"), k.daily_usd, period::day,
                               k.budgets_fail_open, who + "daily AI budget",
                               at + "daily_budget_cents", true));
  if (k.monthly_usd > 0)
    out.budgets.push_back(make(key_limit_id(key, "monthly_usd"), k.monthly_usd,
                               period::month, k.budgets_fail_open,
                               who + "monthly AI budget", at + "monthly_budget_cents",
                               true));
  if (k.calls_per_minute > 0)
    out.calls.push_back(make(key_limit_id(key, "calls"),
                             static_cast<double>(k.calls_per_minute), period::minute,
                             k.rates_fail_open,
                             who + "ai.intelligent_generate calls this minute",
                             at + "ai_calls_per_minute", false));
  if (k.tokens_per_minute > 0)
    out.tokens.push_back(make(key_limit_id(key, "tokens"),
                              static_cast<double>(k.tokens_per_minute), period::minute,
                              k.rates_fail_open, who + "AI tokens this minute",
                              at + "tokens_per_minute", false));
  return out;
}

limit_set limits_of_provider(const limits_config& cfg, const std::string& provider) {
  limit_set out;
  auto i = cfg.providers.find(provider);
  if (i == cfg.providers.end())
    return out;
  auto& p = i->second;
  auto at = "[services." + provider + "] ";
  if (p.requests_per_minute > 0)
    out.calls.push_back(make(provider_limit_id(provider, "requests"),
                             static_cast<double>(p.requests_per_minute), period::minute,
                             p.fail_open, provider + "'s calls this minute",
                             at + "cluster_requests_per_minute", false));
  if (p.tokens_per_minute > 0)
    out.tokens.push_back(make(provider_limit_id(provider, "tokens"),
                              static_cast<double>(p.tokens_per_minute), period::minute,
                              p.fail_open, provider + "'s tokens this minute",
                              at + "cluster_tokens_per_minute", false));
  return out;
}

std::vector<need> needs_of(const limit_set& set, double usd, double calls, double tokens) {
  std::vector<need> out;
  for (auto& l : set.budgets)
    out.push_back({l, usd});
  for (auto& l : set.calls)
    out.push_back({l, calls});
  for (auto& l : set.tokens)
    out.push_back({l, tokens});
  return out;
}

double lease_chunk(const limits_config& cfg, const limit& l) {
  auto x = l.amount * static_cast<double>(cfg.lease_percent) / 100.0;
  // Calls and tokens come whole: a fraction of one would strand the rest.
  return l.usd ? x : std::max(1.0, std::ceil(x));
}

} // namespace sophia::actors::optimizer
