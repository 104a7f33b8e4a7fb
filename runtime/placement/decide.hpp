#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/config/cluster_config.hpp"

namespace sophia::runtime::placement {

/// What one node knows when it decides about role placement: the cluster's
/// configuration, which nodes it sees up (itself included) and which roles
/// each up node runs (from the registry's `role.NAME` entries).
struct view {
  const config::cluster_config* cluster = nullptr;
  std::string self;
  std::set<std::string> up;
  std::map<std::string, std::set<std::string>> running;
};

/// The registry name under which the node running `role` registers it.
std::string registry_name(const std::string& role);

/// The role of a registry name `role.NAME`, or nothing.
std::optional<std::string> role_of(const std::string& registry_name);

/// The placement leader: the lowest-named up node, provided the view holds a
/// strict majority of the configured nodes. A minority has no leader, so it
/// never re-places anything and a role never runs twice in the majority's
/// view.
std::optional<std::string> leader(const view& v);

/// The nodes that run `role`, as far as `v` knows.
std::vector<std::string> runners(const view& v, const std::string& role);

/// The leader's decisions: fail-over roles that no up node runs and whose
/// configured nodes are all down, each assigned to the least loaded up node
/// that lists it in `standby` (fewest running roles, then name). Empty
/// unless `v.self` is the leader.
std::map<std::string, std::string> replacements(const view& v);

/// What node `v.self` itself should start: its configured roles that run
/// nowhere, plus `move_back` and `replicated` roles of its own that run
/// elsewhere.
std::vector<std::string> own_roles_to_start(const view& v);

/// What node `v.self` should stop: roles it runs that another up node runs
/// too, when the other placement wins (the configured node of a `move_back`
/// role, else the lower node name), and `move_back` roles it runs for a
/// configured node that is up again. Never a
/// `replicated` role.
std::vector<std::string> roles_to_stop(const view& v);

} // namespace sophia::runtime::placement
