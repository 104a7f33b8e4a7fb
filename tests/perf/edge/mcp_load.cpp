// sophia-mcp-load: a keep-alive HTTP load generator for MCP servers that
// speak Streamable HTTP (protocol 2025-11-25).
//
// Each of N connections is one persistent TCP connection: it POSTs
// `initialize`, keeps the `Mcp-Session-Id`, POSTs `notifications/initialized`
// (202 expected), then issues `tools/call` requests one after the other.
// Responses may be application/json or text/event-stream; an SSE body is
// parsed as it arrives (chunk by chunk, with beast's parser), and the call is
// complete when the JSON-RPC response with the request's id has arrived.
//
// All connections run as coroutines on one io_context on one thread, so the
// generator stays cheap next to the server it measures (its own CPU time per
// call is reported). Closed loop by default; `--rate R` paces the sends at R
// calls/s in all, and each latency is then measured from the call's scheduled
// start, so a slow server is not hidden by a client that waited for it
// (coordinated omission).
//
// Phases: connect + initialize (all connections), warm-up calls, measured
// calls, then DELETE of each session. Only the measured phase counts.

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility> // before asio: boost 1.74 awaitable.hpp uses std::exchange unincluded
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "tests/perf/edge/mcp_client.hpp"

namespace {

namespace mcp = sophia::bench::mcp;
using namespace mcp;
using ojson = nlohmann::ordered_json;
using asio::use_awaitable;

// -- options -----------------------------------------------------------------

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct options {
  std::string url;
  mcp::endpoint ep;
  std::string tool;
  json args = json::object();
  size_t connections = 1;
  size_t calls = 0;
  size_t warmup = 0;
  double rate = 0;
  double timeout_s = 30;
  std::string json_out;
  std::string label;
  std::vector<pid_t> server_pids;
  bool delete_sessions = true;
};

const char* usage_text =
  "usage: sophia-mcp-load --url http://HOST:PORT/PATH --tool NAME --calls N\n"
  "                       [--args JSON] [--connections N] [--warmup N]\n"
  "                       [--rate CALLS_PER_S] [--timeout SECONDS]\n"
  "                       [--json OUT] [--label TEXT] [--header 'K: V']...\n"
  "                       [--server-pid PID]... [--no-delete]\n"
  "\n"
  "  --url          MCP endpoint (Streamable HTTP; plain http only)\n"
  "  --tool         tool to call with tools/call\n"
  "  --args         its arguments, a JSON object (default {})\n"
  "  --connections  persistent connections, each with its own session (1)\n"
  "  --calls        measured calls in all, over all connections\n"
  "  --warmup       calls before the measured ones, closed loop, not counted "
  "(0)\n"
  "  --rate         open loop: start calls at this many per second in all,\n"
  "                 latency from the scheduled start (default: closed loop)\n"
  "  --timeout      seconds one request may take before it counts as an\n"
  "                 error and its connection is reopened (30)\n"
  "  --json         write the results to this file\n"
  "  --label        a name for this run, copied to the output\n"
  "  --header       an extra request header, repeatable\n"
  "  --server-pid   a server process whose CPU time (utime+stime) and RSS\n"
  "                 are read around the measured calls; repeatable (summed)\n"
  "  --no-delete    leave the sessions open at the end (default: DELETE)\n"
  "\n"
  "Exit status: 0 when every call succeeded, 1 on any failed call or\n"
  "failed set-up, 2 on a bad command line.\n";

template <class T>
T parse_number(const std::string& opt, const std::string& v) {
  T out{};
  auto first = v.data();
  auto last = v.data() + v.size();
  auto [ptr, ec] = std::from_chars(first, last, out);
  if (v.empty() || ec != std::errc{} || ptr != last)
    throw usage_error("bad value for " + opt + ": '" + v +
                      "' (expected a number)");
  return out;
}

double parse_double(const std::string& opt, const std::string& v) {
  // strtod, not from_chars: accepts "5000", "2.5e3" alike; whole string only.
  char* end = nullptr;
  errno = 0;
  double out = std::strtod(v.c_str(), &end);
  if (v.empty() || errno != 0 || end != v.c_str() + v.size() ||
      !std::isfinite(out))
    throw usage_error("bad value for " + opt + ": '" + v +
                      "' (expected a number)");
  return out;
}

void parse_url(options& o) {
  try {
    auto headers = std::move(o.ep.headers);
    o.ep = mcp::parse_url(o.url);
    o.ep.headers = std::move(headers);
  } catch (const std::invalid_argument& e) {
    throw usage_error(std::string{ "bad value for --url: " } + e.what());
  }
}

options parse_options(int argc, char** argv) {
  options o;
  bool have_tool = false;
  bool have_calls = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(usage_text, stdout);
      std::exit(0);
    }
    if (a.rfind("--", 0) != 0)
      throw usage_error("unexpected argument '" + a + "'");
    std::string name = a;
    std::optional<std::string> value;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
    }
    auto need = [&]() -> std::string {
      if (value) return *value;
      if (i + 1 >= argc) throw usage_error("option " + name + " needs a value");
      return argv[++i];
    };
    if (name == "--no-delete") {
      if (value) throw usage_error("option --no-delete takes no value");
      o.delete_sessions = false;
    } else if (name == "--url") {
      o.url = need();
    } else if (name == "--tool") {
      o.tool = need();
      have_tool = true;
      if (o.tool.empty()) throw usage_error("bad value for --tool: empty");
    } else if (name == "--args") {
      auto v = need();
      auto j = json::parse(v, nullptr, false);
      if (j.is_discarded() || !j.is_object())
        throw usage_error("bad value for --args: '" + v +
                          "' (expected a JSON object)");
      o.args = std::move(j);
    } else if (name == "--connections") {
      o.connections = parse_number<size_t>(name, need());
      if (o.connections == 0 || o.connections > 10000)
        throw usage_error("bad value for --connections: must be 1..10000");
    } else if (name == "--calls") {
      o.calls = parse_number<size_t>(name, need());
      have_calls = true;
      if (o.calls == 0)
        throw usage_error("bad value for --calls: must be at least 1");
    } else if (name == "--warmup") {
      o.warmup = parse_number<size_t>(name, need());
    } else if (name == "--rate") {
      o.rate = parse_double(name, need());
      if (o.rate <= 0) throw usage_error("bad value for --rate: must be > 0");
    } else if (name == "--timeout") {
      o.timeout_s = parse_double(name, need());
      if (o.timeout_s <= 0)
        throw usage_error("bad value for --timeout: must be > 0");
    } else if (name == "--json") {
      o.json_out = need();
      if (o.json_out.empty()) throw usage_error("bad value for --json: empty");
    } else if (name == "--label") {
      o.label = need();
    } else if (name == "--header") {
      auto v = need();
      auto colon = v.find(':');
      if (colon == std::string::npos || colon == 0)
        throw usage_error("bad value for --header: '" + v +
                          "' (expected 'Name: value')");
      auto key = v.substr(0, colon);
      auto val = v.substr(colon + 1);
      val.erase(0, val.find_first_not_of(" \t"));
      if (key.find_first_of(" \t\r\n") != std::string::npos ||
          val.find_first_of("\r\n") != std::string::npos)
        throw usage_error("bad value for --header: '" + v + "'");
      o.ep.headers.emplace_back(key, val);
    } else if (name == "--server-pid") {
      auto pid = parse_number<int>(name, need());
      if (pid <= 0)
        throw usage_error("bad value for --server-pid: must be > 0");
      if (::access(("/proc/" + std::to_string(pid) + "/stat").c_str(), R_OK) !=
          0)
        throw usage_error("bad value for --server-pid: no process " +
                          std::to_string(pid));
      o.server_pids.push_back(pid);
    } else {
      throw usage_error("unknown option '" + name + "'");
    }
  }
  if (o.url.empty()) throw usage_error("missing --url");
  if (!have_tool) throw usage_error("missing --tool");
  if (!have_calls) throw usage_error("missing --calls");
  parse_url(o);
  return o;
}

// -- the run
// --------------------------------------------------------------------

struct phase_result {
  std::vector<double> lat_us;
  size_t ok = 0;
  size_t errors = 0;
  size_t transport_errors = 0;
  size_t reconnects = 0;
  size_t done = 0;
  sclock::time_point start;
  sclock::time_point end;
};

class load {
public:
  load(options o, asio::io_context& io)
    : opt_(std::move(o))
    , io_(io) {
    tcp::resolver res(io_);
    endpoints_ = res.resolve(opt_.ep.host, opt_.ep.port);
    json params = { { "name", opt_.tool }, { "arguments", opt_.args } };
    call_prefix_ = R"({"jsonrpc":"2.0","id":)";
    call_suffix_ = R"(,"method":"tools/call","params":)" + params.dump() + "}";
  }

  const options& opt() const { return opt_; }
  const std::string& first_error() const { return first_error_; }
  size_t setup_errors() const { return setup_errors_; }

  /// Opens and initializes every connection; false if any failed.
  bool setup() {
    for (size_t i = 0; i < opt_.connections; ++i)
      conns_.push_back(std::make_unique<connection>(io_));
    run_all([this](connection& c) -> awaitable<void> {
      if (!co_await open(c) || !co_await initialize(c)) {
        ++setup_errors_;
        c.dead = true;
      }
    });
    return setup_errors_ == 0;
  }

  /// Runs `total` calls over all connections; records them if `record`.
  phase_result calls(size_t total, bool record, double rate) {
    phase_result pr;
    if (record) pr.lat_us.reserve(total);
    total_ = total;
    next_slot_ = 0;
    rate_ = rate;
    cur_ = &pr;
    record_ = record;
    pr.start = sclock::now();
    pr.end = pr.start;
    run_all([this](connection& c) -> awaitable<void> { co_await drive(c); });
    cur_ = nullptr;
    return pr;
  }

  /// DELETEs the sessions and closes the connections; failures ignored.
  void close_all() {
    run_all([this](connection& c) -> awaitable<void> {
      if (opt_.delete_sessions) co_await mcp::end_session(c, opt_.ep);
      beast::error_code ignored;
      c.sock.shutdown(tcp::socket::shutdown_both, ignored);
      c.sock.close(ignored);
      c.open = false;
    });
  }

private:
  void note_error(const std::string& what) {
    if (first_error_.empty()) first_error_ = what;
  }

  /// Runs `f` on every live connection, concurrently, until all are done.
  template <class F>
  void run_all(F f) {
    io_.restart();
    running_ = 0;
    for (auto& c : conns_) {
      if (c->dead) continue;
      ++running_;
      asio::co_spawn(
        io_,
        [this, &c, f]() -> awaitable<void> {
          try {
            co_await f(*c);
          } catch (const std::exception& e) {
            std::fprintf(
              stderr, "sophia-mcp-load: connection failed: %s\n", e.what());
            c->dead = true;
          }
          --running_;
        },
        asio::detached);
    }
    asio::co_spawn(io_, watch(), asio::detached);
    io_.run();
  }

  /// Closes the socket of any request older than --timeout, so that its
  /// read fails; stops once every coroutine of run_all has finished.
  awaitable<void> watch() {
    asio::steady_timer t(io_);
    auto limit = std::chrono::duration_cast<sclock::duration>(
      std::chrono::duration<double>(opt_.timeout_s));
    for (;;) {
      t.expires_after(std::chrono::milliseconds(50));
      beast::error_code ec;
      co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
      if (running_ == 0) co_return;
      auto now = sclock::now();
      for (auto& c : conns_) {
        if (c->busy && !c->timed_out && now - c->busy_since > limit) {
          c->timed_out = true;
          beast::error_code ignored;
          c->sock.cancel(ignored);
          c->sock.close(ignored);
        }
      }
    }
  }

  awaitable<bool> open(connection& c) {
    std::string error;
    if (co_await mcp::open(c, endpoints_, opt_.ep, error)) co_return true;
    note_error(error);
    co_return false;
  }

  awaitable<bool> initialize(connection& c) {
    std::string error;
    if (co_await mcp::initialize(
          c, endpoints_, opt_.ep, "sophia-mcp-load", error))
      co_return true;
    note_error(error);
    co_return false;
  }

  /// A connection that failed 3 times in a row (transport errors, failed
  /// reconnects) stops; the other connections take its share of the calls.
  void give_up_after_3(connection& c) {
    if (++c.failures_in_a_row < 3) return;
    c.dead = true;
    std::fprintf(
      stderr,
      "sophia-mcp-load: a connection gave up after 3 failures in a row\n");
  }

  awaitable<void> drive(connection& c) {
    asio::steady_timer pace(io_);
    auto& pr = *cur_;
    while (next_slot_ < total_ && !c.dead) {
      size_t slot = next_slot_++;
      sclock::time_point sched;
      if (rate_ > 0) {
        sched =
          pr.start +
          std::chrono::duration_cast<sclock::duration>(
            std::chrono::duration<double>(static_cast<double>(slot) / rate_));
        if (sclock::now() < sched) {
          pace.expires_at(sched);
          beast::error_code ec;
          co_await pace.async_wait(asio::redirect_error(use_awaitable, ec));
        }
      } else {
        sched = sclock::now();
      }
      if (!c.open) {
        ++pr.reconnects;
        if (!co_await open(c)) {
          ++pr.errors;
          ++pr.transport_errors;
          ++pr.done;
          give_up_after_3(c);
          continue;
        }
      }
      auto id = c.next_id++;
      c.req.body() = call_prefix_ + std::to_string(id) + call_suffix_;
      c.req.prepare_payload();
      beast::error_code ec;
      auto r = co_await roundtrip(c, id, ec);
      ++pr.done;
      if (ec) {
        ++pr.errors;
        ++pr.transport_errors;
        note_error(std::string("tools/call: ") +
                   (c.timed_out ? "no reply within --timeout" : ec.message()));
        beast::error_code ignored;
        c.sock.close(ignored);
        c.open = false;
        give_up_after_3(c);
        continue;
      }
      c.failures_in_a_row = 0;
      if (!r.keep_alive) {
        beast::error_code ignored;
        c.sock.close(ignored);
        c.open = false;
      }
      bool good = r.status == 200 && r.message &&
                  r.message->contains("result") &&
                  (*r.message)["result"].is_object() &&
                  !((*r.message)["result"].contains("isError") &&
                    (*r.message)["result"]["isError"] == true);
      if (good) {
        ++pr.ok;
        if (record_)
          pr.lat_us.push_back(
            std::chrono::duration<double, std::micro>(r.at - sched).count());
      } else {
        ++pr.errors;
        if (r.message)
          note_error("tools/call " + opt_.tool + ": " +
                     r.message->dump().substr(0, 2000));
        else
          note_error("tools/call " + opt_.tool +
                     ": no JSON-RPC response with id " + std::to_string(id) +
                     "; " + describe(r));
      }
      pr.end = sclock::now();
    }
    co_return;
  }

  options opt_;
  asio::io_context& io_;
  tcp::resolver::results_type endpoints_;
  std::vector<std::unique_ptr<connection>> conns_;
  std::string call_prefix_;
  std::string call_suffix_;
  std::string first_error_;
  size_t setup_errors_ = 0;
  size_t running_ = 0;
  size_t total_ = 0;
  size_t next_slot_ = 0;
  double rate_ = 0;
  bool record_ = false;
  phase_result* cur_ = nullptr;
};

// -- statistics and output
// ------------------------------------------------------

double rank(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto n = sorted.size();
  auto i = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
  return sorted[std::clamp<size_t>(i, 1, n) - 1];
}

} // namespace

int main(int argc, char** argv) {
  options opt;
  try {
    opt = parse_options(argc, argv);
  } catch (const usage_error& e) {
    std::fprintf(stderr,
                 "sophia-mcp-load: %s\n(run with --help for the options)\n",
                 e.what());
    return 2;
  }
  try {
    asio::io_context io(1);
    load gen(opt, io);
    if (!gen.setup()) {
      std::fprintf(stderr,
                   "sophia-mcp-load: %zu of %zu connections failed to set up; "
                   "first error: %s\n",
                   gen.setup_errors(),
                   opt.connections,
                   gen.first_error().c_str());
      return 1;
    }
    if (opt.warmup > 0) gen.calls(opt.warmup, false, 0);

    std::vector<double> cpu_before, rss_before;
    for (auto pid : opt.server_pids) {
      cpu_before.push_back(proc_cpu_us(pid));
      rss_before.push_back(proc_rss_mb(pid));
    }
    double self_before = self_cpu_us();
    auto pr = gen.calls(opt.calls, true, opt.rate);
    double self_after = self_cpu_us();
    double server_cpu_us = 0;
    double rss_mb_before = 0, rss_mb_after = 0;
    ojson per_pid = ojson::array();
    for (size_t i = 0; i < opt.server_pids.size(); ++i) {
      auto pid = opt.server_pids[i];
      double cpu = proc_cpu_us(pid) - cpu_before[i];
      double rss = proc_rss_mb(pid);
      server_cpu_us += cpu;
      rss_mb_before += rss_before[i];
      rss_mb_after += rss;
      per_pid.push_back({ { "pid", pid },
                          { "cpu_us_per_call",
                            pr.done ? cpu / static_cast<double>(pr.done) : 0 },
                          { "rss_mb_before", rss_before[i] },
                          { "rss_mb_after", rss } });
    }
    gen.close_all();

    double elapsed_s = std::chrono::duration<double>(pr.end - pr.start).count();
    double per_s = elapsed_s > 0 ? static_cast<double>(pr.ok) / elapsed_s : 0;
    auto& lat = pr.lat_us;
    std::sort(lat.begin(), lat.end());
    double mean = lat.empty() ? 0
                              : std::accumulate(lat.begin(), lat.end(), 0.0) /
                                  static_cast<double>(lat.size());
    double calls_d = pr.done ? static_cast<double>(pr.done) : 1;
    double server_per_call =
      opt.server_pids.empty() ? -1 : server_cpu_us / calls_d;
    double self_per_call = (self_after - self_before) / calls_d;

    std::string mode =
      opt.rate > 0
        ? "paced " + std::to_string(static_cast<long>(opt.rate)) + "/s"
        : "closed loop";
    std::printf("%-24s %-30s conns %4zu  calls %7zu  %10.1f calls/s  p50 %8.0f "
                " p90 %8.0f  p99 %8.0f  max %8.0f us"
                "  errors %zu",
                opt.label.empty() ? "-" : opt.label.c_str(),
                (opt.tool + " " + mode).c_str(),
                opt.connections,
                pr.done,
                per_s,
                rank(lat, .5),
                rank(lat, .9),
                rank(lat, .99),
                lat.empty() ? 0 : lat.back(),
                pr.errors);
    if (!opt.server_pids.empty())
      std::printf("  server %.0f us/call  RSS %.1f -> %.1f MB",
                  server_per_call,
                  rss_mb_before,
                  rss_mb_after);
    std::printf("  loadgen %.0f us/call\n", self_per_call);
    if (!gen.first_error().empty())
      std::fprintf(stderr,
                   "sophia-mcp-load: first error: %s\n",
                   gen.first_error().c_str());

    if (!opt.json_out.empty()) {
      ojson out = {
        { "label", opt.label },
        { "url", opt.url },
        { "tool", opt.tool },
        { "arguments", ojson::parse(opt.args.dump()) },
        { "connections", opt.connections },
        { "mode", opt.rate > 0 ? "paced" : "closed" },
        { "rate_target", opt.rate > 0 ? ojson(opt.rate) : ojson(nullptr) },
        { "warmup", opt.warmup },
        { "calls", opt.calls },
        { "completed", pr.done },
        { "ok", pr.ok },
        { "errors", pr.errors },
        { "transport_errors", pr.transport_errors },
        { "reconnects", pr.reconnects },
        { "elapsed_s", elapsed_s },
        { "calls_per_s", per_s },
        { "latency_us",
          { { "p50", rank(lat, .5) },
            { "p90", rank(lat, .9) },
            { "p99", rank(lat, .99) },
            { "p999", rank(lat, .999) },
            { "mean", mean },
            { "max", lat.empty() ? 0 : lat.back() } } },
        { "server_pids", per_pid },
        { "server_cpu_us_per_call",
          opt.server_pids.empty() ? ojson(nullptr) : ojson(server_per_call) },
        { "server_rss_mb_before",
          opt.server_pids.empty() ? ojson(nullptr) : ojson(rss_mb_before) },
        { "server_rss_mb_after",
          opt.server_pids.empty() ? ojson(nullptr) : ojson(rss_mb_after) },
        { "loadgen_cpu_us_per_call", self_per_call },
        { "first_error",
          gen.first_error().empty() ? ojson(nullptr)
                                    : ojson(gen.first_error()) },
      };
      std::ofstream f(opt.json_out);
      f << out.dump(2) << "\n";
      if (!f) {
        std::fprintf(
          stderr, "sophia-mcp-load: cannot write %s\n", opt.json_out.c_str());
        return 1;
      }
    }
    return (pr.errors == 0 && pr.done == opt.calls) ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sophia-mcp-load: %s\n", e.what());
    return 1;
  }
}
