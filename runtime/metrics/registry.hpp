#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// The node's metrics, served as Prometheus text exposition (format 0.0.4)
/// at `/metrics`. One registry per process (a node is one process); every
/// part of the node updates it directly. Updates take a mutex for a few
/// map operations: cheap next to the tool calls and HTTP requests counted.
namespace sophia::runtime::metrics {

enum class kind { counter, gauge, histogram };

/// Label pairs, e.g. {{"tool", "openrouter.chat"}, {"outcome", "ok"}}.
using labels = std::vector<std::pair<std::string, std::string>>;

/// Latency buckets in seconds: 1 ms to 60 s.
const std::vector<double>& latency_buckets();

class registry {
public:
  /// The process's registry.
  static registry& global();

  /// Declares a family; `name` follows Prometheus rules (counters end in
  /// `_total`). Declaring it again with the same kind is harmless.
  void declare(std::string name,
               kind k,
               std::string help,
               std::vector<double> buckets = latency_buckets());

  /// Adds `v` (>= 0) to a counter.
  void add(std::string_view name, const labels& l, double v = 1);
  /// Sets a gauge.
  void set(std::string_view name, const labels& l, double v);
  /// Records one observation in a histogram.
  void observe(std::string_view name, const labels& l, double v);
  /// Removes a gauge's series (e.g. a service no longer configured).
  void remove(std::string_view name, const labels& l);

  /// The text exposition of every family, in name order.
  std::string render() const;

  /// The current value of a counter or gauge series (0 when absent); tests.
  double value(std::string_view name, const labels& l) const;

private:
  struct series {
    double value = 0;
    /// Histograms: per bucket (not cumulative), and the sum.
    std::vector<uint64_t> counts;
    uint64_t count = 0;
  };
  struct family {
    kind k = kind::counter;
    std::string help;
    std::vector<double> buckets;
    std::map<std::string, series> by_labels;
  };

  family* find(std::string_view name);

  mutable std::mutex mtx_;
  std::map<std::string, family, std::less<>> families_;
};

/// Renders labels as `{a="x",b="y"}` with Prometheus escaping ("" when none).
std::string label_text(const labels& l);

} // namespace sophia::runtime::metrics
