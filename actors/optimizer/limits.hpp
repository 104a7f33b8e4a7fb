#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/optimizer/lease.hpp"

/// The cluster-wide limits a router enforces, as the configuration sets
/// them, and the one way it makes sure a call fits them (`ensure`): the
/// node's leases (`lease_book.hpp`), topped up from the limiter
/// (`limiter.hpp`) in one round trip when they fall short.
namespace sophia::actors::optimizer {

/// `[api_keys.NAME]`'s AI limits; 0 is no limit.
struct key_limits {
  double daily_usd = 0;
  double monthly_usd = 0;
  int64_t calls_per_minute = 0;
  int64_t tokens_per_minute = 0;
  /// When the limiter cannot be reached (budgets_on_limiter_down,
  /// rates_on_limiter_down).
  bool budgets_fail_open = false;
  bool rates_fail_open = true;
};

/// `[services.NAME]`'s cluster rates; 0 is no limit.
struct provider_limits {
  int64_t requests_per_minute = 0;
  int64_t tokens_per_minute = 0;
  bool fail_open = true;
};

struct limits_config {
  std::map<std::string, key_limits> keys;
  std::map<std::string, provider_limits> providers;
  /// `[cluster] lease_percent`.
  int64_t lease_percent = 5;
};

/// A key's or a provider's limits, by what they count.
struct limit_set {
  /// USD: a key's daily and monthly budgets.
  std::vector<limit> budgets;
  /// Calls a minute: a key's ai_calls_per_minute, a provider's
  /// cluster_requests_per_minute.
  std::vector<limit> calls;
  /// Tokens a minute.
  std::vector<limit> tokens;

  bool empty() const noexcept {
    return budgets.empty() && calls.empty() && tokens.empty();
  }
};

/// The limits of API key `key` (empty for a key without any).
limit_set limits_of_key(const limits_config& cfg, const std::string& key);

/// The cluster rates of AI provider `provider`.
limit_set limits_of_provider(const limits_config& cfg, const std::string& provider);

/// How much of one limit a call needs.
struct need {
  limit l;
  double amount = 0;
};

/// What a call of `usd`, `calls` and `tokens` needs of `set`.
std::vector<need> needs_of(const limit_set& set, double usd, double calls, double tokens);

/// The lease a node asks for at a time: `lease_percent` of the limit
/// (whole calls and tokens, at least one).
double lease_chunk(const limits_config& cfg, const limit& l);

} // namespace sophia::actors::optimizer
