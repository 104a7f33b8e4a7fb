// The MCP edge's HTTP transport on real threads and real sockets: the engine
// on a real CAF scheduler among the stand-ins of standins.hpp, the server on
// a loopback port the kernel picks, and clients that misbehave the way
// hostile or broken ones do (trickled headers, floods of connections,
// oversized bodies, streams nobody reads), next to clients that behave.
// Under ThreadSanitizer (tools/sophia test --tsan) the last case hammers the
// engine's shared state from the HTTP threads and the actor threads at once.

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "actors/edge/counters.hpp"
#include "actors/edge/http_server.hpp"
#include "runtime/log.hpp"
#include "runtime/system/setup.hpp"
#include "tests/actors/edge/standins.hpp"

using namespace sophia::edge_test;
using namespace std::chrono_literals;
using sclock = std::chrono::steady_clock;

namespace {

/// A blocking loopback TCP client that does exactly what a test says.
class raw {
public:
  explicit raw(uint16_t port, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~raw() { close(); }
  raw(const raw&) = delete;
  raw& operator=(const raw&) = delete;

  bool ok() const { return ok_; }

  /// Sends all of `x`; false when the peer reset or closed.
  bool send(std::string_view x) {
    while (!x.empty()) {
      auto n = ::send(fd_, x.data(), x.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      x.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  /// Reads what arrives within `wait` (until EOF, an error, or `until` is
  /// in what was read); `eof()` tells whether the peer closed.
  std::string read(std::chrono::milliseconds wait,
                   std::string_view until = {}) {
    std::string out;
    auto deadline = sclock::now() + wait;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - sclock::now());
      if (left.count() <= 0) break;
      pollfd p{ fd_, POLLIN, 0 };
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[65536];
      auto n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        eof_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
      if (!until.empty() && out.find(until) != std::string::npos) break;
    }
    return out;
  }

  bool eof() const { return eof_; }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
  bool ok_ = false;
  bool eof_ = false;
};

std::string post_text(const std::string& body,
                      const std::string& session = {}) {
  std::string r = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Accept: application/json, text/event-stream\r\n"
                  "Content-Type: application/json\r\n";
  if (!session.empty()) r += "Mcp-Session-Id: " + session + "\r\n";
  return r + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         body;
}

/// The value of header `name` in a response, or "".
std::string header(const std::string& response, const std::string& name) {
  auto at = response.find(name + ": ");
  if (at == std::string::npos) return {};
  auto end = response.find("\r\n", at);
  return response.substr(at + name.size() + 2, end - at - name.size() - 2);
}

/// The engine and its stand-ins on a real scheduler, the server on a port
/// the kernel picked.
struct edge_under_test {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  registry_state_ptr reg = std::make_shared<registry_state>();
  provider_log_ptr plog = std::make_shared<provider_log>();
  caf::actor provider, registry, membership, engine;
  std::shared_ptr<edge::http_counters> counters =
    std::make_shared<edge::http_counters>();
  std::unique_ptr<edge::http_server> server;
  uint16_t port = 0;

  explicit edge_under_test(config::edge_config ec) {
    log::init("test", "error");
    sophia::runtime::system::announce(cfg);
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    plog->descriptor = fake_descriptor;
    provider = sys->spawn(fake_provider, plog);
    reg->names = { provider_key, "edge@n1" };
    reg->provider = provider;
    registry = sys->spawn(stand_in_registry, reg);
    membership = sys->spawn(stand_in_membership, registry);
    ec.port = 0;
    edge::http_options hopts;
    hopts.counters = counters;
    hopts.config = ec;
    hopts.origins = edge::default_policy("127.0.0.1");
    hopts.keys = std::make_shared<edge::key_ring>();
    auto m = membership;
    engine = edge::spawn_edge(
      *sys,
      edge::edge_options{ "n1", ec, [m] { return m; }, counters, {} },
      &hopts.fast);
    // The catalog is loaded once the engine answers `status`.
    caf::scoped_actor self{ *sys };
    self->request(engine, 5s, caf::get_atom::value, atoms::status::value)
      .receive([](size_t) {}, [](caf::error&) {});
    auto s = edge::http_server::start(engine, hopts);
    REQUIRE(s);
    server = std::move(*s);
    port = server->ports().front();
  }

  ~edge_under_test() {
    server->stop(std::chrono::milliseconds{ 500 });
    server.reset();
    for (auto& a : { engine, provider, registry, membership })
      caf::anon_send_exit(a, caf::exit_reason::kill);
  }

  /// Opens a session on `c`; returns its id.
  std::string open(raw& c) {
    c.send(post_text(
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})"));
    auto r = c.read(5s, "protocolVersion");
    auto sid = header(r, "Mcp-Session-Id");
    c.send(post_text(
      R"({"jsonrpc":"2.0","method":"notifications/initialized"})", sid));
    c.read(2s, "\r\n\r\n");
    return sid;
  }

  /// A ping in `sid` on `c`: whether it was answered.
  bool ping(raw& c, const std::string& sid, int id = 2) {
    c.send(post_text(R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
                       R"(,"method":"ping"})",
                     sid));
    auto r = c.read(5s, R"("result":{})");
    return r.find(R"("result":{})") != std::string::npos;
  }
};

config::edge_config base() {
  config::edge_config c;
  c.header_timeout_ms = 400;
  return c;
}

template <class Pred>
bool eventually(Pred p, std::chrono::milliseconds max = 5s) {
  auto until = sclock::now() + max;
  while (sclock::now() < until) {
    if (p()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return p();
}

} // namespace

TEST_CASE(
  "a trickled header gets 408 at header_timeout_ms; others are served") {
  edge_under_test e{ base() };
  raw good{ e.port };
  auto sid = e.open(good);
  REQUIRE(!sid.empty());
  raw slow{ e.port };
  auto t0 = sclock::now();
  std::string partial = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ";
  bool cut = false;
  std::string answer;
  for (int i = 0; i < 100 && !cut; ++i) {
    slow.send(partial.substr(0, 1));
    partial = partial.size() > 1 ? partial.substr(1) : "a";
    answer += slow.read(50ms);
    cut = slow.eof();
    CHECK(e.ping(good, sid, 10 + i)); // served throughout
  }
  auto took = sclock::now() - t0;
  CHECK(cut);
  INFO("the slow client read: " << answer);
  CHECK(answer.starts_with("HTTP/1.1 408"));
  CHECK(took >= 390ms); // the server counts whole milliseconds
  CHECK(took < 4s);
  CHECK(e.counters->header_timeouts.load() == 1);
}

TEST_CASE(
  "an idle keep-alive connection has the idle timeout, not the header's") {
  edge_under_test e{ base() };
  raw c{ e.port };
  auto sid = e.open(c);
  std::this_thread::sleep_for(700ms); // > header_timeout_ms
  CHECK(e.ping(c, sid));
  CHECK(e.counters->header_timeouts.load() == 0);
}

TEST_CASE("over max_connections a connection gets 503 at once") {
  auto cfg = base();
  cfg.max_connections = 3;
  cfg.header_timeout_ms = 10000;
  edge_under_test e{ cfg };
  std::vector<std::unique_ptr<raw>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<raw>(e.port));
    REQUIRE(held.back()->ok());
  }
  REQUIRE(eventually([&] { return e.counters->connections.load() == 3; }));
  raw extra{ e.port };
  auto r = extra.read(3s, "\r\n\r\n");
  CHECK(r.starts_with("HTTP/1.1 503"));
  CHECK(header(r, "Retry-After") == "1");
  extra.read(3s);
  CHECK(extra.eof());
  CHECK(e.counters->refused_capacity.load() == 1);
  // One goes: a new connection is served.
  held.pop_back();
  REQUIRE(eventually([&] { return e.counters->connections.load() == 2; }));
  raw next{ e.port };
  CHECK(!e.open(next).empty());
}

TEST_CASE("a body over max_body_bytes: 413, read by a client still sending") {
  auto cfg = base();
  cfg.max_body_bytes = 1024;
  edge_under_test e{ cfg };
  raw c{ e.port };
  std::string body(8 << 20, ' ');
  std::string head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Accept: application/json, text/event-stream\r\n"
                     "Content-Type: application/json\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n";
  // Like Node's fetch: the whole body goes out before the answer is read.
  CHECK(c.send(head));
  CHECK(c.send(body));
  auto r = c.read(5s, "\r\n\r\n");
  CHECK(r.starts_with("HTTP/1.1 413"));
  CHECK(header(r, "Connection") == "close");
  r += c.read(5s);
  CHECK(r.find("max_body_bytes") != std::string::npos);
  CHECK(c.eof());
  CHECK(e.counters->too_large.load() == 1);
}

TEST_CASE("an idle SSE stream gets comment lines every sse_keepalive_ms") {
  auto cfg = base();
  cfg.sse_keepalive_ms = 150;
  edge_under_test e{ cfg };
  raw c{ e.port };
  auto sid = e.open(c);
  raw g{ e.port };
  g.send("GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
         "Mcp-Session-Id: " +
         sid + "\r\n\r\n");
  auto r = g.read(1s);
  CHECK(r.starts_with("HTTP/1.1 200"));
  // Each one a whole chunk: a comment line and the blank line after it.
  const std::string chunk = "d\r\n: keepalive\n\n\r\n";
  auto n = 0;
  for (size_t at = r.find(chunk); at != std::string::npos;
       at = r.find(chunk, at + 1))
    ++n;
  CHECK(n >= 3);
  CHECK(n <= 8);
}

TEST_CASE("a stream nobody reads is dropped once the edge is over budget") {
  auto cfg = base();
  cfg.replay_budget_bytes = 256 * 1024;
  edge_under_test e{ cfg };
  raw c{ e.port };
  auto sid = e.open(c);
  // A small receive window, and no reading: 20 MB of notifications.
  raw lazy{ e.port, 4096 };
  lazy.send(post_text(
    R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"fake.work","arguments":{"text":"x","mode":"stream","count":2000,"size":10000}}})",
    sid));
  CHECK(eventually([&] { return e.counters->slow_streams_dropped.load() == 1; },
                   10s));
  CHECK(eventually([&] { return e.counters->unsent_bytes.load() == 0; }));
  // The edge serves on.
  raw other{ e.port };
  auto sid2 = e.open(other);
  CHECK(e.ping(other, sid2));
}

TEST_CASE("clients on the fast path and through the actor, all at once") {
  edge_under_test e{ base() };
  constexpr int threads = 4;
  constexpr int rounds = 40;
  std::atomic<int> answered{ 0 };
  std::atomic<int> failed{ 0 };
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        raw c{ e.port };
        auto sid = e.open(c);
        if (sid.empty()) {
          ++failed;
          continue;
        }
        raw g{ e.port };
        g.send("GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Accept: text/event-stream\r\nMcp-Session-Id: " +
               sid + "\r\n\r\n");
        auto calls = std::string{
          R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"sophia.echo","arguments":{"text":"e"}}})"
        };
        c.send(post_text(calls, sid));
        auto r1 = c.read(5s, R"("id":3)");
        c.send(post_text(
          R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"fake.work","arguments":{"text":")" +
            std::to_string(t) + R"("}}})",
          sid));
        auto r2 = c.read(5s, "fake: " + std::to_string(t));
        c.send(
          post_text(R"({"jsonrpc":"2.0","id":6,"method":"tools/list"})", sid));
        auto r3 = c.read(5s, "fake.work");
        if (r1.find(R"("text":"e")") != std::string::npos &&
            r2.find("fake: ") != std::string::npos &&
            r3.find("fake.work") != std::string::npos)
          ++answered;
        else
          ++failed;
        if (i % 2 == 0) {
          c.send("DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nMcp-Session-Id: " +
                 sid + "\r\n\r\n");
          c.read(2s, "\r\n\r\n");
        }
      }
    });
  for (auto& t : ts)
    t.join();
  CHECK(failed.load() == 0);
  CHECK(answered.load() == threads * rounds);
}
