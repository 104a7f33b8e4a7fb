#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>

namespace sophia::runtime {

/// Error codes of Sophia's runtime, carried in `caf::error` with category
/// `sophia` so that they cross node boundaries and render readably.
enum class errc : uint8_t {
  none = 0,
  /// The call's deadline passed before a reply came.
  deadline_exceeded,
  /// The target's node went down while the call was pending.
  node_down,
  /// No actor is registered under the name.
  not_found,
  /// A wire message could not be decoded.
  decode_failed,
  /// A peer or a request was refused (wrong cluster, unknown node, ...).
  rejected,
  /// No connection to the node could be made.
  unreachable,
  /// A configuration file is invalid.
  bad_config,
  /// The callee failed while handling the request.
  call_failed,
  /// An orderly stop: a supervisor reached its maximum restart intensity, or
  /// an actor was asked to stop. Counts as a normal exit, like OTP's
  /// `{shutdown, Term}`, whatever the context says.
  shutdown,
  /// A supervised child could not be started; the context names the child.
  start_failed,
  /// The operation needs a terminated child, but the child is running.
  child_running,
  /// A child with the same id already exists under the supervisor.
  child_exists,
  /// A service cannot take the request now: its circuit breaker is open, or
  /// it is not configured. The context says which and what to do.
  unavailable,
  /// The caller cancelled the work.
  cancelled,
  /// A remote service answered with an error (HTTP status, its message).
  service_error,
};

/// Returns the code's name, e.g. `"node_down"`.
const char* to_string(errc code);

/// Makes a `caf::error` of category `sophia` whose context is `detail`.
caf::error make_error(errc code, std::string detail = {});

/// Returns the `errc` of `err` if it belongs to category `sophia`, else `none`.
errc code_of(const caf::error& err);

/// The detail text of an error made by `make_error` (empty when it has
/// none); other errors are rendered by `sys`-free best effort.
std::string detail_of(const caf::error& err);

/// The category atom under which `errc` values travel.
caf::atom_value error_category();

} // namespace sophia::runtime
