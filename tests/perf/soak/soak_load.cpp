#include "tests/perf/soak/soak_load.hpp"

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <utility> // before asio: boost 1.74 awaitable.hpp uses std::exchange unincluded

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tests/perf/edge/mcp_client.hpp"

namespace sophia::bench::soak {

namespace mcp = sophia::bench::mcp;
using mcp::asio::awaitable;
using mcp::asio::use_awaitable;
namespace asio = mcp::asio;
using mcp::sclock;

const char* to_string(outcome x) {
  static constexpr const char* names[] = {
    "ok",         "node_down", "unavailable", "tool_error",    "rpc_error",
    "http_error", "transport", "timeout",     "session_error",
  };
  return names[static_cast<size_t>(x)];
}

uint64_t tally::calls() const {
  uint64_t n = 0;
  for (size_t i = 0; i < outcome_count; ++i)
    if (static_cast<outcome>(i) != outcome::session_error) n += by_outcome[i];
  return n;
}

uint64_t tally::errors() const {
  uint64_t n = 0;
  for (size_t i = 1; i < outcome_count; ++i)
    n += by_outcome[i];
  return n;
}

namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// The text of a tool result's first text item, or "".
std::string first_text(const mcp::json& result) {
  auto c = result.find("content");
  if (c == result.end() || !c->is_array() || c->empty()) return {};
  auto& t = (*c)[0];
  return t.is_object() && t.contains("text") && t["text"].is_string()
           ? t["text"].get<std::string>()
           : std::string{};
}

} // namespace

struct load::impl {
  load_options opt;
  mcp::endpoint ep;
  asio::io_context io{ 1 };
  mcp::tcp::resolver::results_type to;
  std::vector<std::unique_ptr<mcp::connection>> conns;
  std::thread thread;
  std::atomic<bool> stopping{ false };
  size_t running = 0;
  uint64_t next_slot = 0;
  sclock::time_point start;
  std::string call_prefix = R"({"jsonrpc":"2.0","id":)";
  std::string local_suffix;
  std::string remote_suffix;
  std::mutex mtx;
  tally current;

  explicit impl(load_options o)
    : opt(std::move(o))
    , ep(mcp::parse_url(opt.url)) {
    mcp::tcp::resolver res(io);
    to = res.resolve(ep.host, ep.port);
    auto suffix = [](const std::string& tool, const std::string& args) {
      mcp::json params{ { "name", tool },
                        { "arguments", mcp::json::parse(args) } };
      return R"(,"method":"tools/call","params":)" + params.dump() + "}";
    };
    local_suffix = suffix(opt.local_tool, opt.local_args);
    remote_suffix = suffix(opt.remote_tool, opt.remote_args);
  }

  void record(outcome o,
              bool remote,
              double latency_us,
              const std::string& sample) {
    std::lock_guard<std::mutex> guard{ mtx };
    ++current.by_outcome[static_cast<size_t>(o)];
    if (o != outcome::session_error)
      ++(remote ? current.remote_calls : current.local_calls);
    if (o == outcome::ok) current.latency_us.push_back(latency_us);
    if (o == outcome::node_down) current.node_down_at_ms.push_back(unix_ms());
    if (o != outcome::ok && !sample.empty()) {
      auto& xs = current.samples[to_string(o)];
      if (xs.size() < 3) xs.push_back(sample.substr(0, 300));
    }
  }

  awaitable<bool> ensure_session(mcp::connection& c) {
    std::string error;
    if (!c.session_id.empty() && c.open) co_return true;
    if (!c.session_id.empty()) {
      // A new connection keeps the session: sessions outlive connections.
      if (co_await mcp::open(c, to, ep, error)) co_return true;
    } else if (co_await mcp::open(c, to, ep, error) &&
               co_await mcp::initialize(
                 c, to, ep, "sophia-bench-soak", error)) {
      std::lock_guard<std::mutex> guard{ mtx };
      ++current.sessions_opened;
      co_return true;
    }
    record(outcome::session_error, false, 0, error);
    c.open = false;
    co_return false;
  }

  awaitable<void> drive(mcp::connection& c) {
    asio::steady_timer pace(io);
    size_t in_session = 0;
    while (!stopping) {
      if (!co_await ensure_session(c)) {
        pace.expires_after(std::chrono::milliseconds{ 200 });
        mcp::beast::error_code ignored;
        co_await pace.async_wait(asio::redirect_error(use_awaitable, ignored));
        continue;
      }
      auto slot = next_slot++;
      auto sched =
        start +
        std::chrono::duration_cast<sclock::duration>(
          std::chrono::duration<double>(static_cast<double>(slot) / opt.rate));
      if (sclock::now() < sched) {
        pace.expires_at(sched);
        mcp::beast::error_code ignored;
        co_await pace.async_wait(asio::redirect_error(use_awaitable, ignored));
      }
      if (stopping) break;
      bool remote = slot % 2 == 1;
      auto id = c.next_id++;
      c.req.body() = call_prefix + std::to_string(id) +
                     (remote ? remote_suffix : local_suffix);
      c.req.prepare_payload();
      mcp::beast::error_code ec;
      auto r = co_await mcp::roundtrip(c, id, ec);
      if (ec || !r.keep_alive) {
        mcp::beast::error_code ignored;
        c.sock.close(ignored);
        c.open = false;
      }
      if (ec) {
        record(c.timed_out ? outcome::timeout : outcome::transport,
               remote,
               0,
               ec.message());
        continue;
      }
      classify(r, remote, sched);
      if (++in_session >= opt.calls_per_session && c.open) {
        co_await mcp::end_session(c, ep);
        in_session = 0;
        std::lock_guard<std::mutex> guard{ mtx };
        ++current.sessions_closed;
      }
    }
  }

  void classify(const mcp::reply& r, bool remote, sclock::time_point sched) {
    if (r.status != 200 || !r.message) {
      record(outcome::http_error, remote, 0, mcp::describe(r));
      return;
    }
    auto& m = *r.message;
    if (!m.contains("result") || !m["result"].is_object()) {
      record(outcome::rpc_error, remote, 0, m.dump());
      return;
    }
    auto& result = m["result"];
    if (result.value("isError", false)) {
      auto text = first_text(result);
      auto o = text.find("went down during the call") != std::string::npos
                 ? outcome::node_down
               : text.find("not available") != std::string::npos
                 ? outcome::unavailable
                 : outcome::tool_error;
      record(o, remote, 0, text);
      return;
    }
    record(outcome::ok,
           remote,
           std::chrono::duration<double, std::micro>(r.at - sched).count(),
           {});
  }

  /// Closes the socket of a call older than the timeout, so that its read
  /// fails; ends once every connection's loop has.
  awaitable<void> watch() {
    asio::steady_timer t(io);
    auto limit = std::chrono::duration_cast<sclock::duration>(
      std::chrono::duration<double>(opt.call_timeout_s));
    while (running > 0) {
      t.expires_after(std::chrono::milliseconds{ 100 });
      mcp::beast::error_code ignored;
      co_await t.async_wait(asio::redirect_error(use_awaitable, ignored));
      auto now = sclock::now();
      for (auto& c : conns)
        if (c->busy && !c->timed_out && now - c->busy_since > limit) {
          c->timed_out = true;
          c->sock.cancel(ignored);
          c->sock.close(ignored);
        }
    }
  }

  void launch() {
    start = sclock::now();
    for (size_t i = 0; i < opt.connections; ++i)
      conns.push_back(std::make_unique<mcp::connection>(io));
    running = conns.size();
    for (auto& c : conns)
      asio::co_spawn(
        io,
        [this, &c]() -> awaitable<void> {
          co_await drive(*c);
          --running;
        },
        asio::detached);
    asio::co_spawn(io, watch(), asio::detached);
    thread = std::thread{ [this] { io.run(); } };
  }

  void halt() {
    if (!thread.joinable()) return;
    stopping = true;
    thread.join();
    io.restart();
    for (auto& c : conns)
      asio::co_spawn(
        io,
        [this, &c]() -> awaitable<void> {
          co_await mcp::end_session(*c, ep);
          mcp::beast::error_code ignored;
          c->sock.close(ignored);
        },
        asio::detached);
    io.run();
  }
};

load::load(load_options opts)
  : impl_(std::make_unique<impl>(std::move(opts))) {
  impl_->launch();
}

load::~load() {
  impl_->halt();
}

tally load::take() {
  std::lock_guard<std::mutex> guard{ impl_->mtx };
  tally out = std::move(impl_->current);
  impl_->current = tally{};
  return out;
}

void load::stop() {
  impl_->halt();
}

} // namespace sophia::bench::soak
