#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "runtime/error.hpp"
#include "runtime/http/client.hpp"

/// The libcurl side of the client: one thread running a multi handle.
namespace sophia::runtime::http {

/// Tags the curl thread's report of a finished attempt to the client actor.
using done_atom = caf::atom_constant<caf::atom("httpdone")>;

/// One attempt of a request, as handed to the curl thread.
struct attempt {
  uint64_t id = 0;
  request_ptr req;
  std::chrono::milliseconds connect_timeout{ 0 };
  /// The whole attempt; already the minimum of policy and deadline.
  std::chrono::milliseconds timeout{ 0 };
  size_t max_bytes = 0;
  /// The policy's `ca_file`; empty: the system's CAs.
  std::string ca_file;
};

/// What the curl thread reports for one attempt.
struct attempt_result {
  uint64_t id = 0;
  /// The HTTP status; 0 when the transfer failed (then `code` says why).
  int status = 0;
  std::vector<header> headers;
  std::string body;
  std::string http_version;
  errc code = errc::none;
  /// Why the transfer failed, without the service's name.
  std::string cause;
  /// Whether the failure may be transient (connection, timeout, reset).
  bool retryable = false;
  /// Part of the body already went to `stream_to`: the attempt cannot be
  /// repeated without the receiver seeing those bytes twice.
  bool streamed = false;
  /// The body passed `max_response_bytes` (not the service's fault).
  bool over_limit = false;
  /// Connections opened for this attempt (0 when one was reused).
  long new_connections = 0;
  std::chrono::microseconds elapsed{ 0 };
};

/// The attempts that finished in one turn of the curl thread: one message
/// for all of them, so that a busy client is woken once, not once each.
using attempt_results = std::vector<attempt_result>;

/// Owns the thread and the multi handle. The thread reports finished
/// attempts to `owner` as `(done_atom, attempt_results)` and sends
/// streamed bodies straight to the request's `stream_to`; it never touches
/// the actor's state. Aborted attempts are not reported.
class curl_loop {
public:
  explicit curl_loop(caf::actor_addr owner);
  curl_loop(const curl_loop&) = delete;
  curl_loop& operator=(const curl_loop&) = delete;
  ~curl_loop();

  /// Queues an attempt; the thread picks it up at once.
  void submit(attempt a);

  /// Drops the attempt `id` (closing its connection) if it is still running.
  void abort(uint64_t id);

  /// Ends the thread, dropping every transfer; idempotent.
  void stop();

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

} // namespace sophia::runtime::http

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sophia::runtime::http::attempt_results)
