#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sophia::runtime::call {

/// Bookkeeping of calls in flight, by call id and by target, so that every
/// call still pending on a target can be failed the moment that target (or
/// its node) goes down: CAF 0.17 never fails such requests by itself.
/// `Slot` is whatever completes a call (a response promise in production).
template <class Key, class Slot>
class pending_calls {
public:
  /// Records call `id` to `target`.
  void add(uint64_t id, const Key& target, Slot slot) {
    by_id_.emplace(id, entry{target, std::move(slot)});
    by_target_[target].insert(id);
  }

  /// Removes call `id` and returns its slot, or nothing if it was already
  /// completed (e.g. failed because its target went down).
  std::optional<Slot> take(uint64_t id) {
    auto i = by_id_.find(id);
    if (i == by_id_.end())
      return std::nullopt;
    auto result = std::move(i->second.slot);
    auto t = by_target_.find(i->second.target);
    t->second.erase(id);
    if (t->second.empty())
      by_target_.erase(t);
    by_id_.erase(i);
    return result;
  }

  /// Removes every call to `target` and returns their slots.
  std::vector<Slot> take_all(const Key& target) {
    std::vector<Slot> result;
    auto t = by_target_.find(target);
    if (t == by_target_.end())
      return result;
    for (auto id : t->second) {
      auto i = by_id_.find(id);
      result.emplace_back(std::move(i->second.slot));
      by_id_.erase(i);
    }
    by_target_.erase(t);
    return result;
  }

  /// Number of calls in flight.
  size_t size() const noexcept {
    return by_id_.size();
  }

  /// Number of calls in flight to `target`.
  size_t count(const Key& target) const {
    auto t = by_target_.find(target);
    return t == by_target_.end() ? 0 : t->second.size();
  }

private:
  struct entry {
    Key target;
    Slot slot;
  };
  std::unordered_map<uint64_t, entry> by_id_;
  std::map<Key, std::unordered_set<uint64_t>> by_target_;
};

} // namespace sophia::runtime::call
