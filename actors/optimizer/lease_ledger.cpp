#include "actors/optimizer/lease_ledger.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace sophia::actors::optimizer {

void lease_ledger::seed(const std::string& id, int64_t window, double used) {
  auto& s = seeds_[{id, window}];
  s = std::max(s, used);
}

double lease_ledger::committed(const std::string& id, const entry& e) const {
  // The seed counts spend from before this limiter, which holders that
  // were already running report again as their own use: the larger of
  // the two, not their sum.
  double used = 0;
  double held = 0;
  for (auto& [_, h] : e.holders) {
    used += h.used;
    held += std::max(0.0, h.granted - h.used);
  }
  auto s = seeds_.find({id, e.window});
  return std::max(used, s == seeds_.end() ? 0.0 : s->second) + held;
}

lease_grant lease_ledger::ask(const std::string& holder, const lease_ask& a) {
  auto& e = entries_[a.id];
  lease_grant g{a.id, a.window, a.granted, 0, {}};
  if (a.window < e.window) {
    // A holder still in a window that has ended: nothing more for it.
    g.refused = "the window has ended";
    return g;
  }
  if (a.window > e.window) {
    e.window = a.window;
    e.holders.clear();
    // Seeds of windows that ended are no use any more.
    for (auto i = seeds_.lower_bound({a.id, 0}); i != seeds_.end() && i->first.first == a.id;)
      i = i->first.second < a.window ? seeds_.erase(i) : std::next(i);
  }
  e.amount = a.amount;
  auto& h = e.holders[holder];
  // The holder's latest count: it falls when a failed call gives its
  // estimate back (one ask per limit is on its way at a time, in order).
  h.used = a.used;
  h.granted = std::max(h.granted, a.granted);
  if (a.want < 0) {
    h.granted = h.used;
  } else if (a.want > 0) {
    auto room = e.amount - committed(a.id, e);
    auto give = std::max(0.0, std::min(a.want, room));
    h.granted = std::max(h.granted, h.used) + give;
    if (give < a.want)
      g.refused = lease_ledger_full;
  }
  g.granted = h.granted;
  g.committed = committed(a.id, e);
  return g;
}

nlohmann::json lease_ledger::to_json() const {
  auto out = nlohmann::json::array();
  for (auto& [id, e] : entries_) {
    auto holders = nlohmann::json::object();
    for (auto& [name, h] : e.holders)
      holders[name] = {{"used", h.used}, {"granted", h.granted}};
    out.push_back({{"id", id},
                   {"window", e.window},
                   {"amount", e.amount},
                   {"committed", committed(id, e)},
                   {"holders", std::move(holders)}});
  }
  return out;
}

} // namespace sophia::actors::optimizer
