// The metrics registry's exposition format and the admin endpoint, with
// plain sockets as a scraper would connect.

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/error.hpp"
#include "runtime/metrics/admin_server.hpp"
#include "runtime/metrics/families.hpp"
#include "runtime/metrics/registry.hpp"

using namespace sophia::runtime::metrics;

namespace {

/// One HTTP/1.1 exchange with 127.0.0.1:port; returns the whole response.
std::string fetch(uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  if (!request.empty()) REQUIRE(::send(fd, request.data(), request.size(), 0) > 0);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

} // namespace

TEST_CASE("counters, gauges and histograms render as Prometheus text") {
  registry r;
  r.declare("t_calls_total", kind::counter, "Calls.\nSecond line \\ here.");
  r.declare("t_gauge", kind::gauge, "A gauge.");
  r.declare("t_seconds", kind::histogram, "Latency.", { 0.1, 1 });
  r.add("t_calls_total", { { "tool", "a\"b" }, { "outcome", "ok" } });
  r.add("t_calls_total", { { "tool", "a\"b" }, { "outcome", "ok" } }, 2);
  r.set("t_gauge", {}, 3.5);
  r.observe("t_seconds", { { "tool", "x" } }, 0.05);
  r.observe("t_seconds", { { "tool", "x" } }, 0.5);
  r.observe("t_seconds", { { "tool", "x" } }, 5);
  r.add("undeclared_total", {}); // ignored, never a crash
  CHECK(r.value("t_calls_total", { { "tool", "a\"b" }, { "outcome", "ok" } }) == 3);
  auto text = r.render();
  INFO(text);
  CHECK(text.find("# HELP t_calls_total Calls.\\nSecond line \\\\ here.\n") != std::string::npos);
  CHECK(text.find("# TYPE t_calls_total counter\n") != std::string::npos);
  CHECK(text.find("t_calls_total{tool=\"a\\\"b\",outcome=\"ok\"} 3\n") != std::string::npos);
  CHECK(text.find("t_gauge 3.5\n") != std::string::npos);
  CHECK(text.find("t_seconds_bucket{tool=\"x\",le=\"0.10000000000000001\"} 1\n") != std::string::npos);
  CHECK(text.find("t_seconds_bucket{tool=\"x\",le=\"1\"} 2\n") != std::string::npos);
  CHECK(text.find("t_seconds_bucket{tool=\"x\",le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("t_seconds_count{tool=\"x\"} 3\n") != std::string::npos);
  CHECK(text.find("undeclared") == std::string::npos);
}

TEST_CASE("a handle updates the same series as a lookup by labels") {
  registry r;
  r.declare("h_total", kind::counter, "Counted.");
  r.declare("h_gauge", kind::gauge, "Set.");
  r.declare("h_seconds", kind::histogram, "Timed.", { 0.1, 1 });
  auto c = r.series_of("h_total", { { "service", "x" } });
  auto g = r.series_of("h_gauge", { { "service", "x" } });
  auto h = r.series_of("h_seconds", { { "service", "x" } });
  REQUIRE(c);
  c.add();
  c.add(2);
  r.add("h_total", { { "service", "x" } });
  CHECK(r.value("h_total", { { "service", "x" } }) == 4);
  g.set(7);
  CHECK(r.value("h_gauge", { { "service", "x" } }) == 7);
  h.observe(0.5);
  r.observe("h_seconds", { { "service", "x" } }, 5);
  auto text = r.render();
  INFO(text);
  CHECK(text.find("h_seconds_bucket{service=\"x\",le=\"1\"} 1\n") != std::string::npos);
  CHECK(text.find("h_seconds_count{service=\"x\"} 2\n") != std::string::npos);
  // A removed series is gone from the text; its handle no longer counts
  // there, and does not crash.
  r.remove("h_gauge", { { "service", "x" } });
  g.set(9);
  CHECK(r.render().find("h_gauge{") == std::string::npos);
  // An undeclared family gives an empty handle that ignores updates.
  auto none = r.series_of("nope_total", {});
  CHECK_FALSE(none);
  none.add();
  registry::handle empty;
  empty.observe(1);
}

TEST_CASE("the global registry declares Sophia's families") {
  auto text = registry::global().render();
  for (auto* name : { tool_calls, service_requests, llm_tokens, breaker_state })
    CHECK(text.find(std::string{ "# TYPE " } + name) != std::string::npos);
}

TEST_CASE("the admin endpoint serves /metrics, /healthz and refuses the rest") {
  auto srv = admin_server::start("127.0.0.1", 0);
  REQUIRE(srv);
  auto port = (*srv)->port();
  registry::global().add(tool_calls, { { "tool", "t" }, { "outcome", "ok" } });
  auto m = fetch(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(m.find("HTTP/1.1 200 OK") == 0);
  CHECK(m.find("text/plain; version=0.0.4") != std::string::npos);
  CHECK(m.find("sophia_tool_calls_total{tool=\"t\",outcome=\"ok\"}") != std::string::npos);
  CHECK(fetch(port, "GET /healthz HTTP/1.1\r\n\r\n").find("200 OK") != std::string::npos);
  CHECK(fetch(port, "GET /nope HTTP/1.1\r\n\r\n").find("404 Not Found") == 9);
  CHECK(fetch(port, "POST /metrics HTTP/1.1\r\n\r\n").find("405") == 9);
  CHECK(fetch(port, "garbage\r\n\r\n").find("400") == 9);
  // A client that sends nothing is cut off, and the next one is served.
  CHECK(fetch(port, "").find("408") == 9);
  CHECK(fetch(port, "GET /readyz HTTP/1.1\r\n\r\n").find("200 OK") != std::string::npos);
  // A port in use is a clear error.
  auto again = admin_server::start("127.0.0.1", port);
  REQUIRE_FALSE(again);
  CHECK(sophia::runtime::detail_of(again.error()).find("admin_port: cannot listen on 127.0.0.1:") == 0);
}
