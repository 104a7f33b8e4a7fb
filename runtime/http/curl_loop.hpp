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

namespace sophia::runtime::system {
class poller;
} // namespace sophia::runtime::system

/// The libcurl side of the client: a multi handle driven by the client
/// actor itself, on whatever thread runs the actor.
namespace sophia::runtime::http {

/// Tags the poller's report that descriptors of the loop are ready:
/// `(io_ready_atom, io_events)`, sent to the loop's owner.
using io_ready_atom = caf::atom_constant<caf::atom("httpio")>;

/// Descriptors and their epoll events, as one round of the poller saw them.
using io_events = std::vector<std::pair<int, uint32_t>>;

/// One attempt of a request.
struct attempt {
  uint64_t id = 0;
  request_ptr req;
  std::chrono::milliseconds connect_timeout{ 0 };
  /// The whole attempt; already the minimum of policy and deadline.
  std::chrono::milliseconds timeout{ 0 };
  size_t max_bytes = 0;
  /// The policy's `ca_file`; empty: the system's CAs.
  std::string ca_file;
  /// When it was submitted, as the submitter read the clock anyway (on
  /// this VM a clock read is some 0.3 % of a request).
  std::chrono::steady_clock::time_point started{};
};

/// How one attempt ended.
struct attempt_result {
  uint64_t id = 0;
  /// The HTTP status; 0 when the transfer failed (then `code` says why).
  int status = 0;
  /// The header lines of the (last) response, as `response::header_block`.
  std::string header_block;
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

using attempt_results = std::vector<attempt_result>;

/// A libcurl multi handle on libcurl's socket interface: its sockets and
/// its timer (a timerfd) sit in the node's poller, which tells the owner
/// `(io_ready_atom, io_events)`; the owner hands that to `on_ready` (an
/// empty batch is the reminder of `start_later`). So a
/// request costs no thread hand-off of its own: with Sophia's scheduler the
/// worker that waited on the socket runs the owner (see
/// `runtime/system/io_scheduler.hpp`). Not thread-safe: only the owner
/// calls it. Streamed bodies go straight to the request's `stream_to`.
class curl_loop {
public:
  curl_loop(caf::actor_addr owner, std::shared_ptr<system::poller> io);
  curl_loop(const curl_loop&) = delete;
  curl_loop& operator=(const curl_loop&) = delete;
  /// Drops every transfer still running (closing its connection).
  ~curl_loop();

  /// Why the loop cannot run (no multi handle, no timerfd: the process is
  /// out of descriptors or memory); empty when it can.
  std::string broken() const;

  /// Adds an attempt; `start_submitted` or `start_later` starts it.
  void submit(attempt a);

  /// Whether attempts were submitted and not started yet.
  bool has_unstarted() const;

  /// Starts the attempts submitted so far; some may end at once.
  void start_submitted();

  /// Starts them once the owner's mailbox gets to `(io_ready_atom,
  /// io_events{})`, sent now unless already on its way: the requests
  /// already queued there join them, and one libcurl run starts them all
  /// (a run per request costs some 5 % of the throughput with 64 callers).
  void start_later();

  /// Drops the attempt `id` (closing its connection) if it is still running.
  void abort(uint64_t id);

  /// Lets libcurl act on the descriptors the poller reported.
  void on_ready(const io_events& events);

  /// Moves the attempts that ended since the last call (aborted ones
  /// never do) into `out`, which is cleared first; its storage is kept
  /// for the next ones.
  void take_finished(attempt_results& out);

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace sophia::runtime::http

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sophia::runtime::http::io_events)
