#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>

#include <nlohmann/json_fwd.hpp>

/// What the router saw of real calls: per provider and model, latency
/// (EWMA and p95 of the last calls), success rate and completion tokens;
/// per provider, a breaker that opens after consecutive failures and lets
/// one call through once its cool-down has passed (half-open).
namespace sophia::actors::optimizer {

using steady = std::chrono::steady_clock;

/// One (provider, model)'s record.
struct model_record {
  size_t calls = 0;
  size_t failures = 0;
  /// EWMA of the latency of successful calls, ms.
  double latency_ewma_ms = 0;
  /// The latencies of the last `window` successful calls, ms.
  std::deque<double> recent_ms;
  /// EWMA of success (1) and failure (0); 1 before any call.
  double success_rate = 1;
  /// EWMA of completion tokens; 0 before any call.
  double completion_tokens = 0;

  double p95_ms() const;

  /// The deadline of a call to it: 4 x its p95 latency (at least 10 s)
  /// once 20 calls succeeded, at most `longest`; `longest` before.
  std::chrono::milliseconds deadline(std::chrono::milliseconds longest) const;
};

/// A provider's breaker.
struct provider_breaker {
  size_t consecutive_failures = 0;
  steady::time_point open_until{};
  size_t opened = 0;
  std::string last_error;
};

class live_record {
public:
  /// Failures in a row that open a provider's breaker, and how long it
  /// stays open.
  explicit live_record(size_t threshold = 3,
                       std::chrono::milliseconds cool_down = std::chrono::seconds{30});

  void success(const std::string& provider, const std::string& model,
               double latency_ms, int64_t completion_tokens);
  void failure(const std::string& provider, const std::string& model,
               std::string error);

  /// The record of a model on a provider (an empty one when none).
  const model_record& of(const std::string& provider,
                         const std::string& model) const;

  /// Whether the provider's breaker is open now.
  bool open(const std::string& provider, steady::time_point now = steady::now()) const;

  /// `{providers: [{provider, breaker, consecutive_failures, last_error}],
  /// models: [{provider, model, calls, failures, success_rate,
  /// latency_ewma_ms, latency_p95_ms, completion_tokens}]}`.
  nlohmann::json to_json() const;

private:
  size_t threshold_;
  std::chrono::milliseconds cool_down_;
  std::map<std::pair<std::string, std::string>, model_record> models_;
  std::map<std::string, provider_breaker> providers_;
};

} // namespace sophia::actors::optimizer
