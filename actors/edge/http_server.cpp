// The listeners of the MCP edge: binding, accepting within the connection
// cap (and the file limit), refusing beyond it, starting and draining.
#include "actors/edge/http_server.hpp"

#include <algorithm>
#include <chrono>
#include <utility> // before asio: boost 1.74 awaitable.hpp uses std::exchange unincluded

#include <sys/resource.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>

#include "actors/edge/http_server_impl.hpp"
#include "actors/edge/jsonrpc.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"

namespace sophia::actors::edge {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

std::shared_ptr<spdlog::logger> lg() {
  static auto x = runtime::log::get("edge.http");
  return x;
}

/// Files kept for everything but connections: the cluster's sockets, logs,
/// refusals in progress.
constexpr int64_t reserved_files = 256;

/// At most this many refusals (503 and a short lingering close) at once;
/// beyond, a connection is closed without an answer.
constexpr int max_refusing = 128;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

/// The 503 a connection over the cap gets, whole.
const std::string& refusal() {
  static const std::string text = [] {
    auto body = jsonrpc::error(
      "null",
      jsonrpc::server_error,
      "Service Unavailable: too many open connections (max_connections); "
      "retry later");
    return "HTTP/1.1 503 Service Unavailable\r\nServer: sophia\r\n"
           "Content-Type: application/json\r\nRetry-After: 1\r\n"
           "Connection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  return text;
}

/// One refused connection: the 503, then reads (and drops) what the client
/// sends for up to a second, so that it reads the 503 rather than a reset.
struct refused : std::enable_shared_from_this<refused> {
  refused(tcp::socket s, http_server::impl& srv)
    : sock(std::move(s))
    , timer(sock.get_executor())
    , srv(srv) {}

  ~refused() { srv.refusing.fetch_sub(1); }

  void start() {
    net::async_write(sock,
                     net::buffer(refusal()),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       beast::error_code ignored;
                       if (ec) {
                         self->sock.close(ignored);
                         return;
                       }
                       self->sock.shutdown(tcp::socket::shutdown_send, ignored);
                       self->timer.expires_after(std::chrono::seconds{ 1 });
                       self->timer.async_wait([self](beast::error_code) {
                         beast::error_code ignored;
                         self->sock.close(ignored);
                       });
                       self->drop();
                     });
  }

  void drop() {
    sock.async_read_some(
      net::buffer(buf),
      [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) {
          beast::error_code ignored;
          self->timer.cancel(ignored);
          self->sock.close(ignored);
          return;
        }
        self->drop();
      });
  }

  tcp::socket sock;
  net::steady_timer timer;
  http_server::impl& srv;
  char buf[4096];
};

} // namespace

size_t http_server::impl::stream_share() const {
  auto streams =
    std::max<int64_t>(1, counters->streams.load(std::memory_order_relaxed));
  auto share = static_cast<size_t>(opts.config.replay_budget_bytes) /
               static_cast<size_t>(streams);
  return std::max<size_t>(share, 64 * 1024);
}

void http_server::impl::sweep() {
  sweep_timer->expires_after(std::chrono::milliseconds{ 100 });
  sweep_timer->async_wait([this](beast::error_code ec) {
    if (ec || draining) return;
    auto now = now_ms();
    std::vector<std::shared_ptr<connection>> conns;
    {
      std::lock_guard<std::mutex> guard{ mtx };
      conns.reserve(live.size());
      for (auto& [ptr, c] : live)
        conns.push_back(c);
    }
    for (auto& c : conns)
      sweep_connection(c, now);
    sweep();
  });
}

void http_server::impl::refuse(tcp::socket sock) {
  counters->refused_capacity.fetch_add(1, std::memory_order_relaxed);
  if (refusing.fetch_add(1) >= max_refusing) {
    refusing.fetch_sub(1);
    beast::error_code ignored;
    sock.close(ignored);
    return;
  }
  std::make_shared<refused>(std::move(sock), *this)->start();
}

void http_server::impl::accept(size_t i) {
  acceptors[i]->async_accept(
    net::make_strand(ioc), [this, i](beast::error_code ec, tcp::socket sock) {
      if (ec) {
        if (ec == net::error::operation_aborted || draining) return;
        // Out of files (or buffers): accepting again at once would spin;
        // wait a little, and say so once in a while.
        auto last = accept_error_logged_ms.load();
        if (now_ms() - last > 10000 &&
            accept_error_logged_ms.compare_exchange_strong(last, now_ms()))
          lg()->warn("accept failed: {} ({} connections open); pausing "
                     "accepts for 100 ms",
                     ec.message(),
                     counters->connections.load());
        accept_retry[i]->expires_after(std::chrono::milliseconds{ 100 });
        accept_retry[i]->async_wait([this, i](beast::error_code e) {
          if (!e && !draining) accept(i);
        });
        return;
      }
      counters->accepted.fetch_add(1, std::memory_order_relaxed);
      beast::error_code ignored;
      sock.set_option(tcp::no_delay{ true }, ignored);
      if (counters->connections.load(std::memory_order_relaxed) >=
          max_connections) {
        refuse(std::move(sock));
      } else {
        start_connection(*this, std::move(sock), acceptor_domains[i]);
      }
      if (!draining) accept(i);
    });
}

http_server::http_server(std::unique_ptr<impl> p)
  : impl_(std::move(p)) {}

http_server::~http_server() {
  if (impl_ && !impl_->threads.empty()) stop(std::chrono::milliseconds{ 0 });
}

const std::vector<uint16_t>& http_server::ports() const noexcept {
  return impl_->ports;
}

caf::expected<std::unique_ptr<http_server>>
http_server::start(caf::actor engine, http_options opts, uint16_t port) {
  auto p = std::make_unique<impl>();
  p->engine = std::move(engine);
  p->opts = std::move(opts);
  p->counters =
    p->opts.counters ? p->opts.counters : std::make_shared<http_counters>();
  auto& cfg = p->opts.config;
  // Connections beyond the file limit would fail in accept(): keep the cap
  // below it, with room for everything else the node has open.
  p->max_connections = cfg.max_connections;
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 &&
      files.rlim_cur != RLIM_INFINITY) {
    auto room = static_cast<int64_t>(files.rlim_cur) - reserved_files;
    if (room < p->max_connections) {
      p->max_connections = std::max<int64_t>(16, room);
      lg()->warn("max_connections {} exceeds what the file limit ({}) "
                 "allows: serving at most {} connections",
                 cfg.max_connections,
                 files.rlim_cur,
                 p->max_connections);
    }
  }
  std::vector<std::pair<uint16_t, std::string>> binds{
    { port != 0 ? port : cfg.port, "" },
  };
  for (auto d : runtime::config::mcp_domains())
    if (auto x = cfg.domain_port(d); x != 0) binds.emplace_back(x, d);
  beast::error_code ec;
  auto addr = net::ip::make_address(
    cfg.address == "localhost" ? "127.0.0.1" : cfg.address, ec);
  if (ec)
    return runtime::make_error(runtime::errc::bad_config,
                               "[edge] address '" + cfg.address +
                                 "' is not an IP address");
  for (auto& [x, d] : binds) {
    auto acc = std::make_unique<tcp::acceptor>(p->ioc);
    tcp::endpoint ep{ addr, x };
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      return runtime::make_error(runtime::errc::start_failed,
                                 "MCP edge cannot listen on " + cfg.address +
                                   ":" + std::to_string(x) + ": " +
                                   ec.message());
    p->ports.push_back(acc->local_endpoint().port());
    p->acceptors.push_back(std::move(acc));
    p->accept_retry.push_back(std::make_unique<net::steady_timer>(p->ioc));
    p->acceptor_domains.push_back(d);
  }
  for (size_t i = 0; i < p->acceptors.size(); ++i)
    p->accept(i);
  p->sweep_timer = std::make_unique<net::steady_timer>(p->ioc);
  p->sweep();
  p->work.emplace(p->ioc.get_executor());
  auto n = std::max<int64_t>(1, cfg.io_threads);
  for (int64_t i = 0; i < n; ++i)
    p->threads.emplace_back([ioc = &p->ioc] { ioc->run(); });
  return std::unique_ptr<http_server>{ new http_server(std::move(p)) };
}

void http_server::stop(std::chrono::milliseconds drain) {
  auto& p = *impl_;
  if (p.threads.empty()) return;
  p.draining = true;
  net::post(p.ioc, [&p] {
    beast::error_code ec;
    for (auto& a : p.acceptors)
      a->close(ec);
    for (auto& t : p.accept_retry)
      t->cancel(ec);
    p.sweep_timer->cancel(ec);
  });
  std::vector<std::shared_ptr<connection>> conns;
  {
    std::lock_guard<std::mutex> guard{ p.mtx };
    for (auto& [ptr, c] : p.live)
      conns.push_back(c);
  }
  for (auto& c : conns)
    drain_connection(c);
  conns.clear();
  auto until = std::chrono::steady_clock::now() + drain;
  while (std::chrono::steady_clock::now() < until) {
    if (p.counters->connections.load() == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{ 10 });
  }
  p.work.reset();
  p.ioc.stop();
  for (auto& t : p.threads)
    t.join();
  p.threads.clear();
  {
    // From now on the engine's exchanges post nothing here.
    std::lock_guard<std::mutex> guard{ p.gate->mtx };
    p.gate->open = false;
  }
  // Connections go now, while the io_context they use still exists.
  std::unordered_map<connection*, std::shared_ptr<connection>> gone;
  {
    std::lock_guard<std::mutex> guard{ p.mtx };
    gone.swap(p.live);
  }
  gone.clear();
}

} // namespace sophia::actors::edge
