#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

/// What the client counts per service, for `(stats)`.
namespace sophia::runtime::http {

/// A latency histogram with fixed bucket bounds (milliseconds).
class histogram {
public:
  static constexpr std::array<double, 14> bounds_ms{
    1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000
  };

  void add(std::chrono::microseconds latency);

  uint64_t count() const noexcept { return count_; }

  /// `count`, `sum_ms`, `buckets_ms` (upper bounds) and cumulative `counts`.
  nlohmann::json to_json() const;

private:
  uint64_t count_ = 0;
  double sum_ms_ = 0;
  /// Not cumulative here; made cumulative when rendered.
  std::array<uint64_t, bounds_ms.size()> in_bucket_{};
};

/// One service's counters: attempts per status ("200", ..., "error").
struct service_stats {
  /// By HTTP status; 0 is "error".
  std::map<int, histogram> by_status;
  std::string last_error;
  /// Connections libcurl opened for this service's attempts.
  uint64_t new_connections = 0;

  /// Counts one attempt's outcome: `status` 0 counts as "error".
  void record(int status, std::chrono::microseconds latency);

  /// The `responses` object of the stats JSON.
  nlohmann::json responses_json() const;
};

} // namespace sophia::runtime::http
