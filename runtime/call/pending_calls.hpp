#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sophia::runtime::call {

/// Bookkeeping of calls in flight, by call id, by target and by deadline, so
/// that every call still pending on a target can be failed the moment that
/// target (or its node) goes down (CAF 0.17 never fails such requests by
/// itself), and every call past its deadline by one periodic sweep instead of
/// one CAF timer per call (CAF keeps each timer until it fires, even after
/// the reply came). `Slot` is whatever completes a call (a response promise
/// in production); `Time` a time point.
template <class Key,
          class Slot,
          class Time = std::chrono::steady_clock::time_point>
class pending_calls {
public:
  /// Records call `id` to `target`, due by `deadline`.
  void add(uint64_t id, const Key& target, Time deadline, Slot slot) {
    auto due = by_deadline_.emplace(deadline, id);
    by_id_.emplace(id, entry{ target, due, std::move(slot) });
    by_target_[target].insert(id);
  }

  /// Removes and returns the slots of every call whose deadline is at or
  /// before `now`.
  std::vector<Slot> take_expired(Time now) {
    std::vector<Slot> result;
    while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
      if (auto slot = take(by_deadline_.begin()->second))
        result.emplace_back(std::move(*slot));
    }
    return result;
  }

  /// The earliest deadline of a pending call, if any.
  std::optional<Time> next_deadline() const {
    if (by_deadline_.empty()) return std::nullopt;
    return by_deadline_.begin()->first;
  }

  /// Removes call `id` and returns its slot, or nothing if it was already
  /// completed (e.g. failed because its target went down).
  std::optional<Slot> take(uint64_t id) {
    auto i = by_id_.find(id);
    if (i == by_id_.end()) return std::nullopt;
    auto result = std::move(i->second.slot);
    by_deadline_.erase(i->second.due);
    auto t = by_target_.find(i->second.target);
    t->second.erase(id);
    if (t->second.empty()) by_target_.erase(t);
    by_id_.erase(i);
    return result;
  }

  /// Removes every call to `target` and returns their slots.
  std::vector<Slot> take_all(const Key& target) {
    std::vector<Slot> result;
    auto t = by_target_.find(target);
    if (t == by_target_.end()) return result;
    for (auto id : t->second) {
      auto i = by_id_.find(id);
      result.emplace_back(std::move(i->second.slot));
      by_deadline_.erase(i->second.due);
      by_id_.erase(i);
    }
    by_target_.erase(t);
    return result;
  }

  /// Number of calls in flight.
  size_t size() const noexcept { return by_id_.size(); }

  /// Number of calls in flight to `target`.
  size_t count(const Key& target) const {
    auto t = by_target_.find(target);
    return t == by_target_.end() ? 0 : t->second.size();
  }

private:
  using deadline_map = std::multimap<Time, uint64_t>;

  struct entry {
    Key target;
    typename deadline_map::iterator due;
    Slot slot;
  };
  deadline_map by_deadline_;
  std::unordered_map<uint64_t, entry> by_id_;
  std::map<Key, std::unordered_set<uint64_t>> by_target_;
};

} // namespace sophia::runtime::call
