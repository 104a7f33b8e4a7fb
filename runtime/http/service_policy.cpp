#include "runtime/http/service_policy.hpp"

#include <algorithm>

#include "runtime/config/cluster_config.hpp"

namespace sophia::runtime::http {

policy policy_of(const config::service_config& svc) {
  policy p;
  p.connect_timeout = std::chrono::milliseconds{svc.connect_timeout_ms};
  p.timeout = std::chrono::milliseconds{svc.timeout_ms};
  p.max_response_bytes = static_cast<size_t>(svc.max_response_bytes);
  p.max_retries = static_cast<int>(svc.max_retries);
  p.backoff_base = std::chrono::milliseconds{svc.backoff_ms};
  p.breaker_failures = static_cast<int>(svc.breaker_failures);
  p.breaker_cooldown = std::chrono::milliseconds{svc.breaker_cooldown_ms};
  p.max_concurrency = static_cast<int>(svc.max_concurrency);
  // rate_per_minute as a token bucket: a second's worth of burst.
  p.rate_per_second = static_cast<double>(svc.rate_per_minute) / 60.0;
  p.rate_burst = svc.rate_per_minute > 0
                   ? static_cast<int>(std::max<int64_t>(1, svc.rate_per_minute / 60))
                   : 0;
  p.ca_file = svc.ca_file;
  return p;
}

} // namespace sophia::runtime::http
