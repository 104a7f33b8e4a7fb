#include "actors/optimizer/lease_book.hpp"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

namespace sophia::actors::optimizer {

namespace {

/// How long a refusal or an unreachable limiter stands before asking again.
constexpr int64_t retry_ms = 1000;

} // namespace

lease_book::lease& lease_book::at(const limit& l, int64_t now_ms) {
  auto& x = leases_[l.id];
  auto w = window_of(l.per, now_ms);
  if (x.window != w) {
    // A new window: nothing used, nothing held. An ask still on its way
    // belongs to the old one (its answer is ignored).
    x = lease{};
    x.window = w;
  }
  x.amount = l.amount;
  return x;
}

double lease_book::left(const limit& l, int64_t now_ms) {
  auto& x = at(l, now_ms);
  if (l.fail_open && !x.unreachable.empty())
    return std::numeric_limits<double>::infinity();
  return std::max(0.0, x.granted - x.used);
}

void lease_book::use(const limit& l, double amount, int64_t now_ms) {
  auto& x = at(l, now_ms);
  x.used = std::max(0.0, x.used + amount);
  x.last_use_ms = now_ms;
}

std::optional<lease_ask> lease_book::ask(const limit& l, double need, double chunk,
                                         int64_t now_ms) {
  auto& x = at(l, now_ms);
  if (x.asking)
    return std::nullopt;
  auto rest = x.granted - x.used;
  if (rest >= need + chunk / 2)
    return std::nullopt;
  if ((!x.refused.empty() || !x.unreachable.empty()) && now_ms - x.answered_ms < retry_ms)
    return std::nullopt;
  x.asking = true;
  // Enough for `need` and a chunk besides, never more than the limit.
  auto want = std::min(std::max(0.0, need - rest) + chunk, l.amount);
  return lease_ask{l.id, x.window, l.amount, x.used, x.granted, want};
}

bool lease_book::answered(const limit& l, int64_t now_ms) {
  auto& x = at(l, now_ms);
  return !x.refused.empty() || !x.unreachable.empty();
}

void lease_book::grant(const lease_grant& g, int64_t now_ms) {
  auto i = leases_.find(g.id);
  if (i == leases_.end() || i->second.window != g.window)
    return;
  auto& x = i->second;
  x.asking = false;
  // The limiter's total: more after an ask, what was used after a release.
  x.granted = g.granted;
  x.committed = g.committed;
  x.refused = g.refused;
  x.unreachable.clear();
  x.answered_ms = now_ms;
}

void lease_book::unreachable(const std::string& id, const std::string& why,
                             int64_t now_ms) {
  auto i = leases_.find(id);
  if (i == leases_.end())
    return;
  i->second.asking = false;
  i->second.unreachable = why;
  i->second.answered_ms = now_ms;
}

std::string lease_book::refusal(const limit& l, double need, int64_t now_ms) {
  if (need <= left(l, now_ms))
    return {};
  auto& x = at(l, now_ms);
  if (!x.unreachable.empty())
    return l.what + " (" + l.config + "): this node's lease is used up ("
           + l.show(x.used) + " of " + l.show(x.granted)
           + ") and the limiter (role monitoring) cannot be reached: " + x.unreachable
           + "; the limit fails closed";
  auto cluster = std::max(x.committed, x.used);
  // Not the limit itself: the limiter still reading the spend, a window
  // that just ended.
  if (!x.refused.empty() && x.refused != lease_ledger_full)
    return l.what + " (" + l.config + "): the limiter gave no lease: " + x.refused;
  return l.what + " is used up: " + l.show(cluster) + " used or held across the cluster of "
         + l.show(l.amount) + " (" + l.config + "), " + l.show(need)
         + " more needed; it resets " + next_window(l.per, now_ms);
}

std::vector<lease_ask> lease_book::releases(int64_t idle_ms, int64_t now_ms) {
  std::vector<lease_ask> out;
  for (auto& [id, x] : leases_)
    if (!x.asking && x.granted > x.used && now_ms - x.last_use_ms >= idle_ms
        && x.unreachable.empty()) {
      x.asking = true;
      out.push_back({id, x.window, x.amount, x.used, x.granted, -1});
    }
  return out;
}

nlohmann::json lease_book::to_json() const {
  auto out = nlohmann::json::array();
  for (auto& [id, x] : leases_)
    out.push_back({{"id", id},
                   {"window", x.window},
                   {"amount", x.amount},
                   {"granted", x.granted},
                   {"used", x.used},
                   {"cluster_committed", x.committed},
                   {"refused", x.refused},
                   {"limiter_unreachable", x.unreachable}});
  return out;
}

} // namespace sophia::actors::optimizer
