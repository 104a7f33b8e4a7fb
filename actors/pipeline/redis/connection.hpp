#pragma once

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/pipeline/redis/endpoint.hpp"
#include "actors/pipeline/redis/reply.hpp"

struct redisContext;

namespace sophia::actors::pipeline::redis {

/// How to reach Redis.
struct connection_options {
  /// `redis://[[user]:password@]host[:port][/db]` or `unix:///path`.
  std::string uri;
  /// Connecting (TCP connect, then AUTH and SELECT) may take this long;
  /// zero: no limit.
  std::chrono::milliseconds connect_timeout{2000};
  /// A command (or a pipeline's reading and writing) may wait this long
  /// on the socket before it fails, so that a hung server is an error,
  /// not a hang; zero: no limit.
  std::chrono::milliseconds command_timeout{5000};
};

/// A command's reply, or why it failed: a connection or timeout error
/// (`redis HOST:PORT: ...`) or the server's error reply (`redis
/// HOST:PORT: CMD: ERR ...`).
using command_result = std::variant<reply, std::string>;

/// One blocking hiredis connection, for the pipeline's Redis stage.
///
/// Never throws. Once the server went away (or a reply timed out, which
/// leaves the protocol out of step), the next call connects again from
/// scratch, so a caller just retries. Not thread-safe: one per thread.
class connection {
public:
  /// Parses `opts.uri` and connects (AUTH, SELECT). Errors name what
  /// failed: the URI's part, or the endpoint and the reason.
  static std::variant<connection, std::string>
  open(connection_options opts);

  connection(connection&&) noexcept;
  connection& operator=(connection&&) noexcept;
  ~connection();

  /// Runs one command, e.g. `{"HGETALL", key}`.
  command_result command(std::span<const std::string_view> argv);
  command_result command(std::initializer_list<std::string_view> argv);

  /// `command` that may wait `wait` longer than the command timeout for
  /// its reply: for blocking commands (`XREAD BLOCK ms`). A zero `wait`
  /// waits as long as it takes.
  command_result command_waiting(std::span<const std::string_view> argv,
                                 std::chrono::milliseconds wait);

  /// Pipelining: queues a command, sent by the next `send` or `flush`.
  /// Copies the arguments (into hiredis' output buffer). When no
  /// connection can be made the commands are dropped and `send` (or
  /// `flush`) returns the error.
  void append(std::span<const std::string_view> argv);
  void append(std::initializer_list<std::string_view> argv);

  /// Commands queued and not yet sent.
  size_t pending() const { return pending_; }

  /// Writes the queued commands without waiting for their replies, so
  /// that the caller can prepare the next ones while the server runs
  /// these (`receive` reads the replies). The server never blocks on
  /// unread replies: it buffers them.
  std::optional<std::string> send();

  /// Commands sent whose replies are unread.
  size_t in_flight() const { return in_flight_; }

  /// Reads the replies of the `n` oldest commands in flight (at most all
  /// of them), in order. A command's error reply is a reply of kind
  /// `error` (the others still ran); a lost connection or a timeout
  /// fails the whole (the server may have run some commands) and drops
  /// what was in flight.
  std::variant<std::vector<reply>, std::string> receive(size_t n);

  /// `send`, then `receive` of everything in flight: one round trip.
  std::variant<std::vector<reply>, std::string> flush();

  /// Whether the connection still works: false once a call failed on it
  /// or the server closed it (checked without blocking).
  bool alive() const;

  /// Drops the connection and connects again.
  std::optional<std::string> reconnect();

  /// Where this connects to, for messages.
  const endpoint& where() const { return where_; }

private:
  connection(connection_options opts, endpoint where);

  /// Connects when there is no live context.
  std::optional<std::string> ensure();

  /// `what` prefixed with the endpoint.
  std::string error(const std::string& what) const;

  /// The context's I/O error as text; drops the context (and with it
  /// whatever was queued or in flight).
  std::string io_error(std::chrono::milliseconds waited);

  /// Drops the context.
  void drop();

  /// The error of a command issued while a pipeline is under way.
  std::optional<std::string> busy() const;

  command_result run(std::span<const std::string_view> argv,
                     std::chrono::milliseconds waited);

  connection_options opts_;
  endpoint where_;
  redisContext* ctx_ = nullptr;
  size_t pending_ = 0;
  size_t in_flight_ = 0;
  /// Why `append` could not queue (reported by `send`).
  std::optional<std::string> append_error_;
};

} // namespace sophia::actors::pipeline::redis
