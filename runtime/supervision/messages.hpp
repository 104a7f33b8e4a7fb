#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>

#include "runtime/supervision/child_spec.hpp"

/// Message tags of the supervisor's protocol (CAF 0.17 atoms: at most 10
/// chars); `supervisor.hpp` documents each message and its reply.
namespace sophia::runtime::supervision::atoms {

using start_child = caf::atom_constant<caf::atom("startchild")>;
using terminate_child = caf::atom_constant<caf::atom("termchild")>;
using restart_child = caf::atom_constant<caf::atom("restartchl")>;
using delete_child = caf::atom_constant<caf::atom("deletechld")>;
using which_children = caf::atom_constant<caf::atom("children")>;
using count_children = caf::atom_constant<caf::atom("countchild")>;
using tree = caf::atom_constant<caf::atom("tree")>;

} // namespace sophia::runtime::supervision::atoms

namespace sophia::runtime::supervision {

/// One entry of `which_children`.
struct child_info {
  std::string id;
  /// The running instance; invalid while the child is terminated.
  caf::actor actor;
  child_kind kind = child_kind::worker;
  /// How many times this child was started again after its first start.
  uint64_t restarts = 0;
};

/// The reply to `count_children`, as OTP's `count_children/1`.
struct child_counts {
  /// Child specs held, running or not (a simple_one_for_one supervisor
  /// holds one).
  size_t specs = 0;
  /// Children running now.
  size_t active = 0;
  /// Children of kind `supervisor` resp. `worker`, running or not.
  size_t supervisors = 0;
  size_t workers = 0;
};

/// One node of a supervision tree snapshot (for `sophiactl tree`): a
/// supervisor with its children, recursively, or a worker (a leaf).
struct tree_node {
  /// The supervisor's name at the root, else the child's id.
  std::string name;
  child_kind kind = child_kind::worker;
  /// Supervisors only.
  supervision::strategy strategy = strategy::one_for_one;
  bool running = false;
  /// How many times the parent started this child again (0 at the root).
  uint64_t restarts = 0;
  /// Supervisors only: restarts this supervisor made (each counts once
  /// toward its intensity, however many children it restarted).
  uint64_t total_restarts = 0;
  /// Supervisors only: how many times a child supervisor gave up (reached
  /// its restart intensity) and escalated to this one.
  uint64_t escalations = 0;
  /// Time since this instance started; 0 when not running.
  int64_t uptime_ms = 0;
  /// Why a child supervisor's subtree is missing (it did not answer).
  std::string detail;
  std::vector<tree_node> children;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_info& x) {
  return f(caf::meta::type_name("sophia.child_info"),
           x.id,
           x.actor,
           x.kind,
           x.restarts);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_counts& x) {
  return f(caf::meta::type_name("sophia.child_counts"),
           x.specs,
           x.active,
           x.supervisors,
           x.workers);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tree_node& x) {
  return f(caf::meta::type_name("sophia.tree_node"),
           x.name,
           x.kind,
           x.strategy,
           x.running,
           x.restarts,
           x.total_restarts,
           x.escalations,
           x.uptime_ms,
           x.detail,
           x.children);
}

/// Announces the replies that may cross a node (`which_children`,
/// `count_children`, the tree snapshot), so that a remote `sophiactl` can
/// read them. Child specs hold functions and never leave their node.
void announce(caf::actor_system_config& cfg);

} // namespace sophia::runtime::supervision
