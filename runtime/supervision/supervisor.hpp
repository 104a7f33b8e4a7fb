#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "runtime/supervision/child_spec.hpp"
#include "runtime/supervision/messages.hpp"

namespace sophia::runtime::supervision {

/// Spawns a supervisor named `name` (used in logs and the tree snapshot)
/// with the strategy and restart intensity of `f`, and starts `children`
/// synchronously, in order, before returning (OTP's `start_link`).
///
/// Fails with `errc::rejected` for invalid flags or specs (negative
/// intensity, non-positive period, an empty or duplicate id, a missing
/// start function, a simple_one_for_one supervisor without exactly one
/// spec), and with `errc::start_failed`, naming the child, when a child
/// fails to start: the children already started are then stopped in
/// reverse order, each per its shutdown spec. That cleanup runs in the
/// background, because waiting for a child's exit must not block the
/// caller (often a parent supervisor); the error is returned at once.
/// A simple_one_for_one supervisor starts no child here.
///
/// Each child is monitored, and dies with the supervisor: when the
/// supervisor terminates, whatever the reason (even `kill`), every child
/// still running gets an exit message from it with that reason, as over a
/// CAF link. The link is one-way on purpose: in CAF 0.17 an actor killed by
/// a third party passes the untrappable `kill` on to its links, where Erlang
/// passes a trappable `killed`; a two-way link would let any killed child
/// take its supervisor, and the tree above it, down. So children must not
/// link to their supervisor either.
///
/// Child exits:
/// - the restart type decides whether the child is restarted (see
///   `should_restart`); a child that is not is forgotten when temporary (and
///   under simple_one_for_one), else kept, terminated, for `restart_child`;
/// - the strategy decides what else restarts: one_for_one and
///   simple_one_for_one restart the child alone; one_for_all stops all
///   other children (in reverse order) and starts every non-temporary child
///   again in order; rest_for_one does the same for the child and those
///   started after it. Temporary children stopped that way are forgotten.
///   As in OTP, the group start includes children terminated earlier (by
///   `terminate_child` or a normal exit), whose specs are kept;
/// - each restart (one per exit, however many children it starts) counts
///   toward the intensity: more than `f.intensity` within `f.period` and
///   the supervisor stops all children in reverse order (all at once under
///   simple_one_for_one) and exits with `escalation_reason()`
///   (`errc::shutdown`), which its parent handles like any child exit;
/// - a failed restart start is retried through a message to itself, each
///   try counting as a restart, so a child that cannot start makes its
///   supervisor give up instead of spinning;
/// - every restart and escalation is logged (logger `supervisor`) with the
///   exit reason.
///
/// Stopping: an exit message with a reason other than `normal` from anyone
/// but a child (the parent's `user_shutdown`, an `anon_send_exit`) makes
/// the supervisor stop its children in reverse order and exit with that
/// reason. A child that exits meanwhile is not restarted.
///
/// Stopping a child (shutdown, `terminate_child`, the first half of a group
/// restart) never blocks: the supervisor defers the mutating requests below
/// and the exits of other children until the stop is done, then handles
/// them in arrival order; the read-only queries are answered at once.
///
/// Messages, with their replies (errors are `caf::error`s of our `errc`;
/// every mutating request fails with `errc::shutdown` once the supervisor
/// is stopping):
/// - `(atoms::start_child, child_spec)` -> `caf::actor`: starts and adds a
///   child after the existing ones; the handle is invalid when the start
///   function returned one (OTP's `ignore`). `errc::child_exists` if the id
///   is taken, `errc::start_failed` if the start fails, `errc::rejected` for
///   an invalid spec or under simple_one_for_one. Such dynamic children are
///   lost when the supervisor restarts: its parent starts it again with its
///   initial specs only.
/// - `(atoms::start_child, caf::message args)` -> `caf::actor`:
///   simple_one_for_one only (`errc::rejected` otherwise): starts an
///   instance of the spec with `args`; its id is `<spec id>#<n>`.
/// - `(atoms::terminate_child, std::string id)` or
///   `(atoms::terminate_child, caf::actor child)` -> `caf::ok_atom` once
///   the child is down: stops it per its shutdown spec and does not restart
///   it; the spec is kept unless the child is temporary or a
///   simple_one_for_one instance. `errc::not_found` for an unknown child.
/// - `(atoms::restart_child, std::string id)` -> `caf::actor`: starts a
///   terminated child whose spec is kept (not counted toward the
///   intensity). `errc::child_running` if it runs, `errc::not_found`,
///   `errc::start_failed`, `errc::rejected` under simple_one_for_one.
/// - `(atoms::delete_child, std::string id)` -> `caf::ok_atom`: forgets the
///   spec of a terminated child. `errc::child_running` if it runs,
///   `errc::not_found`, `errc::rejected` under simple_one_for_one.
/// - `(atoms::which_children)` -> `std::vector<child_info>` in start order.
/// - `(atoms::count_children)` -> `child_counts`.
/// - `(caf::get_atom, atoms::tree)` -> `tree_node`: this supervisor and its
///   children, recursively: child supervisors are asked the same (each
///   within `tree_query_timeout`; one that does not answer appears with its
///   `detail` set and no children).
caf::expected<caf::actor> spawn_supervisor(caf::actor_system& sys,
                                           std::string name,
                                           flags f,
                                           std::vector<child_spec> children);

/// A child spec that starts a supervisor (kind `supervisor`, shutdown
/// `infinity` unless changed) with `spawn_supervisor(sys, id, f, children)`;
/// each restart starts it with these `children` again.
child_spec supervisor_spec(std::string id,
                           flags f,
                           std::vector<child_spec> children,
                           restart_type restart = restart_type::permanent);

/// How long a supervisor waits for each child supervisor's part of a tree
/// snapshot.
constexpr std::chrono::milliseconds tree_query_timeout{ 1000 };

} // namespace sophia::runtime::supervision
