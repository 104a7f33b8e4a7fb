#pragma once

// The load of the soak benchmark: MCP clients calling two tools (one the
// edge answers itself, one on another node) at a fixed rate in all, opening
// and closing sessions as they go, and every answer classified. Runs on its
// own thread; the benchmark reads its counters once a minute.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sophia::bench::soak {

/// What a call's answer was.
enum class outcome : uint8_t {
  ok,
  /// isError: the node running the tool went down during the call (the
  /// only error the soak tolerates).
  node_down,
  /// isError: the tool was not available (its node gone, not back yet).
  unavailable,
  /// isError for another reason.
  tool_error,
  /// A JSON-RPC error instead of a result.
  rpc_error,
  /// An HTTP status other than 200.
  http_error,
  /// The connection failed.
  transport,
  /// No answer within the call timeout.
  timeout,
  /// Opening a session failed.
  session_error,
};

inline constexpr size_t outcome_count = 9;

const char* to_string(outcome x);

/// Counters of one interval.
struct tally {
  std::array<uint64_t, outcome_count> by_outcome{};
  uint64_t local_calls = 0;
  uint64_t remote_calls = 0;
  uint64_t sessions_opened = 0;
  uint64_t sessions_closed = 0;
  /// Latencies of good calls (us, from the call's scheduled start).
  std::vector<double> latency_us;
  /// When each node_down answer arrived (Unix ms).
  std::vector<int64_t> node_down_at_ms;
  /// The first few messages of each kind of error, to say what went wrong.
  std::map<std::string, std::vector<std::string>> samples;

  uint64_t calls() const;
  uint64_t errors() const;
};

struct load_options {
  std::string url;
  double rate = 1000;
  size_t connections = 64;
  /// Every other call: a tool the edge answers itself ...
  std::string local_tool = "sophia.echo";
  std::string local_args = R"({"text":"soak"})";
  /// ... or one on another node.
  std::string remote_tool = "test_slow_tool";
  std::string remote_args = R"({"ms":50})";
  /// A connection ends its session and opens a new one after this many
  /// calls.
  size_t calls_per_session = 200;
  double call_timeout_s = 10;
};

/// The running load; stops (and closes its sessions) when destroyed.
class load {
public:
  explicit load(load_options opts);
  ~load();
  load(const load&) = delete;
  load& operator=(const load&) = delete;

  /// The counters since the last call (or the start), and resets them.
  tally take();

  /// Stops sending calls, waits for those in flight, ends the sessions.
  void stop();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace sophia::bench::soak
