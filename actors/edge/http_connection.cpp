// One TCP connection of the MCP edge: reads requests one at a time (HTTP/1.1
// keep-alive), checks them (http_checks.hpp), hands them to the engine and
// writes what the engine answers through an `exchange`: a JSON body, or an
// SSE stream.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility> // before asio: boost 1.74 awaitable.hpp uses std::exchange unincluded

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <caf/all.hpp>

#include "actors/edge/edge_actor.hpp"
#include "actors/edge/exchange.hpp"
#include "actors/edge/http_checks.hpp"
#include "runtime/metrics/registry.hpp"
#include "actors/edge/http_server_impl.hpp"
#include "actors/edge/jsonrpc.hpp"
#include "runtime/log.hpp"

namespace sophia::actors::edge {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;
using sclock = std::chrono::steady_clock;
namespace rpc = jsonrpc;

namespace {

/// SSE `retry` field of priming events: reconnect after a second.
constexpr char retry_line[] = "retry: 1000\n";

/// An SSE comment, as one HTTP chunk: keeps idle streams open through
/// proxies.
constexpr char keepalive_chunk[] = "d\r\n: keepalive\n\n\r\n";
static_assert(sizeof(": keepalive\n\n") - 1 == 0xd);

/// Lingering close: how long, and how much, to read and drop of a request
/// the edge already answered (413), so that the client reads the answer
/// instead of a reset.
constexpr auto linger_total = std::chrono::seconds{ 30 };
/// ... and for a client that was too slow to send a header anyway.
constexpr auto linger_short = std::chrono::seconds{ 2 };
constexpr auto linger_idle = std::chrono::seconds{ 5 };
constexpr size_t linger_max_bytes = size_t{ 256 } << 20;

std::shared_ptr<spdlog::logger> lg() {
  static auto x = runtime::log::get("edge.http");
  return x;
}

} // namespace

class connection : public std::enable_shared_from_this<connection> {
public:
  connection(tcp::socket sock, http_server::impl& srv, std::string domain)
    : stream_(std::move(sock))
    , srv_(srv)
    , fixed_domain_(std::move(domain)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ = ep.address().to_string();
    srv_.counters->connections.fetch_add(1, std::memory_order_relaxed);
  }

  void start() { read_request(); }

  net::any_io_executor executor() { return stream_.get_executor(); }

  /// What a connection waits for when its deadline passes.
  enum class phase : uint8_t { none, idle, header, body, write, linger };

  /// Called by the server's sweep (on its own thread) with the time: posts
  /// to this connection what is due, if anything. No timer per request:
  /// one sweep serves every connection.
  void on_sweep(int64_t now) {
    auto d = deadline_.load(std::memory_order_relaxed);
    auto k = keepalive_due_.load(std::memory_order_relaxed);
    bool late = d != 0 && now >= d;
    bool ping = k != 0 && now >= k;
    if (!late && !ping) return;
    net::post(stream_.get_executor(), [self = shared_from_this(), late, ping] {
      if (late) self->on_deadline();
      if (ping) self->on_keepalive();
    });
  }

  void drain() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) {
        self->close();
      } else if (self->sse_) {
        self->finish_stream();
      }
    });
  }

  // -- called through `http_exchange`, on this connection's executor --------

  void fail(uint64_t gen,
            int status,
            std::string body,
            exchange::headers extra) {
    if (closed_ || gen != gen_ || sent_any_) return;
    auto res = make_response(static_cast<http::status>(status));
    for (auto& [k, v] : extra)
      res->set(k, v);
    if (!body.empty()) {
      res->set(http::field::content_type, "application/json");
      res->body() = std::move(body);
    }
    send_whole(std::move(res));
  }

  void reply(uint64_t gen, std::string json, std::string id) {
    if (closed_ || gen != gen_ || done_) return;
    if (sse_ || !id.empty()) {
      queue_event(std::move(id), std::move(json));
      finish_stream();
      return;
    }
    if (sent_any_) return;
    auto res = make_response(http::status::ok);
    res->set(http::field::content_type, "application/json");
    res->body() = std::move(json);
    send_whole(std::move(res));
  }

  void accepted(uint64_t gen) {
    if (closed_ || gen != gen_ || sent_any_) return;
    send_whole(make_response(http::status::accepted));
  }

  void event(uint64_t gen, std::string id, std::string data) {
    if (closed_ || gen != gen_ || done_) return;
    if (sent_any_ && !sse_) return;
    if (id.empty() && data.empty()) {
      if (!sse_) open_stream(); // just the headers: the stream is open
      flush();
      return;
    }
    queue_event(std::move(id), std::move(data));
    flush();
  }

  void end(uint64_t gen) {
    if (closed_ || gen != gen_ || done_) return;
    if (!sse_) {
      if (sent_any_) return;
      open_stream();
    }
    finish_stream();
  }

  void set_session(uint64_t gen, std::string id) {
    if (gen == gen_) session_header_ = std::move(id);
  }

private:
  using response = http::response<http::string_body>;

  std::shared_ptr<response> make_response(http::status status) {
    auto res = std::make_shared<response>(status, 11);
    res->set(http::field::server, "sophia");
    if (!session_header_.empty()) res->set("Mcp-Session-Id", session_header_);
    res->keep_alive(keep_alive_ && !srv_.draining);
    return res;
  }

  static int64_t now_ms() {
    return std::chrono::duration_cast<milliseconds>(
             sclock::now().time_since_epoch())
      .count();
  }

  void set_deadline(phase p, int64_t in_ms) {
    phase_.store(p, std::memory_order_relaxed);
    deadline_.store(p == phase::none ? 0 : now_ms() + in_ms,
                    std::memory_order_relaxed);
  }

  void on_deadline() {
    auto d = deadline_.load(std::memory_order_relaxed);
    if (closed_ || d == 0 || now_ms() < d) return; // moved on meanwhile
    deadline_.store(0, std::memory_order_relaxed);
    beast::error_code ignored;
    switch (phase_.load(std::memory_order_relaxed)) {
      case phase::header:
        // The read completes as cancelled, and the client still gets 408.
        header_late_ = true;
        stream_.socket().cancel(ignored);
        break;
      case phase::write: alive_->store(false); [[fallthrough]];
      default: close(); break;
    }
  }

  void on_keepalive() {
    if (closed_ || !sse_ || done_) return;
    if (pending_.empty() && !writing_) {
      pending_ += keepalive_chunk;
      flush(); // re-arms the keep-alive
    } else {
      arm_keepalive();
    }
  }

  // -- reading: idle, then the header against its own clock, then the body -

  void read_request() {
    if (srv_.draining) {
      close();
      return;
    }
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(srv_.opts.config.max_body_bytes));
    parser_->header_limit(64 * 1024);
    if (buffer_.size() > 0) {
      parse_buffered(); // a pipelined request is here already
      return;
    }
    // Idle keep-alive: wait for the first byte of the next request.
    set_deadline(phase::idle, srv_.opts.config.idle_timeout_ms);
    stream_.async_read_some(
      buffer_.prepare(8192),
      [self = shared_from_this()](beast::error_code ec, size_t n) {
        if (ec) {
          self->close();
          return;
        }
        self->buffer_.commit(n);
        self->parse_buffered();
      });
  }

  /// Parses what has arrived at once (most requests come in one piece),
  /// and reads the rest of the header or body only when it is not there.
  void parse_buffered() {
    beast::error_code ec;
    parser_->eager(true);
    while (buffer_.size() > 0 && !parser_->is_done()) {
      auto n = parser_->put(buffer_.data(), ec);
      buffer_.consume(n);
      if (ec || n == 0) break;
    }
    if (ec == http::error::need_more) ec = {};
    if (ec) {
      on_read_error(ec, !parser_->is_header_done());
    } else if (parser_->is_done()) {
      handle(parser_->release());
    } else if (!parser_->is_header_done()) {
      read_header();
    } else {
      read_body();
    }
  }

  void read_header() {
    // Its own clock from the first byte on, apart from the idle timeout.
    header_late_ = false;
    set_deadline(phase::header, srv_.opts.config.header_timeout_ms);
    http::async_read_header(
      stream_,
      buffer_,
      *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) {
        if (self->header_late_ && (ec || !self->parser_->is_header_done()))
          ec = beast::error::timeout;
        if (ec) {
          self->on_read_error(ec, true);
          return;
        }
        if (self->parser_->is_done()) {
          self->handle(self->parser_->release());
          return;
        }
        self->read_body();
      });
  }

  void read_body() {
    // A body may be large and the client slow: it has the idle timeout.
    set_deadline(phase::body, srv_.opts.config.idle_timeout_ms);
    http::async_read(stream_,
                     buffer_,
                     *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) {
                         self->on_read_error(ec, false);
                         return;
                       }
                       self->handle(self->parser_->release());
                     });
  }

  void on_read_error(beast::error_code ec, bool in_header) {
    if (ec == http::error::body_limit) {
      srv_.counters->too_large.fetch_add(1, std::memory_order_relaxed);
      keep_alive_ = false;
      linger_ = true;
      begin_request();
      auto msg = "Payload Too Large: the request body exceeds " +
                 std::to_string(srv_.opts.config.max_body_bytes) +
                 " bytes (max_body_bytes)";
      fail(gen_, 413, rpc::error("null", rpc::invalid_request, msg), {});
      return;
    }
    if (ec == beast::error::timeout && in_header) {
      // Slow headers: a client trickling bytes must not hold a connection.
      srv_.counters->header_timeouts.fetch_add(1, std::memory_order_relaxed);
      keep_alive_ = false;
      linger_ = true;
      linger_for_ = linger_short;
      begin_request();
      fail(gen_,
           408,
           rpc::error("null",
                      rpc::invalid_request,
                      "Request Timeout: the request header did not arrive "
                      "within " +
                        std::to_string(srv_.opts.config.header_timeout_ms) +
                        " ms (header_timeout_ms)"),
           {});
      return;
    }
    if (ec != http::error::end_of_stream && ec != net::error::eof &&
        ec != beast::error::timeout && ec != net::error::operation_aborted &&
        ec != net::error::connection_reset) {
      // Malformed HTTP: answer 400 once, then hang up.
      keep_alive_ = false;
      linger_ = true;
      begin_request();
      fail(gen_,
           400,
           rpc::error("null",
                      rpc::invalid_request,
                      "Bad Request: malformed HTTP (" + ec.message() + ")"),
           {});
      return;
    }
    close();
  }

  void begin_request() {
    ++gen_;
    busy_ = true;
    sse_ = false;
    sent_any_ = false;
    done_ = false;
    session_header_.clear();
    alive_ = std::make_shared<std::atomic<bool>>(true);
  }

  void handle(http::request<http::string_body> req) {
    begin_request();
    keep_alive_ = req.keep_alive();
    set_deadline(phase::none, 0); // the engine enforces its own deadlines
    const auto& o = srv_.opts;
    if (serve_admin(req)) return;
    http_check_context ctx{ &o.origins, o.keys.get(), fixed_domain_, peer_ };
    auto verdict = check_request(req, ctx);
    if (auto* r = std::get_if<http_rejection>(&verdict)) {
      fail(gen_, r->status, std::move(r->body), std::move(r->headers));
      return;
    }
    auto in = std::get<inbound_ptr>(std::move(verdict));
    in->out = make_exchange();
    if (o.fast && o.fast(in)) return;
    bool is_get = in->what == inbound::verb::get;
    caf::anon_send(srv_.engine, atoms::mcp_in::value, std::move(in));
    // Long-lived streams: notice at once when the client hangs up.
    if (is_get) watch();
  }

  exchange_ptr make_exchange();

  /// GET /metrics (Prometheus text), /healthz and /readyz: answered here,
  /// on the I/O thread, without a session or an API key, as scrapers and
  /// probes expect.
  bool serve_admin(const http::request<http::string_body>& req) {
    if (req.method() != http::verb::get && req.method() != http::verb::head)
      return false;
    auto target = std::string_view{ req.target().data(), req.target().size() };
    target = target.substr(0, target.find('?'));
    std::string body;
    const char* type = "text/plain; charset=utf-8";
    if (target == "/metrics") {
      body = runtime::metrics::registry::global().render();
      type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (target == "/healthz" || target == "/readyz") {
      body = "ok\n";
    } else {
      return false;
    }
    auto res = make_response(http::status::ok);
    res->set(http::field::content_type, type);
    if (req.method() == http::verb::get) res->body() = std::move(body);
    send_whole(std::move(res));
    return true;
  }

  /// While the engine works, notice a client that hangs up (so its streams
  /// are marked gone at once) by reading from the idle socket.
  void watch() {
    stream_.socket().async_wait(
      tcp::socket::wait_read,
      [self = shared_from_this(), gen = gen_](beast::error_code ec) {
        if (ec || gen != self->gen_ || !self->busy_) return;
        // Readable while we answer: EOF (the client left) or a pipelined
        // request, which we read after the answer.
        char c;
        auto n = self->stream_.socket().receive(
          net::buffer(&c, 1), tcp::socket::message_peek, ec);
        if (ec || n == 0) {
          self->alive_->store(false);
          self->close();
        }
      });
  }

  // -- writing ---------------------------------------------------------------

  /// Appends the serialized `res` (only its header with `header_only`) to
  /// the bytes waiting to be written: everything a handler produces leaves
  /// in one write.
  void serialize(response& res, bool header_only) {
    http::response_serializer<http::string_body> sr{ res };
    sr.split(header_only);
    beast::error_code ec;
    auto& out = pending_;
    auto done = [&] {
      return header_only ? sr.is_header_done() : sr.is_done();
    };
    while (!ec && !done())
      sr.next(ec, [&](beast::error_code&, const auto& buffers) {
        auto n = beast::buffer_bytes(buffers);
        auto old = out.size();
        out.resize(old + n);
        net::buffer_copy(net::buffer(&out[old], n), buffers);
        sr.consume(n);
      });
  }

  void send_whole(std::shared_ptr<response> res) {
    sent_any_ = true;
    done_ = true;
    res->prepare_payload();
    if (!res->keep_alive()) keep_alive_ = false;
    serialize(*res, false);
    flush();
  }

  void open_stream() {
    sent_any_ = true;
    sse_ = true;
    srv_.counters->streams.fetch_add(1, std::memory_order_relaxed);
    counted_stream_ = true;
    auto res = make_response(http::status::ok);
    res->set(http::field::content_type, "text/event-stream");
    res->set(http::field::cache_control, "no-cache");
    res->chunked(true);
    serialize(*res, true);
    arm_keepalive();
  }

  void stream_closed() {
    keepalive_due_.store(0, std::memory_order_relaxed);
    if (!counted_stream_) return;
    counted_stream_ = false;
    srv_.counters->streams.fetch_sub(1, std::memory_order_relaxed);
  }

  /// Every `sse_keepalive_ms`, an idle open stream gets a comment line (the
  /// server's sweep says when: see `on_sweep`).
  void arm_keepalive() {
    auto every = srv_.opts.config.sse_keepalive_ms;
    keepalive_due_.store(every > 0 ? now_ms() + every : 0,
                         std::memory_order_relaxed);
  }

  /// Appends one SSE event as one HTTP chunk.
  void queue_event(std::string id, std::string data) {
    if (!sse_) open_stream();
    // A priming event (an id, no data) also tells the client how soon to
    // reconnect when the stream drops.
    bool priming = data.empty() && !id.empty();
    size_t size = data.size() + 8 + (id.empty() ? 0 : id.size() + 5) +
                  (priming ? sizeof(retry_line) - 1 : 0);
    char hex[20];
    auto hex_len = std::snprintf(hex, sizeof(hex), "%zx\r\n", size);
    pending_.append(hex, static_cast<size_t>(hex_len));
    if (!id.empty()) {
      pending_ += "id: ";
      pending_ += id;
      pending_ += '\n';
    }
    if (priming) pending_ += retry_line;
    pending_ += "data: ";
    pending_ += data;
    pending_ += "\n\n\r\n";
  }

  void finish_stream() {
    if (done_) return;
    done_ = true;
    pending_ += "0\r\n\r\n";
    flush();
  }

  /// Tracks the bytes the client has not read yet. A stream whose client
  /// reads too slowly (or not at all) is dropped when the edge is over its
  /// budget for them and the stream holds more than its share: what waits
  /// behind the write in flight (a single large answer is never the cause).
  /// Returns false when it dropped the connection.
  bool account() {
    auto queued = static_cast<int64_t>(pending_.size() + writing_buf_.size());
    auto all = srv_.counters->unsent_bytes.fetch_add(
                 queued - unsent_, std::memory_order_relaxed) +
               (queued - unsent_);
    unsent_ = queued;
    if (!sse_ || pending_.size() <= srv_.stream_share() ||
        all <= srv_.opts.config.replay_budget_bytes)
      return true;
    srv_.counters->slow_streams_dropped.fetch_add(1, std::memory_order_relaxed);
    lg()->warn("dropped an SSE stream of {}: its client does not keep up "
               "({} bytes waiting, over its share of {}, and {} unsent in "
               "all); it may resume with Last-Event-ID",
               peer_,
               pending_.size(),
               srv_.stream_share(),
               all);
    alive_->store(false);
    close();
    return false;
  }

  /// Writes what is pending unless a write is in flight (its completion
  /// writes the rest); after the last byte of an answer, goes on with the
  /// next request.
  void flush() {
    if (closed_) return;
    if (!account()) return;
    if (writing_) return;
    if (pending_.empty()) {
      if (done_ && busy_) after_answer();
      return;
    }
    writing_ = true;
    writing_buf_.swap(pending_);
    pending_.clear();
    if (sse_) arm_keepalive();
    // A client that does not read fails the write only through this.
    set_deadline(phase::write, srv_.opts.config.idle_timeout_ms);
    net::async_write(stream_,
                     net::buffer(writing_buf_),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       self->writing_buf_.clear();
                       if (ec) {
                         self->alive_->store(false);
                         self->close();
                         return;
                       }
                       self->set_deadline(phase::none, 0);
                       self->flush();
                     });
  }

  void after_answer() {
    busy_ = false;
    alive_->store(false);
    if (sse_) stream_closed();
    if (keep_alive_ && !srv_.draining)
      read_request();
    else if (linger_)
      linger();
    else
      close();
  }

  /// Lingering close: the answer is out; stop sending, then read and drop
  /// what the client still sends until it closes (or for a while), so that
  /// its unread data does not make our close a reset that loses the answer.
  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      close();
      return;
    }
    linger_until_ = sclock::now() + linger_for_;
    discard();
  }

  void discard() {
    auto left =
      std::chrono::duration_cast<milliseconds>(linger_until_ - sclock::now());
    if (left.count() <= 0 || discarded_ > linger_max_bytes) {
      close();
      return;
    }
    set_deadline(
      phase::linger,
      std::min<int64_t>(
        left.count(),
        std::chrono::duration_cast<milliseconds>(linger_idle).count()));
    buffer_.consume(buffer_.size());
    stream_.async_read_some(
      buffer_.prepare(65536),
      [self = shared_from_this()](beast::error_code ec, size_t n) {
        if (ec) {
          self->close(); // EOF: the client read the answer and left
          return;
        }
        self->discarded_ += n;
        self->buffer_.commit(n);
        self->discard();
      });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    // The server's table may hold the last reference: keep this one alive
    // to the end of close().
    auto self = shared_from_this();
    {
      std::lock_guard<std::mutex> guard{ srv_.mtx };
      srv_.live.erase(this);
    }
    alive_->store(false);
    stream_closed();
    srv_.counters->unsent_bytes.fetch_sub(unsent_, std::memory_order_relaxed);
    unsent_ = 0;
    srv_.counters->connections.fetch_sub(1, std::memory_order_relaxed);
    deadline_.store(0, std::memory_order_relaxed);
    keepalive_due_.store(0, std::memory_order_relaxed);
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  http_server::impl& srv_;
  std::string fixed_domain_;
  std::string peer_;
  /// What the connection waits for, and until when (steady ms; 0: no
  /// deadline); the server's sweep reads both from its own thread.
  std::atomic<int64_t> deadline_{ 0 };
  std::atomic<phase> phase_{ phase::none };
  /// When the open stream is due a keep-alive comment (0: never).
  std::atomic<int64_t> keepalive_due_{ 0 };
  /// The header deadline passed: the read was cancelled for being too slow.
  bool header_late_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  /// Bytes to write next, and the bytes of the write in flight.
  std::string pending_;
  std::string writing_buf_;
  /// Their sizes as last added to the server's unsent bytes.
  int64_t unsent_ = 0;
  std::string session_header_;
  std::shared_ptr<std::atomic<bool>> alive_ =
    std::make_shared<std::atomic<bool>>(false);
  sclock::time_point linger_until_;
  sclock::duration linger_for_ = linger_total;
  size_t discarded_ = 0;
  uint64_t gen_ = 0;
  bool busy_ = false;
  bool sse_ = false;
  bool counted_stream_ = false;
  bool sent_any_ = false;
  bool done_ = false;
  bool writing_ = false;
  bool keep_alive_ = true;
  bool linger_ = false;
  bool closed_ = false;
};

namespace {

/// The engine's handle on one request of a connection: every call hops to
/// the connection's executor; calls for an earlier request are ignored.
class http_exchange : public exchange {
public:
  http_exchange(std::weak_ptr<connection> c,
                uint64_t gen,
                std::shared_ptr<std::atomic<bool>> alive,
                std::shared_ptr<server_gate> gate)
    : conn_(std::move(c))
    , gen_(gen)
    , alive_(std::move(alive))
    , gate_(std::move(gate)) {}

  void fail(int status, std::string body, headers extra) override {
    post([g = gen_, status, b = std::move(body), h = std::move(extra)](
           connection& c) mutable {
      c.fail(g, status, std::move(b), std::move(h));
    });
  }
  void reply(std::string json) override {
    post([g = gen_, j = std::move(json)](connection& c) mutable {
      c.reply(g, std::move(j), {});
    });
  }
  void reply_event(std::string_view id, std::string json) override {
    post([g = gen_, i = std::string{ id }, j = std::move(json)](
           connection& c) mutable { c.reply(g, std::move(j), std::move(i)); });
  }
  void accepted() override {
    post([g = gen_](connection& c) { c.accepted(g); });
  }
  void event(std::string_view id, std::string data) override {
    post([g = gen_, i = std::string{ id }, d = std::move(data)](
           connection& c) mutable { c.event(g, std::move(i), std::move(d)); });
  }
  void end() override {
    post([g = gen_](connection& c) { c.end(g); });
  }
  void set_session(std::string id) override {
    post([g = gen_, i = std::move(id)](connection& c) mutable {
      c.set_session(g, std::move(i));
    });
  }
  bool alive() const override { return alive_->load(); }
  bool streams() const override { return true; }

private:
  /// Runs `f` on the connection's executor, if the connection is still
  /// open and its server still takes work; else drops it. Everything that
  /// touches the connection or its io_context happens under the gate's
  /// lock (this exchange may be called, and destroyed, long after the
  /// server is gone: it holds nothing of the io_context itself).
  template <class F>
  void post(F f) {
    std::lock_guard<std::mutex> guard{ gate_->mtx };
    if (!gate_->open) return;
    auto c = conn_.lock();
    if (!c) return;
    auto ex = c->executor();
    net::post(ex, [c = std::move(c), f = std::move(f)]() mutable { f(*c); });
  }

  std::weak_ptr<connection> conn_;
  uint64_t gen_;
  std::shared_ptr<std::atomic<bool>> alive_;
  std::shared_ptr<server_gate> gate_;
};

} // namespace

exchange_ptr connection::make_exchange() {
  return std::make_shared<http_exchange>(
    weak_from_this(), gen_, alive_, srv_.gate);
}

std::shared_ptr<connection> start_connection(http_server::impl& srv,
                                             tcp::socket sock,
                                             const std::string& domain) {
  auto c = std::make_shared<connection>(std::move(sock), srv, domain);
  {
    std::lock_guard<std::mutex> guard{ srv.mtx };
    srv.live.emplace(c.get(), c);
  }
  c->start();
  return c;
}

void drain_connection(const std::shared_ptr<connection>& c) {
  c->drain();
}

void sweep_connection(const std::shared_ptr<connection>& c, int64_t now_ms) {
  c->on_sweep(now_ms);
}

} // namespace sophia::actors::edge
