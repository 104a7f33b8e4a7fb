#pragma once

// The MCP client of the load tools (sophia-mcp-load, sophia-bench-soak):
// keep-alive HTTP/1.1 connections speaking Streamable HTTP (protocol
// 2025-11-25) as Asio coroutines, with an incremental SSE parser, plus the
// /proc readings the benchmarks report. No Sophia library: the tools build
// even when the rest of the tree is mid-change.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility> // before asio: boost 1.74 awaitable.hpp uses std::exchange unincluded
#include <vector>

#include <sys/types.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace sophia::bench::mcp {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using sclock = std::chrono::steady_clock;
using json = nlohmann::json;
using asio::awaitable;

inline constexpr const char* protocol_version = "2025-11-25";

/// Where the MCP server is, parsed from http://HOST[:PORT]/PATH.
struct endpoint {
  std::string url;
  std::string host;
  std::string port = "80";
  std::string target = "/";
  std::string host_header;
  /// Extra request headers (e.g. Authorization).
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Parses `url`; throws std::invalid_argument saying what is wrong.
endpoint parse_url(const std::string& url);

/// An incremental text/event-stream parser: feed it bytes as they arrive;
/// it calls `on_event` with the data of each complete event.
class sse_parser {
public:
  explicit sse_parser(std::function<void(std::string&)> on_event)
    : on_event_(std::move(on_event)) {}

  void feed(const char* p, size_t n);

  /// The stream ended: an unterminated last event still counts.
  void finish();

private:
  void field(std::string_view l);

  std::function<void(std::string&)> on_event_;
  std::string line_;
  std::string data_;
  bool has_data_ = false;
};

/// One HTTP exchange's answer.
struct reply {
  unsigned status = 0;
  std::string content_type;
  std::string session_id;
  bool keep_alive = true;
  /// The whole body, capped (for error reports and JSON bodies).
  std::string body;
  /// The JSON-RPC response with the wanted id, if one arrived.
  std::optional<json> message;
  /// When that response arrived (or the body ended, for other replies).
  sclock::time_point at;
  std::string problem;
};

/// One keep-alive connection with its MCP session.
struct connection {
  explicit connection(asio::io_context& io)
    : sock(io) {}
  tcp::socket sock;
  beast::flat_buffer buf;
  http::request<http::string_body> req;
  std::string session_id;
  uint64_t next_id = 1;
  bool open = false;
  bool dead = false;
  bool busy = false;
  bool timed_out = false;
  sclock::time_point busy_since;
  size_t failures_in_a_row = 0;
};

/// Sends `c.req` and reads the reply; `want_id` is the JSON-RPC id awaited
/// (none for notifications). Transport errors land in `ec`.
awaitable<reply> roundtrip(connection& c,
                           std::optional<uint64_t> want_id,
                           beast::error_code& ec);

/// "HTTP 404 (application/json): ...; body: ..." for error reports.
std::string describe(const reply& r);

/// A request to `ep` with the MCP headers (and the protocol version once a
/// session is open); the session header is set by `set_session`.
http::request<http::string_body> base_request(const endpoint& ep,
                                              http::verb v,
                                              bool in_session);

/// Puts `c`'s session id on its request (or takes it off).
void set_session(connection& c);

/// (Re)connects `c`; on failure says why in `error`.
awaitable<bool> open(connection& c,
                     const tcp::resolver::results_type& to,
                     const endpoint& ep,
                     std::string& error);

/// initialize + notifications/initialized; leaves `c.req` ready for calls
/// in the new session. On failure says why in `error`.
awaitable<bool> initialize(connection& c,
                           const tcp::resolver::results_type& to,
                           const endpoint& ep,
                           const std::string& client_name,
                           std::string& error);

/// DELETEs `c`'s session (failures ignored) and forgets it.
awaitable<void> end_session(connection& c, const endpoint& ep);

/// utime + stime of `pid` in microseconds, or -1.
double proc_cpu_us(pid_t pid);

/// VmRSS of `pid` in MB, or -1.
double proc_rss_mb(pid_t pid);

/// This process's own CPU time in microseconds.
double self_cpu_us();

} // namespace sophia::bench::mcp
