#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace sophia::runtime::registry {

/// The cluster-wide name table as one node sees it: the names its own actors
/// registered, plus the latest snapshot of every peer that is up. `Handle`
/// is `caf::actor` in production and any copyable type in tests.
template <class Handle>
class table {
public:
  /// One registered name.
  struct entry {
    std::string name;
    std::string node;
    Handle handle;
  };

  explicit table(std::string self)
    : self_(std::move(self)) {}

  const std::string& self() const noexcept { return self_; }

  /// Version of the local entries; grows with every change.
  uint64_t version() const noexcept { return version_; }

  /// Registers `name` locally. Fails (returns false) when the name is taken
  /// by another handle on this node; re-registering the same handle is a no-op.
  bool put(const std::string& name, const Handle& h) {
    auto [i, added] = local_.emplace(name, h);
    if (!added) return i->second == h;
    ++version_;
    return true;
  }

  /// Removes a local name; returns whether it existed.
  bool erase(const std::string& name) {
    if (local_.erase(name) == 0) return false;
    ++version_;
    return true;
  }

  /// Removes every local name bound to `h` (it terminated); returns how many.
  size_t erase_handle(const Handle& h) {
    size_t n = 0;
    for (auto i = local_.begin(); i != local_.end();)
      if (i->second == h) {
        i = local_.erase(i);
        ++n;
      } else {
        ++i;
      }
    if (n > 0) ++version_;
    return n;
  }

  /// Replaces the entries of peer `node` unless `incarnation`/`version` are
  /// older than what is stored; returns whether the snapshot was applied.
  bool apply(const std::string& node,
             uint64_t incarnation,
             uint64_t version,
             std::map<std::string, Handle> entries) {
    auto i = remote_.find(node);
    if (i != remote_.end()) {
      auto& r = i->second;
      if (incarnation < r.incarnation ||
          (incarnation == r.incarnation && version <= r.version))
        return false;
    }
    remote_[node] = remote{ incarnation, version, std::move(entries) };
    return true;
  }

  /// Forgets every entry of peer `node` (it went down or left).
  void drop(const std::string& node) { remote_.erase(node); }

  /// Resolves `name` (any node, this one first, then peers by name) or
  /// `name@node` (that node only).
  std::optional<Handle> lookup(std::string_view name) const {
    auto at = name.rfind('@');
    if (at != std::string_view::npos) {
      auto base = std::string{ name.substr(0, at) };
      auto node = name.substr(at + 1);
      if (node == self_) return find(local_, base);
      auto i = remote_.find(std::string{ node });
      return i == remote_.end() ? std::nullopt : find(i->second.entries, base);
    }
    auto key = std::string{ name };
    if (auto h = find(local_, key)) return h;
    for (auto& [node, r] : remote_)
      if (auto h = find(r.entries, key)) return h;
    return std::nullopt;
  }

  /// Every entry this node sees, sorted by name, then node.
  std::vector<entry> list() const {
    std::vector<entry> out;
    for (auto& [name, h] : local_)
      out.push_back({ name, self_, h });
    for (auto& [node, r] : remote_)
      for (auto& [name, h] : r.entries)
        out.push_back({ name, node, h });
    std::sort(out.begin(), out.end(), [](const entry& x, const entry& y) {
      return std::tie(x.name, x.node) < std::tie(y.name, y.node);
    });
    return out;
  }

  /// This node's own entries.
  const std::map<std::string, Handle>& local() const noexcept { return local_; }

private:
  struct remote {
    uint64_t incarnation = 0;
    uint64_t version = 0;
    std::map<std::string, Handle> entries;
  };

  static std::optional<Handle> find(const std::map<std::string, Handle>& xs,
                                    const std::string& key) {
    auto i = xs.find(key);
    return i == xs.end() ? std::nullopt : std::optional<Handle>{ i->second };
  }

  std::string self_;
  uint64_t version_ = 0;
  std::map<std::string, Handle> local_;
  std::map<std::string, remote> remote_;
};

} // namespace sophia::runtime::registry
