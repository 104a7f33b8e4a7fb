#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>

/// The vocabulary of supervision, after Erlang/OTP's `supervisor` module:
/// how a child is started, restarted and stopped, and how a supervisor
/// reacts when one of its children terminates.
namespace sophia::runtime::supervision {

/// When a terminated child is restarted (OTP's `restart`).
enum class restart_type : uint8_t {
  /// Always restarted.
  permanent,
  /// Restarted only after an abnormal exit (see `is_normal_exit`).
  transient,
  /// Never restarted, not even when a sibling's failure stopped it.
  temporary,
};

/// What a child is (OTP's `type`): decides the default shutdown and what
/// `count_children` reports.
enum class child_kind : uint8_t {
  worker,
  supervisor,
};

/// How a supervisor stops a child (OTP's `shutdown`).
struct shutdown_spec {
  enum class mode : uint8_t {
    /// `exit(child, kill)`: the child cannot clean up.
    brutal_kill,
    /// `exit(child, user_shutdown)`, then `kill` if the child is still alive
    /// after `after`.
    timeout,
    /// `exit(child, user_shutdown)` and wait as long as it takes: meant for
    /// supervisors, which must not be killed while stopping their children.
    infinity,
  };

  mode how = mode::timeout;
  std::chrono::milliseconds after{ 5000 };

  static shutdown_spec brutal_kill() {
    return { mode::brutal_kill, std::chrono::milliseconds{ 0 } };
  }
  static shutdown_spec timeout(std::chrono::milliseconds t) {
    return { mode::timeout, t };
  }
  static shutdown_spec infinity() {
    return { mode::infinity, std::chrono::milliseconds{ 0 } };
  }
};

/// Starts one instance of a child. Gets the actor system and, for the
/// children of a `simple_one_for_one` supervisor, the extra arguments given
/// to `start_child` (an empty message otherwise).
///
/// Returns the new actor, which the supervisor then monitors and outlives
/// (see `supervisor.hpp`); an error when the child cannot start; or an
/// invalid handle for OTP's `ignore`: nothing was started, yet the start did
/// not fail. It runs inside the supervisor's message handler, so it must not
/// block; exceptions are caught and reported as `errc::start_failed`.
using start_function =
  std::function<caf::expected<caf::actor>(caf::actor_system&,
                                          const caf::message&)>;

/// Everything a supervisor needs to know about one child (OTP's child spec).
struct child_spec {
  /// Unique among the children of one supervisor.
  std::string id;
  start_function start;
  restart_type restart = restart_type::permanent;
  /// Empty: the default of `kind` (see `effective_shutdown`).
  std::optional<shutdown_spec> shutdown;
  child_kind kind = child_kind::worker;
};

/// Fails with `errc::rejected` when `spec` has no id, no start function or
/// a negative shutdown timeout.
caf::error validate(const child_spec& spec);

/// The shutdown a supervisor applies to `spec`: its own, else 5000 ms for a
/// worker and `infinity` for a supervisor, as in OTP.
shutdown_spec effective_shutdown(const child_spec& spec);

/// What a supervisor does when a child terminates (OTP's `strategy`).
enum class strategy : uint8_t {
  /// Restart only the child that terminated.
  one_for_one,
  /// Stop all other children, then restart all of them.
  one_for_all,
  /// Stop the children started after the one that terminated, then restart
  /// it and them.
  rest_for_one,
  /// Like `one_for_one`, for dynamic instances of a single child spec
  /// started with `start_child`; they stop all at once at shutdown.
  simple_one_for_one,
};

/// A supervisor's strategy and restart intensity: more than `intensity`
/// restarts within `period` make it give up (OTP's `MaxR` and `MaxT`).
struct flags {
  supervision::strategy strategy = strategy::one_for_one;
  int intensity = 1;
  std::chrono::milliseconds period{ 5000 };
};

const char* to_string(restart_type x);
const char* to_string(child_kind x);
const char* to_string(strategy x);

} // namespace sophia::runtime::supervision

// `start_child` carries a spec to a local supervisor. A spec holds a function
// and cannot be serialized, which CAF 0.17 demands of message types unless
// told otherwise; it never has to leave its node.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sophia::runtime::supervision::child_spec)
