#include "runtime/placement/decide.hpp"

#include <algorithm>

namespace sophia::runtime::placement {

namespace {

constexpr std::string_view prefix = "role.";

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

/// The nodes whose `roles` list `role`.
std::vector<std::string> owners(const view& v, const std::string& role) {
  std::vector<std::string> out;
  for (auto& n : v.cluster->nodes)
    if (contains(n.roles, role)) out.push_back(n.name);
  return out;
}

const config::role_config* role_cfg(const view& v, const std::string& role) {
  auto i = v.cluster->roles.find(role);
  return i == v.cluster->roles.end() ? nullptr : &i->second;
}

bool runs(const view& v, const std::string& node, const std::string& role) {
  auto i = v.running.find(node);
  return i != v.running.end() && i->second.count(role) > 0;
}

size_t load(const view& v, const std::string& node) {
  auto i = v.running.find(node);
  return i == v.running.end() ? 0 : i->second.size();
}

bool any_owner_up(const view& v, const std::string& role) {
  for (auto& o : owners(v, role))
    if (v.up.count(o)) return true;
  return false;
}

} // namespace

std::string registry_name(const std::string& role) {
  return std::string{ prefix } + role;
}

std::optional<std::string> role_of(const std::string& name) {
  if (name.size() <= prefix.size() ||
      name.compare(0, prefix.size(), prefix) != 0)
    return std::nullopt;
  return name.substr(prefix.size());
}

std::optional<std::string> leader(const view& v) {
  if (v.up.empty() || v.up.size() * 2 <= v.cluster->nodes.size())
    return std::nullopt;
  return *v.up.begin();
}

std::vector<std::string> runners(const view& v, const std::string& role) {
  std::vector<std::string> out;
  for (auto& [node, roles] : v.running)
    if (v.up.count(node) && roles.count(role)) out.push_back(node);
  return out;
}

std::map<std::string, std::string> replacements(const view& v) {
  std::map<std::string, std::string> out;
  if (leader(v) != v.self) return out;
  // Count assignments made in this round, so two roles spread out.
  std::map<std::string, size_t> extra;
  for (auto& [role, rc] : v.cluster->roles) {
    if (!rc.failover || rc.replicated || !runners(v, role).empty() ||
        any_owner_up(v, role))
      continue;
    std::optional<std::string> best;
    for (auto& n : v.cluster->nodes) {
      if (!v.up.count(n.name) || !contains(n.standby, role)) continue;
      auto cost = load(v, n.name) + extra[n.name];
      if (!best || cost < load(v, *best) + extra[*best])
        best = n.name; // nodes are visited in file order; ties keep the first
    }
    if (best) {
      out.emplace(role, *best);
      ++extra[*best];
    }
  }
  return out;
}

std::vector<std::string> own_roles_to_start(const view& v) {
  std::vector<std::string> out;
  auto me = v.cluster->find_node(v.self);
  if (!me) return out;
  for (auto& role : me->roles) {
    if (runs(v, v.self, role)) continue;
    auto rc = role_cfg(v, role);
    auto elsewhere = runners(v, role);
    if (elsewhere.empty() || (rc && (rc->move_back || rc->replicated)))
      out.push_back(role);
  }
  return out;
}

std::vector<std::string> roles_to_stop(const view& v) {
  std::vector<std::string> out;
  auto it = v.running.find(v.self);
  if (it == v.running.end()) return out;
  for (auto& role : it->second) {
    auto rc = role_cfg(v, role);
    // Every node listing a replicated role runs its own copy.
    if (rc && rc->replicated) continue;
    auto mine = contains(owners(v, role), v.self);
    if (rc && rc->move_back && !mine && any_owner_up(v, role) &&
        !runners(v, role).empty()) {
      // Its home node is back and runs it (or will: it starts it itself).
      auto home_runs = false;
      for (auto& o : owners(v, role))
        home_runs = home_runs || runs(v, o, role);
      if (home_runs) {
        out.push_back(role);
        continue;
      }
    }
    for (auto& other : runners(v, role)) {
      if (other == v.self) continue;
      auto other_home = contains(owners(v, role), other);
      auto wins = rc && rc->move_back ? (other_home && !mine) ||
                                          (other_home == mine && other < v.self)
                                      : other < v.self;
      if (wins) {
        out.push_back(role);
        break;
      }
    }
  }
  return out;
}

} // namespace sophia::runtime::placement
