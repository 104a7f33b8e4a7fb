#include "actors/edge/http_server.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <caf/all.hpp>

#include "actors/edge/edge_actor.hpp"
#include "actors/edge/exchange.hpp"
#include "actors/edge/jsonrpc.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"

namespace sophia::actors::edge {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
namespace rpc = jsonrpc;

namespace {

constexpr std::string_view supported_versions[] = { "2025-11-25",
                                                    "2025-06-18",
                                                    "2025-03-26",
                                                    "2024-11-05" };

constexpr std::string_view domains[] = { "ai_intelligence",
                                         "data_intelligence",
                                         "infrastructure_intelligence",
                                         "business_intelligence" };

/// SSE `retry` field of priming events: reconnect after a second.
constexpr char retry_line[] = "retry: 1000\n";

std::shared_ptr<spdlog::logger> lg() {
  static auto x = runtime::log::get("edge.http");
  return x;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

/// Whether an Accept header admits `type` (`text/event-stream`), directly or
/// through `text/*` or `*/*`.
bool accepts(std::string_view accept, std::string_view type) {
  if (accept.empty()) return false;
  auto slash = type.find('/');
  auto major = std::string{ type.substr(0, slash) } + "/*";
  size_t pos = 0;
  while (pos <= accept.size()) {
    auto comma = accept.find(',', pos);
    auto item = accept.substr(
      pos,
      comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    auto semi = item.find(';');
    item = item.substr(0, semi);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (iequals(item, type) || iequals(item, major) || item == "*/*")
      return true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

} // namespace

class connection;

/// Shared by the listeners and connections of one server.
struct http_server::impl {
  caf::actor engine;
  http_options opts;
  net::io_context ioc;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::string> acceptor_domains;
  std::vector<uint16_t> ports;
  std::vector<std::thread> threads;
  std::mutex mtx;
  std::set<std::weak_ptr<connection>, std::owner_less<>> live;
  /// Sockets not closed yet (drain waits for them).
  std::atomic<int> open{ 0 };
  std::atomic<bool> draining{ false };
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;

  void accept(size_t i);
};

/// One TCP connection: reads requests one at a time (HTTP/1.1 keep-alive)
/// and writes the answer the engine produces through its `exchange`.
class connection : public std::enable_shared_from_this<connection> {
public:
  connection(tcp::socket sock, http_server::impl& srv, std::string domain)
    : stream_(std::move(sock))
    , srv_(srv)
    , fixed_domain_(std::move(domain)) {
    ++srv_.open;
  }

  void start() { read(); }

  /// Server shutdown: idle connections close now, SSE streams end, answers
  /// in progress finish first.
  void drain() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->draining_ = true;
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
    if (gen != gen_ || sent_any_) return;
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
    if (gen != gen_ || done_) return;
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
    if (gen != gen_ || sent_any_) return;
    send_whole(make_response(http::status::accepted));
  }

  void event(uint64_t gen, std::string id, std::string data) {
    if (gen != gen_ || done_) return;
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
    if (gen != gen_ || done_) return;
    if (!sse_) {
      if (sent_any_) return;
      open_stream();
    }
    finish_stream();
  }

  void set_session(uint64_t gen, std::string id) {
    if (gen == gen_) session_header_ = std::move(id);
  }

  std::atomic<bool>& alive_flag() { return *alive_; }

private:
  using response = http::response<http::string_body>;

  std::shared_ptr<response> make_response(http::status status) {
    auto res = std::make_shared<response>(status, 11);
    res->set(http::field::server, "sophia");
    if (!session_header_.empty()) res->set("Mcp-Session-Id", session_header_);
    res->keep_alive(keep_alive_ && !srv_.draining);
    return res;
  }

  void read() {
    if (srv_.draining) {
      close();
      return;
    }
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(srv_.opts.config.max_body_bytes));
    parser_->header_limit(64 * 1024);
    stream_.expires_after(
      std::chrono::milliseconds{ srv_.opts.config.idle_timeout_ms });
    http::async_read(stream_,
                     buffer_,
                     *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      begin_request();
      auto msg = "Payload Too Large: the request body exceeds " +
                 std::to_string(srv_.opts.config.max_body_bytes) + " bytes";
      fail(gen_, 413, rpc::error("null", rpc::invalid_request, msg), {});
      return;
    }
    if (ec) {
      if (ec != http::error::end_of_stream && ec != net::error::eof &&
          ec != beast::error::timeout && ec != net::error::operation_aborted &&
          ec != net::error::connection_reset) {
        // Malformed HTTP: answer 400 once, then hang up.
        keep_alive_ = false;
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
      return;
    }
    handle(parser_->release());
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
    stream_.expires_never(); // the engine enforces its own deadlines
    auto reject = [&](int status, std::string text, exchange::headers h = {}) {
      fail(gen_,
           status,
           rpc::error("null",
                      status == 404 && text.starts_with("Session")
                        ? rpc::session_not_found
                        : rpc::server_error,
                      text),
           std::move(h));
    };
    // Route: /mcp, /mcp/DOMAIN (query strings are ignored).
    auto target = std::string_view{ req.target().data(), req.target().size() };
    target = target.substr(0, target.find('?'));
    std::string domain = fixed_domain_;
    if (target == "/mcp" || target == "/mcp/") {
    } else if (target.starts_with("/mcp/") && fixed_domain_.empty() &&
               std::find(std::begin(domains),
                         std::end(domains),
                         target.substr(5)) != std::end(domains)) {
      domain = std::string{ target.substr(5) };
    } else {
      return reject(404,
                    "Not Found: MCP is served at /mcp and /mcp/DOMAIN "
                    "(ai_intelligence, data_intelligence, "
                    "infrastructure_intelligence, business_intelligence)");
    }
    // DNS-rebinding protection before anything else.
    auto host = req[http::field::host];
    if (!host_allowed(srv_.opts.origins, { host.data(), host.size() }))
      return reject(
        403, "Forbidden: Host '" + std::string{ host } + "' is not allowed");
    auto origin = req[http::field::origin];
    if (!origin_allowed(srv_.opts.origins, { origin.data(), origin.size() }))
      return reject(403,
                    "Forbidden: Origin '" + std::string{ origin } +
                      "' is not allowed");
    auto in = std::make_shared<inbound>();
    if (srv_.opts.keys && !srv_.opts.keys->empty()) {
      auto auth = req[http::field::authorization];
      const auto* key =
        srv_.opts.keys->authenticate({ auth.data(), auth.size() });
      if (key == nullptr)
        return reject(
          401,
          auth.empty() ? "Unauthorized: an API key is required "
                         "(Authorization: Bearer KEY)"
                       : "Unauthorized: the API key is not valid",
          { { "WWW-Authenticate",
              auth.empty()
                ? R"(Bearer realm="sophia")"
                : R"(Bearer realm="sophia", error="invalid_token")" } });
      in->key = std::make_shared<
        const std::pair<std::string, std::vector<std::string>>>(key->name,
                                                                key->tools);
    }
    auto version = req["MCP-Protocol-Version"];
    if (!version.empty() &&
        std::find(std::begin(supported_versions),
                  std::end(supported_versions),
                  std::string_view{ version.data(), version.size() }) ==
          std::end(supported_versions))
      return reject(
        400,
        "Bad Request: Unsupported protocol version: " + std::string{ version } +
          " (supported versions: 2025-11-25, 2025-06-18, "
          "2025-03-26, 2024-11-05)");
    in->protocol_version = std::string{ version };
    in->session = std::string{ req["Mcp-Session-Id"] };
    in->domain = std::move(domain);
    auto accept = req[http::field::accept];
    std::string_view acc{ accept.data(), accept.size() };
    switch (req.method()) {
      case http::verb::post: {
        if (!accepts(acc, "application/json") ||
            !accepts(acc, "text/event-stream"))
          return reject(406,
                        "Not Acceptable: Client must accept both "
                        "application/json and text/event-stream");
        auto ct = req[http::field::content_type];
        auto media = std::string_view{ ct.data(), ct.size() };
        media = media.substr(0, media.find(';'));
        while (!media.empty() && media.back() == ' ')
          media.remove_suffix(1);
        if (!iequals(media, "application/json"))
          return reject(415,
                        "Unsupported Media Type: Content-Type must be "
                        "application/json");
        auto body = nlohmann::json::parse(req.body(), nullptr, false);
        if (body.is_discarded())
          return fail(gen_,
                      400,
                      rpc::error("null",
                                 rpc::parse_error,
                                 "Parse error: the body is not valid JSON"),
                      {});
        if (body.is_array())
          return fail(gen_,
                      400,
                      rpc::error("null",
                                 rpc::invalid_request,
                                 "Invalid Request: JSON-RPC batches are not "
                                 "supported; send one message per request"),
                      {});
        in->what = inbound::verb::post;
        in->body = std::move(body);
        break;
      }
      case http::verb::get:
        if (!accepts(acc, "text/event-stream"))
          return reject(406,
                        "Not Acceptable: Client must accept "
                        "text/event-stream");
        in->what = inbound::verb::get;
        in->last_event_id = std::string{ req["Last-Event-ID"] };
        break;
      case http::verb::delete_: in->what = inbound::verb::del; break;
      default:
        return reject(405,
                      "Method Not Allowed: use POST, GET or DELETE",
                      { { "Allow", "GET, POST, DELETE" } });
    }
    in->out = make_exchange();
    if (srv_.opts.fast && srv_.opts.fast(in)) return;
    bool is_get = in->what == inbound::verb::get;
    caf::anon_send(srv_.engine, atoms::mcp_in::value, std::move(in));
    // Long-lived streams: notice at once when the client hangs up.
    if (is_get) watch();
  }

  exchange_ptr make_exchange();

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
    auto res = make_response(http::status::ok);
    res->set(http::field::content_type, "text/event-stream");
    res->set(http::field::cache_control, "no-cache");
    res->chunked(true);
    serialize(*res, true);
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

  /// Writes what is pending unless a write is in flight (its completion
  /// writes the rest); after the last byte of an answer, goes on with the
  /// next request.
  void flush() {
    if (writing_) return;
    if (pending_.empty()) {
      if (done_ && busy_) after_answer();
      return;
    }
    writing_ = true;
    writing_buf_.swap(pending_);
    pending_.clear();
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
                       self->flush();
                     });
  }

  void after_answer() {
    busy_ = false;
    alive_->store(false);
    if (keep_alive_ && !srv_.draining)
      read();
    else
      close();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    --srv_.open;
    alive_->store(false);
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  http_server::impl& srv_;
  std::string fixed_domain_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  /// Bytes to write next, and the bytes of the write in flight.
  std::string pending_;
  std::string writing_buf_;
  std::string session_header_;
  std::shared_ptr<std::atomic<bool>> alive_ =
    std::make_shared<std::atomic<bool>>(false);
  uint64_t gen_ = 0;
  bool busy_ = false;
  bool sse_ = false;
  bool sent_any_ = false;
  bool done_ = false;
  bool writing_ = false;
  bool keep_alive_ = true;
  bool closed_ = false;
  bool draining_ = false;
};

/// The engine's handle on one request of a connection: every call hops to
/// the connection's executor; calls for an earlier request are ignored.
class http_exchange : public exchange {
public:
  http_exchange(std::shared_ptr<connection> c,
                uint64_t gen,
                std::shared_ptr<std::atomic<bool>> alive,
                net::any_io_executor ex)
    : conn_(std::move(c))
    , gen_(gen)
    , alive_(std::move(alive))
    , ex_(std::move(ex)) {}

  void fail(int status, std::string body, headers extra) override {
    net::post(ex_,
              [c = conn_,
               g = gen_,
               status,
               b = std::move(body),
               h = std::move(extra)]() mutable {
                c->fail(g, status, std::move(b), std::move(h));
              });
  }
  void reply(std::string json) override {
    net::post(ex_, [c = conn_, g = gen_, j = std::move(json)]() mutable {
      c->reply(g, std::move(j), {});
    });
  }
  void reply_event(std::string_view id, std::string json) override {
    net::post(ex_,
              [c = conn_,
               g = gen_,
               i = std::string{ id },
               j = std::move(json)]() mutable {
                c->reply(g, std::move(j), std::move(i));
              });
  }
  void accepted() override {
    net::post(ex_, [c = conn_, g = gen_] { c->accepted(g); });
  }
  void event(std::string_view id, std::string data) override {
    net::post(ex_,
              [c = conn_,
               g = gen_,
               i = std::string{ id },
               d = std::move(data)]() mutable {
                c->event(g, std::move(i), std::move(d));
              });
  }
  void end() override {
    net::post(ex_, [c = conn_, g = gen_] { c->end(g); });
  }
  void set_session(std::string id) override {
    net::post(ex_, [c = conn_, g = gen_, i = std::move(id)]() mutable {
      c->set_session(g, std::move(i));
    });
  }
  bool alive() const override { return alive_->load(); }
  bool streams() const override { return true; }

private:
  std::shared_ptr<connection> conn_;
  uint64_t gen_;
  std::shared_ptr<std::atomic<bool>> alive_;
  net::any_io_executor ex_;
};

exchange_ptr connection::make_exchange() {
  return std::make_shared<http_exchange>(
    shared_from_this(), gen_, alive_, stream_.get_executor());
}

void http_server::impl::accept(size_t i) {
  acceptors[i]->async_accept(
    net::make_strand(ioc), [this, i](beast::error_code ec, tcp::socket sock) {
      if (ec) {
        if (ec == net::error::operation_aborted) return;
        lg()->warn("accept failed: {}", ec.message());
      } else {
        beast::error_code ignored;
        sock.set_option(tcp::no_delay{ true }, ignored);
        auto c = std::make_shared<connection>(
          std::move(sock), *this, acceptor_domains[i]);
        {
          std::lock_guard<std::mutex> guard{ mtx };
          // Forget connections that are gone (cheap: weak pointers).
          for (auto j = live.begin(); j != live.end();)
            j = j->expired() ? live.erase(j) : std::next(j);
          live.insert(c);
        }
        c->start();
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
  auto& cfg = p->opts.config;
  std::vector<std::pair<uint16_t, std::string>> binds{
    { port != 0 ? port : cfg.port, "" },
  };
  std::pair<uint16_t, const char*> extra[] = {
    { cfg.ai_intelligence_port, "ai_intelligence" },
    { cfg.data_intelligence_port, "data_intelligence" },
    { cfg.infrastructure_intelligence_port, "infrastructure_intelligence" },
    { cfg.business_intelligence_port, "business_intelligence" },
  };
  for (auto& [x, d] : extra)
    if (x != 0) binds.emplace_back(x, d);
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
    p->acceptor_domains.push_back(d);
  }
  for (size_t i = 0; i < p->acceptors.size(); ++i)
    p->accept(i);
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
    for (auto& a : p.acceptors) {
      beast::error_code ec;
      a->close(ec);
    }
  });
  std::vector<std::shared_ptr<connection>> conns;
  {
    std::lock_guard<std::mutex> guard{ p.mtx };
    for (auto& w : p.live)
      if (auto c = w.lock()) conns.push_back(std::move(c));
  }
  for (auto& c : conns)
    c->drain();
  conns.clear();
  auto until = std::chrono::steady_clock::now() + drain;
  while (std::chrono::steady_clock::now() < until) {
    if (p.open.load() == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{ 10 });
  }
  p.work.reset();
  p.ioc.stop();
  for (auto& t : p.threads)
    t.join();
  p.threads.clear();
}

} // namespace sophia::actors::edge
