#pragma once

// The supervisor actor's state and the functions that share it across
// supervisor.cpp (lifecycle, events, scheduling), restarts.cpp (what happens
// when a child exits) and operations.cpp (the request handlers). Internal:
// include supervisor.hpp instead.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>
#include <caf/message_handler.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/logger.h>

#include "runtime/supervision/child_spec.hpp"
#include "runtime/supervision/restart_window.hpp"
#include "runtime/supervision/stop_sequence.hpp"

namespace sophia::runtime::supervision {

/// Tags the message a supervisor sends itself to try a failed restart again
/// (OTP's `try_again`): `(retry_atom, std::string id)`.
using retry_atom = caf::atom_constant<caf::atom("tryagain")>;

/// One child: its spec and, while it runs, its current instance.
struct child_entry {
  child_spec spec;
  /// The extra arguments of a simple_one_for_one instance, given to every
  /// start of it; empty otherwise.
  caf::message args;
  /// Invalid while the child is terminated.
  caf::actor handle;
  /// Counts the instances started, so that the exit of an instance that a
  /// deferred event refers to is not mistaken for a later one's.
  uint64_t generation = 0;
  /// Starts after the first one (automatic or by `restart_child`).
  uint64_t restarts = 0;
  restart_window::time_point started;
  /// A `retry_atom` message for this child is on its way.
  bool retry_pending = false;
};

/// Work that must wait until the running stop sequence is done: a request
/// (`cancel` answers it with an error if the supervisor stops first) or a
/// child exit (no `cancel`: it is dropped then).
struct deferred_job {
  std::function<void()> run;
  std::function<void(const caf::error&)> cancel;
};

struct supervisor_state {
  // User-declared, so that CAF does not construct the state from the actor
  // pointer (see stateful_actor in C++20).
  supervisor_state()
    : window(1, std::chrono::milliseconds{ 5000 }) {}

  /// The name given to `spawn_supervisor`.
  std::string sup_name;
  flags config;
  /// simple_one_for_one: the spec every instance is started from.
  child_spec instance_spec;
  uint64_t next_instance = 0;
  /// In start order.
  std::vector<child_entry> children;
  restart_window window;
  stop_sequence stops;
  std::deque<deferred_job> queue;
  /// An exit request that arrived during a stop sequence.
  std::optional<caf::error> pending_exit;
  /// Stopping all children before exiting: nothing restarts any more.
  bool terminating = false;
  /// Restarts made, each counted once however many children it started.
  uint64_t total_restarts = 0;
  /// Exits of child supervisors that reached their restart intensity.
  uint64_t escalations = 0;
  /// For the uptime in the tree snapshot.
  restart_window::time_point started;
  /// The children an exit of this supervisor must reach (the one-way link,
  /// see supervisor.hpp); shared with the functor attached to the actor,
  /// which runs after the state is gone.
  std::shared_ptr<std::unordered_set<caf::actor_addr>> links;
  std::shared_ptr<spdlog::logger> log;

  static inline const char* name = "sophia.supervisor";
};

using supervisor_actor = caf::stateful_actor<supervisor_state>*;

// -- supervisor.cpp ----------------------------------------------------------

/// Returns the child with `id`, or null.
child_entry* find_child(supervisor_state& st, const std::string& id);

/// Returns the child whose running instance is `addr`, or null.
child_entry* find_running(supervisor_state& st, const caf::actor_addr& addr);

/// Makes `handle` the running instance of `e`: monitors it and adds it to
/// the one-way link.
void adopt(supervisor_actor self, child_entry& e, caf::actor handle);

/// Runs `run` now if no stop sequence is running, else queues it; answers
/// `cancel` with `errc::shutdown` if the supervisor is stopping.
void submit(supervisor_actor self,
            std::function<void()> run,
            std::function<void(const caf::error&)> cancel);

/// Stops the running children among `targets` (in the given order, or all
/// at once when `parallel`), then calls `then` and resumes deferred work.
void stop_children(supervisor_actor self,
                   std::vector<stop_target> targets,
                   bool parallel,
                   std::function<void()> then);

/// What `stop_children` needs to stop `e`.
stop_target target_of(const child_entry& e);

/// Stops every child (reverse order; at once under simple_one_for_one),
/// then exits with `reason`.
void begin_shutdown(supervisor_actor self, caf::error reason);

// -- restarts.cpp ------------------------------------------------------------

/// Calls the start function of `spec`, turning a failure (or an exception)
/// into `errc::start_failed` naming the child and its supervisor `owner`.
caf::expected<caf::actor> invoke_start(caf::actor_system& sys,
                                       const std::string& owner,
                                       const child_spec& spec,
                                       const caf::message& args);

/// Starts (or restarts, when `restart`) the child of `e`; an error names the
/// child. Leaves `e.handle` invalid when the start function ignored it.
caf::error start_entry(supervisor_actor self, child_entry& e, bool restart);

/// The instance `generation` of child `id` exited with `reason` (and no
/// stop sequence asked it to).
void on_child_exit(supervisor_actor self,
                   const std::string& id,
                   uint64_t generation,
                   const caf::error& reason);

/// A `retry_atom` for child `id` arrived.
void on_retry(supervisor_actor self, const std::string& id);

// -- operations.cpp ----------------------------------------------------------

/// The handlers of the messages documented in supervisor.hpp.
caf::message_handler operation_handlers(supervisor_actor self);

} // namespace sophia::runtime::supervision
