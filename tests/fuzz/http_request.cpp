// The edge's HTTP request checks: raw bytes through Beast's parser (with the
// edge's limits) and, for a whole request, `check_request`, behind a key
// ring and on the MCP port or a domain port (the first byte picks).
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include "actors/edge/auth.hpp"
#include "actors/edge/http_checks.hpp"
#include "actors/edge/jsonrpc.hpp"
#include "tests/fuzz/fuzz_target.hpp"

using namespace sophia::actors::edge;
namespace http = boost::beast::http;

SOPHIA_FUZZ_TARGET(http_request) {
  if (size == 0) return 0;
  static const auto origins = default_policy("127.0.0.1");
  static const auto keys = [] {
    key_ring r;
    r.add("ops", sha256_hex("s3cret"), { "sophia.*" });
    return r;
  }();
  static const key_ring no_keys;
  auto mode = data[0];
  http::request_parser<http::string_body> p;
  p.header_limit(64 * 1024);
  p.body_limit(1 << 20);
  p.eager(true);
  boost::beast::error_code ec;
  // Fed in two pieces, as bytes arrive from a socket: on need_more the
  // parser wants what it has not consumed again, with more after it.
  size_t pos = 1;
  for (size_t avail : { 1 + (size - 1) / 2, size }) {
    while (pos < avail && !p.is_done()) {
      auto n = p.put(boost::asio::buffer(data + pos, avail - pos), ec);
      if (ec == http::error::need_more) {
        ec = {};
        break;
      }
      if (ec) return 0;
      if (n == 0) break;
      pos += n;
    }
  }
  if (!p.is_done()) return 0;
  auto req = p.release();
  http_check_context ctx{ &origins,
                          (mode & 1) ? &keys : &no_keys,
                          (mode & 2) ? "data_intelligence" : "",
                          "10.0.0.1" };
  auto v = check_request(req, ctx);
  if (auto* r = std::get_if<http_rejection>(&v)) {
    SOPHIA_FUZZ_CHECK(r->status >= 400 && r->status < 600);
    auto body = nlohmann::json::parse(r->body, nullptr, false);
    SOPHIA_FUZZ_CHECK(body.is_object() && body.contains("error"));
  } else {
    auto& in = std::get<inbound_ptr>(v);
    SOPHIA_FUZZ_CHECK(in != nullptr);
    SOPHIA_FUZZ_CHECK(!in->client.empty());
  }
  return 0;
}
