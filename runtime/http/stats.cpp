#include "runtime/http/stats.hpp"

#include <algorithm>

namespace sophia::runtime::http {

void histogram::add(std::chrono::microseconds latency) {
  auto ms = latency.count() / 1000.0;
  ++count_;
  sum_ms_ += ms;
  for (size_t i = 0; i < bounds_ms.size(); ++i)
    if (ms <= bounds_ms[i]) {
      ++in_bucket_[i];
      break;
    }
}

nlohmann::json histogram::to_json() const {
  auto bounds = nlohmann::json::array();
  auto counts = nlohmann::json::array();
  uint64_t running = 0;
  for (size_t i = 0; i < bounds_ms.size(); ++i) {
    running += in_bucket_[i];
    bounds.push_back(bounds_ms[i]);
    counts.push_back(running);
  }
  return { { "count", count_ },
           { "sum_ms", sum_ms_ },
           { "buckets_ms", std::move(bounds) },
           { "counts", std::move(counts) } };
}

void service_stats::record(int status, std::chrono::microseconds latency) {
  by_status[std::max(status, 0)].add(latency);
}

nlohmann::json service_stats::responses_json() const {
  auto out = nlohmann::json::object();
  for (auto& [status, h] : by_status)
    out[status > 0 ? std::to_string(status) : "error"] = h.to_json();
  return out;
}

} // namespace sophia::runtime::http
