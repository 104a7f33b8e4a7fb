#include "actors/optimizer/limits.hpp"

#include <algorithm>
#include <cmath>

namespace sophia::actors::optimizer {

namespace {

/// Adds a limit of `amount` to `out` when it is set (0 is no limit): `id`
/// names it across the cluster, `what` and `config` name it for people.
void add(std::vector<limit>& out, double amount, std::string id, period per,
         bool fail_open, std::string what, std::string config, bool usd) {
  if (amount > 0)
    out.push_back({std::move(id), amount, per, fail_open, std::move(what),
                   std::move(config), usd});
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
  auto id = [&](const char* what) { return key_limit_id(key, what); };
  add(out.budgets, k.daily_usd, id("daily_usd"), period::day, k.budgets_fail_open,
      who + "daily AI budget", at + "daily_budget_cents", true);
  add(out.budgets, k.monthly_usd, id("monthly_usd"), period::month, k.budgets_fail_open,
      who + "monthly AI budget", at + "monthly_budget_cents", true);
  add(out.calls, static_cast<double>(k.calls_per_minute), id("calls"), period::minute,
      k.rates_fail_open, who + "ai.intelligent_generate calls this minute",
      at + "ai_calls_per_minute", false);
  add(out.tokens, static_cast<double>(k.tokens_per_minute), id("tokens"), period::minute,
      k.rates_fail_open, who + "AI tokens this minute", at + "tokens_per_minute", false);
  return out;
}

limit_set limits_of_provider(const limits_config& cfg, const std::string& provider) {
  limit_set out;
  auto i = cfg.providers.find(provider);
  if (i == cfg.providers.end())
    return out;
  auto& p = i->second;
  auto at = "[services." + provider + "] ";
  add(out.calls, static_cast<double>(p.requests_per_minute),
      provider_limit_id(provider, "requests"), period::minute, p.fail_open,
      provider + "'s calls this minute", at + "cluster_requests_per_minute", false);
  add(out.tokens, static_cast<double>(p.tokens_per_minute),
      provider_limit_id(provider, "tokens"), period::minute, p.fail_open,
      provider + "'s tokens this minute", at + "cluster_tokens_per_minute", false);
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
