#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <nlohmann/json_fwd.hpp>

#include "actors/optimizer/lease.hpp"

/// The limiter's side of the leases (`lease.hpp`): for each limit, in its
/// current window, what each holder (a router on some node, in one
/// incarnation) used and was granted. The cluster has committed what was
/// used plus what is held unused; a grant never takes that past the limit,
/// so the cluster overshoots a limit only by what a call costs beyond its
/// estimate, and never by more than the leases outstanding.
namespace sophia::actors::optimizer {

class lease_ledger {
public:
  /// Use in window `window` of limit `id` from before this limiter (spend
  /// stored in the system of record): the cluster's use is at least this.
  void seed(const std::string& id, int64_t window, double used);

  /// Answers `holder`'s ask, taking its `used` as it says (a limiter that
  /// restarted learns holdings from the next ask); a negative `want` gives
  /// back the unused part of its lease.
  lease_grant ask(const std::string& holder, const lease_ask& a);

  /// Per limit: window, amount, committed, holders.
  nlohmann::json to_json() const;

private:
  struct holding {
    double used = 0;
    double granted = 0;
  };
  struct entry {
    int64_t window = -1;
    double amount = 0;
    std::map<std::string, holding> holders;
  };
  double committed(const std::string& id, const entry& e) const;

  std::map<std::string, entry> entries_;
  std::map<std::pair<std::string, int64_t>, double> seeds_;
};

} // namespace sophia::actors::optimizer
