#include <doctest/doctest.h>

#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "actors/edge/auth.hpp"
#include "actors/edge/http_checks.hpp"

using namespace sophia::actors::edge;
namespace http = boost::beast::http;
using request = http::request<http::string_body>;

namespace {

constexpr const char* ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";

request post(std::string body = ping, std::string target = "/mcp") {
  request r{ http::verb::post, target, 11 };
  r.set(http::field::host, "127.0.0.1:8080");
  r.set(http::field::accept, "application/json, text/event-stream");
  r.set(http::field::content_type, "application/json");
  r.body() = std::move(body);
  r.prepare_payload();
  return r;
}

struct checks {
  origin_policy origins = default_policy("127.0.0.1");
  key_ring keys;
  std::string port_domain;

  http_verdict operator()(const request& r) {
    return check_request(r, { &origins, &keys, port_domain, "10.1.2.3" });
  }

  /// The status of a rejection (0: accepted) and its error message.
  std::pair<int, std::string> status(const request& r) {
    auto v = (*this)(r);
    if (auto* x = std::get_if<http_rejection>(&v))
      return {
        x->status,
        nlohmann::json::parse(x->body)["error"]["message"].get<std::string>()
      };
    return { 0, {} };
  }
};

} // namespace

TEST_CASE("a good POST becomes an inbound with what the headers say") {
  checks c;
  auto r = post();
  r.set("Mcp-Session-Id", "abc");
  r.set("MCP-Protocol-Version", "2025-03-26");
  auto v = c(r);
  REQUIRE(std::holds_alternative<inbound_ptr>(v));
  auto in = std::get<inbound_ptr>(v);
  CHECK(in->what == inbound::verb::post);
  CHECK(in->session == "abc");
  CHECK(in->protocol_version == "2025-03-26");
  CHECK(in->client == "ip:10.1.2.3");
  CHECK(in->domain.empty());
  CHECK(in->body["method"] == "ping");
  // Batches pass: whether they are allowed is the session's business.
  CHECK(std::holds_alternative<inbound_ptr>(c(post("[1,2]"))));
}

TEST_CASE("paths: /mcp, /mcp/DOMAIN, and a domain port's own") {
  checks c;
  auto in = std::get<inbound_ptr>(c(post(ping, "/mcp/data_intelligence?x=1")));
  CHECK(in->domain == "data_intelligence");
  CHECK(c.status(post(ping, "/mcp/marketing")).first == 404);
  CHECK(c.status(post(ping, "/other")).first == 404);
  c.port_domain = "ai_intelligence";
  auto own = std::get<inbound_ptr>(c(post(ping, "/mcp")));
  CHECK(own->domain == "ai_intelligence");
  // A domain port serves only its domain.
  CHECK(c.status(post(ping, "/mcp/data_intelligence")).first == 404);
}

TEST_CASE("Host and Origin outside the allow-list get 403") {
  checks c;
  auto r = post();
  r.set(http::field::host, "evil.example");
  CHECK(c.status(r) ==
        std::pair<int, std::string>{ 403,
                                     "Forbidden: Host 'evil.example' is not "
                                     "allowed" });
  auto o = post();
  o.set(http::field::origin, "http://evil.example");
  CHECK(c.status(o).first == 403);
  o.set(http::field::origin, "http://localhost:3000");
  CHECK(c.status(o).first == 0);
}

TEST_CASE("with keys, a request needs one and names the client by it") {
  checks c;
  c.keys.add("ops", sha256_hex("s3cret"), { "*" });
  auto none = c(post());
  auto* r = std::get_if<http_rejection>(&none);
  REQUIRE(r != nullptr);
  CHECK(r->status == 401);
  REQUIRE(r->headers.size() == 1);
  CHECK(r->headers[0].first == "WWW-Authenticate");
  auto bad = post();
  bad.set(http::field::authorization, "Bearer nope");
  CHECK(c.status(bad).first == 401);
  auto good = post();
  good.set(http::field::authorization, "Bearer s3cret");
  auto in = std::get<inbound_ptr>(c(good));
  CHECK(in->client == "key:ops");
  REQUIRE(in->key);
  CHECK(in->key->first == "ops");
}

TEST_CASE("version, method, Accept, Content-Type and JSON are checked") {
  checks c;
  auto v = post();
  v.set("MCP-Protocol-Version", "1999-01-01");
  auto [status, msg] = c.status(v);
  CHECK(status == 400);
  CHECK(msg.find("2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05") !=
        std::string::npos);
  auto a = post();
  a.set(http::field::accept, "application/json");
  CHECK(c.status(a).first == 406);
  a.set(http::field::accept, "*/*");
  CHECK(c.status(a).first == 0);
  auto t = post();
  t.set(http::field::content_type, "text/plain");
  CHECK(c.status(t).first == 415);
  t.set(http::field::content_type, "Application/JSON; charset=utf-8");
  CHECK(c.status(t).first == 0);
  CHECK(c.status(post("{nope")).first == 400);
  request put{ http::verb::put, "/mcp", 11 };
  put.set(http::field::host, "127.0.0.1");
  auto p = c(put);
  auto* rej = std::get_if<http_rejection>(&p);
  REQUIRE(rej != nullptr);
  CHECK(rej->status == 405);
  request get{ http::verb::get, "/mcp", 11 };
  get.set(http::field::host, "127.0.0.1");
  CHECK(c.status(get).first == 406);
  get.set(http::field::accept, "text/event-stream");
  get.set("Last-Event-ID", "3-4");
  auto g = std::get<inbound_ptr>(c(get));
  CHECK(g->what == inbound::verb::get);
  CHECK(g->last_event_id == "3-4");
}

TEST_CASE("accepts reads media ranges") {
  CHECK(accepts("text/event-stream", "text/event-stream"));
  CHECK(accepts("text/*;q=0.5, application/json", "text/event-stream"));
  CHECK(accepts(" */* ", "application/json"));
  CHECK_FALSE(accepts("", "application/json"));
  CHECK_FALSE(accepts("application/jsonx", "application/json"));
}
