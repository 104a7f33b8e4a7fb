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
  struct series;

public:
  /// One series, found once: updating it costs the mutex and no label
  /// rendering or lookup, for counters hit on every request. Removing the
  /// series from the registry leaves the handle counting into nothing.
  class handle {
  public:
    handle() = default;

    /// Adds `v` (>= 0) to a counter.
    void add(double v = 1) const;
    /// Sets a gauge.
    void set(double v) const;
    /// Records one observation in a histogram.
    void observe(double v) const;

    /// False for a default handle or an undeclared family.
    explicit operator bool() const noexcept { return s_ != nullptr; }

  private:
    friend class registry;
    registry* reg_ = nullptr;
    std::shared_ptr<series> s_;
    /// The family's buckets (families are never removed).
    const std::vector<double>* buckets_ = nullptr;
  };


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
  /// The series `name{l}`, created when absent; an empty handle when
  /// the family was never declared.
  handle series_of(std::string_view name, const labels& l);
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
    /// Shared with handles, which may outlive a removal.
    std::map<std::string, std::shared_ptr<series>> by_labels;
  };

  family* find(std::string_view name);
  /// The series, created when absent; the caller holds the mutex.
  static const std::shared_ptr<series>& in(family& f, const labels& l);
  /// Adds one observation; the caller holds the mutex.
  static void record(series& s, const std::vector<double>& buckets, double v);

  mutable std::mutex mtx_;
  std::map<std::string, family, std::less<>> families_;
};

/// Renders labels as `{a="x",b="y"}` with Prometheus escaping ("" when none).
std::string label_text(const labels& l);

} // namespace sophia::runtime::metrics
