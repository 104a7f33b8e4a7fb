#pragma once

#include <caf/error.hpp>

#include "runtime/supervision/child_spec.hpp"

/// How a supervisor reads the exit reason of a child.
namespace sophia::runtime::supervision {

/// Whether `reason` is a normal exit in OTP's sense (`normal`, `shutdown`,
/// `{shutdown, Term}`): no reason or `exit_reason::normal`,
/// `exit_reason::user_shutdown`, or `errc::shutdown` with any context.
bool is_normal_exit(const caf::error& reason);

/// Whether a child of restart type `type` that exited with `reason` is
/// restarted.
bool should_restart(restart_type type, const caf::error& reason);

/// The reason a supervisor exits with when it reached its maximum restart
/// intensity: `errc::shutdown`, so that a transient parent entry treats it
/// as OTP treats `shutdown`, with a context that tells it apart.
caf::error escalation_reason();

/// Whether `reason` is `escalation_reason()`.
bool is_escalation(const caf::error& reason);

} // namespace sophia::runtime::supervision
