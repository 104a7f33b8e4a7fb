#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "actors/optimizer/lease.hpp"

/// A node's side of the leases (`lease.hpp`): what this router may still use
/// of each cluster-wide limit without asking the limiter, and what to ask
/// it for. Calls use their estimate first and correct it by the actual
/// amount when they end, so `used` may pass `granted` by what a call cost
/// beyond its estimate (the next ask tells the limiter).
namespace sophia::actors::optimizer {

class lease_book {
public:
  /// `holder` names this router across the cluster (node and incarnation).
  explicit lease_book(std::string holder) : holder_(std::move(holder)) {
  }

  const std::string& holder() const noexcept {
    return holder_;
  }

  /// What this node may still use of `l` now. Infinite for a fail-open
  /// limit while the limiter cannot be reached.
  double left(const limit& l, int64_t now_ms);

  /// Uses `x` of `l` (negative: an estimate gave back its excess).
  void use(const limit& l, double x, int64_t now_ms);

  /// The ask that makes `need` fit with a lease of `chunk` to spare, or
  /// nothing when it fits and at least half a chunk is left, when an ask
  /// is on its way already, or when the limiter refused or could not be
  /// reached less than a second ago.
  std::optional<lease_ask> ask(const limit& l, double need, double chunk,
                               int64_t now_ms);

  /// Whether an ask about `id` is on its way.
  bool asking(const std::string& id) const {
    auto i = leases_.find(id);
    return i != leases_.end() && i->second.asking;
  }

  /// Whether the limiter refused `l` or could not be reached in its
  /// current window (so that a shortfall is final until it is asked again).
  bool answered(const limit& l, int64_t now_ms);

  /// The limiter's answer to an ask made by `ask`.
  void grant(const lease_grant& g, int64_t now_ms);

  /// The ask for `id` failed: the limiter could not be reached (`why`).
  void unreachable(const std::string& id, const std::string& why, int64_t now_ms);

  /// Why `need` does not fit `l` (empty: it fits), naming the limit, what
  /// the cluster used and when it resets, or that the limiter cannot be
  /// reached and `l` fails closed.
  std::string refusal(const limit& l, double need, int64_t now_ms);

  /// Gives back what this node holds unused of every limit idle for
  /// `idle_ms` (the asks to send), so that other nodes can use it.
  std::vector<lease_ask> releases(int64_t idle_ms, int64_t now_ms);

  /// Per limit: window, granted, used, the limiter's last answer.
  nlohmann::json to_json() const;

private:
  struct lease {
    int64_t window = -1;
    double amount = 0;
    double granted = 0;
    double used = 0;
    /// What the cluster had committed at the last answer.
    double committed = 0;
    bool asking = false;
    /// The last refusal (the limit reached) and the last failure to reach
    /// the limiter, and when; cleared by the next grant.
    std::string refused;
    std::string unreachable;
    int64_t answered_ms = 0;
    int64_t last_use_ms = 0;
  };
  lease& at(const limit& l, int64_t now_ms);

  std::string holder_;
  std::map<std::string, lease> leases_;
};

} // namespace sophia::actors::optimizer
