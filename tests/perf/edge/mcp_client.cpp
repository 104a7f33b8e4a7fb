#include "tests/perf/edge/mcp_client.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sophia::bench::mcp {

using asio::use_awaitable;

endpoint parse_url(const std::string& url) {
  endpoint o;
  o.url = url;
  auto bad = [&](const std::string& why) {
    return std::invalid_argument("'" + url + "' " + why);
  };
  const std::string scheme = "http://";
  if (url.rfind("https://", 0) == 0)
    throw bad("(https is not supported; use http://)");
  if (url.rfind(scheme, 0) != 0)
    throw bad("(expected http://HOST[:PORT]/PATH)");
  auto rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  o.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.empty()) throw bad("(no host)");
  o.host_header = authority;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) throw bad("(unclosed [)");
    o.host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw bad("(expected :PORT after ])");
      o.port = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    o.host = authority.substr(0, colon);
    if (colon != std::string::npos) o.port = authority.substr(colon + 1);
  }
  unsigned p = 0;
  auto [end, ec] =
    std::from_chars(o.port.data(), o.port.data() + o.port.size(), p);
  if (o.port.empty() || ec != std::errc{} ||
      end != o.port.data() + o.port.size() || p == 0 || p > 65535)
    throw bad("(port out of range)");
  return o;
}

// -- /proc and rusage ---------------------------------------------------------

double proc_cpu_us(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)),
                std::istreambuf_iterator<char>());
  auto close = s.rfind(')');
  if (close == std::string::npos) return -1;
  // Fields after the command: state(3) ... utime(14) stime(15).
  std::vector<std::string> f;
  size_t pos = close + 2;
  while (pos < s.size() && f.size() < 13) {
    auto sp = s.find(' ', pos);
    f.push_back(s.substr(pos, sp - pos));
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  if (f.size() < 13) return -1;
  double ticks =
    std::strtod(f[11].c_str(), nullptr) + std::strtod(f[12].c_str(), nullptr);
  return ticks * 1e6 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double proc_rss_mb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  return -1;
}

double self_cpu_us() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto us = [](const timeval& t) { return t.tv_sec * 1e6 + t.tv_usec; };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

// -- SSE ----------------------------------------------------------------------

void sse_parser::feed(const char* p, size_t n) {
  line_.append(p, n);
  size_t start = 0;
  for (;;) {
    auto nl = line_.find('\n', start);
    if (nl == std::string::npos) break;
    auto end = nl;
    if (end > start && line_[end - 1] == '\r') --end;
    field(std::string_view(line_).substr(start, end - start));
    start = nl + 1;
  }
  line_.erase(0, start);
}

void sse_parser::finish() {
  if (!line_.empty()) {
    auto l = line_;
    line_.clear();
    if (!l.empty() && l.back() == '\r') l.pop_back();
    field(l);
  }
  field({});
}

void sse_parser::field(std::string_view l) {
  if (l.empty()) {
    if (has_data_) on_event_(data_);
    data_.clear();
    has_data_ = false;
    return;
  }
  if (l.rfind("data:", 0) == 0) {
    auto v = l.substr(5);
    if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    if (has_data_) data_ += '\n';
    data_.append(v);
    has_data_ = true;
  }
  // id:, event:, retry: and comments carry nothing this client needs.
}

// -- one HTTP exchange --------------------------------------------------------

constexpr size_t body_cap = 1 << 20;

awaitable<reply> roundtrip(connection& c,
                           std::optional<uint64_t> want_id,
                           beast::error_code& ec) {
  reply r;
  c.busy = true;
  c.timed_out = false;
  c.busy_since = sclock::now();
  co_await http::async_write(
    c.sock, c.req, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    c.busy = false;
    co_return r;
  }
  http::response_parser<http::buffer_body> p;
  // Not boost::none: 1.74 compares a Content-Length against an empty limit.
  p.body_limit(std::uint64_t{ 1 } << 32);
  co_await http::async_read_header(
    c.sock, c.buf, p, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    c.busy = false;
    co_return r;
  }
  auto& h = p.get();
  r.status = h.result_int();
  r.content_type = std::string(h[http::field::content_type]);
  r.session_id = std::string(h["Mcp-Session-Id"]);
  std::string ct = r.content_type;
  std::transform(ct.begin(), ct.end(), ct.begin(), [](unsigned char ch) {
    return std::tolower(ch);
  });
  bool sse = ct.rfind("text/event-stream", 0) == 0;

  sse_parser events([&](std::string& data) {
    if (r.message || data.empty()) return; // an empty event primes the stream
    auto j = json::parse(data, nullptr, false);
    if (j.is_discarded()) {
      if (r.problem.empty())
        r.problem = "an SSE event is not JSON: " + data.substr(0, 200);
      return;
    }
    if (want_id && j.is_object() && j.contains("id") &&
        j["id"].is_number_integer() && j["id"].get<uint64_t>() == *want_id &&
        (j.contains("result") || j.contains("error"))) {
      r.message = std::move(j);
      r.at = sclock::now();
    }
  });

  char chunk[16384];
  while (!p.is_done()) {
    p.get().body().data = chunk;
    p.get().body().size = sizeof chunk;
    co_await http::async_read_some(
      c.sock, c.buf, p, asio::redirect_error(use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      c.busy = false;
      co_return r;
    }
    size_t n = sizeof chunk - p.get().body().size;
    if (n == 0) continue;
    if (r.body.size() < body_cap)
      r.body.append(chunk, std::min(n, body_cap - r.body.size()));
    if (sse && r.status / 100 == 2) events.feed(chunk, n);
  }
  c.busy = false;
  r.keep_alive = p.keep_alive();
  if (sse && r.status / 100 == 2) {
    events.finish();
  } else if (want_id && r.status / 100 == 2 && !r.body.empty()) {
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_discarded())
      r.problem = "the body is not JSON";
    else if (j.is_object() && j.contains("id") && j["id"].is_number_integer() &&
             j["id"].get<uint64_t>() == *want_id) {
      r.message = std::move(j);
      r.at = sclock::now();
    }
  }
  if (!r.message) r.at = sclock::now();
  co_return r;
}

std::string describe(const reply& r) {
  std::string s = "HTTP " + std::to_string(r.status);
  if (!r.content_type.empty()) s += " (" + r.content_type + ")";
  if (!r.problem.empty()) s += ": " + r.problem;
  s += "; body: " + r.body.substr(0, 2000);
  return s;
}

http::request<http::string_body> base_request(const endpoint& ep,
                                              http::verb v,
                                              bool in_session) {
  http::request<http::string_body> req{ v, ep.target, 11 };
  req.set(http::field::host, ep.host_header);
  req.set(http::field::user_agent, "sophia-mcp-load");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, "application/json, text/event-stream");
  // The session header is set per connection (set_session).
  if (in_session) req.set("MCP-Protocol-Version", protocol_version);
  for (auto& [k, val] : ep.headers)
    req.set(k, val);
  return req;
}

void set_session(connection& c) {
  if (!c.session_id.empty())
    c.req.set("Mcp-Session-Id", c.session_id);
  else
    c.req.erase("Mcp-Session-Id");
}

awaitable<bool> open(connection& c,
                     const tcp::resolver::results_type& to,
                     const endpoint& ep,
                     std::string& error) {
  beast::error_code ec;
  if (c.sock.is_open()) {
    beast::error_code ignored;
    c.sock.close(ignored);
  }
  c.buf.consume(c.buf.size());
  co_await asio::async_connect(
    c.sock, to, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    error = "connect to " + ep.host_header + ": " + ec.message();
    co_return false;
  }
  c.sock.set_option(tcp::no_delay(true), ec);
  c.open = true;
  co_return true;
}

awaitable<bool> initialize(connection& c,
                           const tcp::resolver::results_type& to,
                           const endpoint& ep,
                           const std::string& client_name,
                           std::string& error) {
  json init = {
    { "jsonrpc", "2.0" },
    { "id", 0 },
    { "method", "initialize" },
    { "params",
      { { "protocolVersion", protocol_version },
        { "capabilities", json::object() },
        { "clientInfo",
          { { "name", client_name }, { "version", "0.1.0" } } } } }
  };
  c.req = base_request(ep, http::verb::post, false);
  c.req.body() = init.dump();
  c.req.prepare_payload();
  beast::error_code ec;
  auto r = co_await roundtrip(c, 0, ec);
  if (ec) {
    error = "initialize: " + ec.message();
    co_return false;
  }
  if (r.status != 200 || !r.message || !(*r.message).contains("result")) {
    error = "initialize: " + describe(r);
    co_return false;
  }
  c.session_id = r.session_id;
  if (!r.keep_alive && !co_await open(c, to, ep, error)) co_return false;

  c.req = base_request(ep, http::verb::post, true);
  set_session(c);
  c.req.body() = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";
  c.req.prepare_payload();
  r = co_await roundtrip(c, std::nullopt, ec);
  if (ec) {
    error = "notifications/initialized: " + ec.message();
    co_return false;
  }
  if (r.status != 202) {
    error = "notifications/initialized: expected HTTP 202, got " + describe(r);
    co_return false;
  }
  if (!r.keep_alive && !co_await open(c, to, ep, error)) co_return false;
  // From here on only the body and the id change.
  c.req = base_request(ep, http::verb::post, true);
  set_session(c);
  co_return true;
}

awaitable<void> end_session(connection& c, const endpoint& ep) {
  if (!c.session_id.empty() && c.open) {
    c.req = base_request(ep, http::verb::delete_, true);
    set_session(c);
    c.req.body().clear();
    c.req.prepare_payload();
    beast::error_code ec;
    co_await roundtrip(c, std::nullopt, ec);
  }
  c.session_id.clear();
}

} // namespace sophia::bench::mcp
