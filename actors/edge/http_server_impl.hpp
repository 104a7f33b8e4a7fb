#pragma once

// Internal to the HTTP transport (http_server.cpp, http_connection.cpp):
// what the listeners and the connections of one server share.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <caf/actor.hpp>

#include "actors/edge/http_server.hpp"

namespace sophia::actors::edge {

class connection;

/// Open while the server's io_context takes work (see impl::gate).
struct server_gate {
  std::mutex mtx;
  bool open = true;
};

struct http_server::impl {
  using tcp = boost::asio::ip::tcp;

  // Declared before `ioc`: handlers that the io_context destroys with it
  // still use these.
  caf::actor engine;
  http_options opts;
  /// Never null once started.
  std::shared_ptr<http_counters> counters;
  /// `max_connections`, kept below the process's file limit.
  int64_t max_connections = 0;
  /// Connections being refused (503, then a short lingering close).
  std::atomic<int> refusing{ 0 };
  /// When an accept failure (out of files) was last logged.
  std::atomic<int64_t> accept_error_logged_ms{ 0 };
  std::atomic<bool> draining{ false };
  /// Whether exchanges may still post to `ioc`: the engine keeps exchanges
  /// (and calls them) after the server is gone, so each call checks this
  /// first, under its lock.
  std::shared_ptr<server_gate> gate = std::make_shared<server_gate>();
  std::mutex mtx;
  /// The open connections, owned here: an exchange only refers to its
  /// connection weakly, so that no connection outlives `ioc`.
  std::unordered_map<connection*, std::shared_ptr<connection>> live;

  boost::asio::io_context ioc;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::unique_ptr<boost::asio::steady_timer>> accept_retry;
  /// Every connection's deadlines and keep-alives, checked by one timer.
  std::unique_ptr<boost::asio::steady_timer> sweep_timer;
  std::vector<std::string> acceptor_domains;
  std::vector<uint16_t> ports;
  std::vector<std::thread> threads;
  std::optional<
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
    work;

  void accept(size_t i);
  /// Visits every connection every 100 ms (see `sweep_connection`).
  void sweep();
  /// Answers 503 on a connection over `max_connections` and closes it.
  void refuse(tcp::socket sock);
  /// How many bytes one stream may have waiting when the edge is over its
  /// budget for unsent bytes: its share of `replay_budget_bytes` among the
  /// open streams, at least 64 KiB.
  size_t stream_share() const;
};

/// Starts serving one accepted connection, owned by `srv.live` until it
/// closes; `domain` is its port's (empty for the MCP port).
std::shared_ptr<connection> start_connection(http_server::impl& srv,
                                             boost::asio::ip::tcp::socket sock,
                                             const std::string& domain);

/// Server shutdown: idle connections close now, SSE streams end, answers
/// in progress finish first.
void drain_connection(const std::shared_ptr<connection>& c);

/// The sweep's visit (`now_ms` on the steady clock): the connection closes,
/// cancels a late header or sends a keep-alive comment if one is due.
void sweep_connection(const std::shared_ptr<connection>& c, int64_t now_ms);

} // namespace sophia::actors::edge
