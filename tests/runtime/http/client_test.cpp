// The client actor: exchanges, retries, timeouts, limits on size, stats.
// Against a real HTTP server (scripted_server.mjs on loopback); time bounds
// are generous: the machine is shared and noisy.
#include "client_fixture.hpp"

#include <algorithm>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace sophia::testing::http;
using sophia::testing::scripted_server;

TEST_CASE_FIXTURE(fixture, "a GET returns status, headers, body, version") {
  auto out = call(get("/ok"));
  REQUIRE(out.res);
  CHECK(out.res->status == 200);
  CHECK(out.res->body == "ok");
  CHECK(out.res->attempts == 1);
  CHECK(out.res->http_version == "1.1");
  CHECK(out.res->elapsed > 0us);
  REQUIRE(out.res->find_header("content-type"));
  CHECK(*out.res->find_header("content-type") == "text/plain");
  // Names in any case; all of them, lower-cased, in order.
  REQUIRE(out.res->find_header("Content-Type"));
  CHECK(*out.res->find_header("Content-Type") == "text/plain");
  CHECK_FALSE(out.res->find_header("x-not-sent"));
  auto all = out.res->headers();
  REQUIRE_FALSE(all.empty());
  CHECK(std::find(all.begin(), all.end(),
                  header{ "content-type", "text/plain" }) != all.end());
  for (auto& [name, value] : all) {
    CHECK(std::none_of(name.begin(), name.end(),
                       [](char c) { return c >= 'A' && c <= 'Z'; }));
    CHECK(value.find('\r') == std::string::npos);
  }
  auto missing = call(get("/status/404"));
  REQUIRE(missing.res);
  CHECK(missing.res->status == 404);
  CHECK(missing.res->attempts == 1);
}

TEST_CASE_FIXTURE(fixture, "method, headers and body reach the server") {
  auto r = get("/echo");
  r.method = "POST";
  r.headers = { { "X-Custom", "v1" }, { "Content-Type", "application/json" } };
  r.body = R"({"hello":"world"})";
  auto out = call(r);
  REQUIRE(out.res);
  auto echo = nlohmann::json::parse(out.res->body);
  CHECK(echo["method"] == "POST");
  CHECK(echo["headers"]["x-custom"] == "v1");
  CHECK(echo["headers"]["content-type"] == "application/json");
  CHECK(echo["body"] == r.body);
  CHECK_FALSE(echo["headers"].contains("expect"));
  r.method = "PUT";
  out = call(r);
  REQUIRE(out.res);
  CHECK(nlohmann::json::parse(out.res->body)["method"] == "PUT");
  r.method = "DELETE";
  r.body.clear();
  out = call(r);
  REQUIRE(out.res);
  CHECK(nlohmann::json::parse(out.res->body)["method"] == "DELETE");
  // The client keeps its libcurl handles from request to request, setting
  // only what changed: nothing of the requests above may linger.
  r.method = "HEAD";
  r.headers.clear();
  out = call(r);
  REQUIRE(out.res);
  CHECK(out.res->status == 200);
  CHECK(out.res->body.empty());
  out = call(get("/echo"));
  REQUIRE(out.res);
  echo = nlohmann::json::parse(out.res->body);
  CHECK(echo["method"] == "GET");
  CHECK(echo["body"] == "");
  CHECK_FALSE(echo["headers"].contains("x-custom"));
  CHECK_FALSE(echo["headers"].contains("content-type"));
  r = get("/echo");
  r.body = "in a GET";
  out = call(r);
  REQUIRE(out.res);
  echo = nlohmann::json::parse(out.res->body);
  CHECK(echo["method"] == "GET");
  CHECK(echo["body"] == "in a GET");
  out = call(get("/echo"));
  REQUIRE(out.res);
  CHECK(nlohmann::json::parse(out.res->body)["body"] == "");
}

TEST_CASE_FIXTURE(fixture, "sequential requests reuse one connection") {
  REQUIRE(call(get("/ok")).res); // warm-up
  auto before = probe("/connections")["count"].get<int>();
  for (int i = 0; i < 50; ++i) {
    auto out = call(get("/ok"));
    REQUIRE(out.res);
    CHECK(out.res->status == 200);
  }
  auto after = probe("/connections")["count"].get<int>();
  CHECK(after == before);
  CHECK(stats_json()["t"]["new_connections"] == 1);
}

TEST_CASE_FIXTURE(fixture, "429 with Retry-After is honoured") {
  set_policy("t", fast_retries());
  auto out = call(get("/retry-after/1?key=ra"));
  REQUIRE(out.res);
  CHECK(out.res->status == 200);
  CHECK(out.res->attempts == 2);
  CHECK(out.took >= 950ms);
  // The HTTP-date form.
  out = call(get("/retry-after/1?key=rd&date=1"));
  REQUIRE(out.res);
  CHECK(out.res->status == 200);
  CHECK(out.res->attempts == 2);
  CHECK(out.took >= 900ms);
  out = call(get("/retry-after-ms/300?key=rm"));
  REQUIRE(out.res);
  CHECK(out.res->status == 200);
  CHECK(out.res->attempts == 2);
  CHECK(out.took >= 290ms);
  // A wait past the deadline: the 429 itself comes back, at once.
  auto r = get("/retry-after/5?key=rw");
  r.deadline = clock_type::now() + 1s;
  out = call(r);
  REQUIRE(out.res);
  CHECK(out.res->status == 429);
  CHECK(out.res->attempts == 1);
  CHECK(out.took < 900ms);
}

TEST_CASE_FIXTURE(fixture, "POST is retried only when the request allows") {
  set_policy("t", fast_retries());
  auto r = get("/flaky/1?key=p1");
  r.method = "POST";
  r.body = "x";
  auto out = call(r);
  REQUIRE(out.res);
  CHECK(out.res->status == 500);
  CHECK(out.res->attempts == 1);
  CHECK(probe("/count/p1")["hits"] == 1);
  r.url = srv.url("/flaky/1?key=p2");
  r.retry = true;
  out = call(r);
  REQUIRE(out.res);
  CHECK(out.res->status == 200);
  CHECK(out.res->attempts == 2);
  CHECK(probe("/count/p2")["hits"] == 2);
  // Exhausted retries deliver the last response.
  out = call(get("/flaky/5?key=p3"));
  REQUIRE(out.res);
  CHECK(out.res->status == 500);
  CHECK(out.res->attempts == 3);
  CHECK(out.res->body == "failure 3");
}

TEST_CASE_FIXTURE(fixture, "timeouts and deadlines end a request promptly") {
  policy p;
  p.timeout = 300ms;
  p.max_retries = 0;
  set_policy("slow", p);
  auto out = call(get("/slow/5000", "slow"));
  CHECK(out.code() == errc::deadline_exceeded);
  CHECK(contains(out.detail(), "slow: "));
  CHECK(out.took >= 250ms);
  CHECK(out.took < 2s);
  auto r = get("/slow/5000");
  r.deadline = clock_type::now() + 300ms;
  out = call(r);
  CHECK(out.code() == errc::deadline_exceeded);
  CHECK(contains(out.detail(), "t: "));
  CHECK(out.took < 2s);
}

TEST_CASE_FIXTURE(fixture, "bodies over max_response_bytes fail") {
  policy p;
  p.max_response_bytes = 100000;
  set_policy("lim", p);
  auto out = call(get("/big/200000", "lim"));
  CHECK(out.code() == errc::service_error);
  CHECK(out.detail() == "lim: response larger than max_response_bytes (100000)");
  out = call(get("/big/50000", "lim"));
  REQUIRE(out.res);
  CHECK(out.res->body.size() == 50000);
}

TEST_CASE_FIXTURE(fixture, "a refused connection is unreachable, named") {
  policy p;
  p.max_retries = 0;
  set_policy("down", p);
  auto port = sophia::testing::closed_port();
  request r;
  r.service = "down";
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/ok";
  auto out = call(r);
  CHECK(out.code() == errc::unreachable);
  CHECK(out.detail() == "down: connect to 127.0.0.1:" + std::to_string(port)
                          + " failed (Connection refused)");
}

TEST_CASE_FIXTURE(fixture, "a unix socket target") {
  request r;
  r.service = "docker";
  r.url = "http://localhost/echo?x=1";
  r.unix_socket = srv.unix_path();
  auto out = call(r);
  REQUIRE(out.res);
  auto echo = nlohmann::json::parse(out.res->body);
  CHECK(echo["via"] == "unix");
  CHECK(echo["url"] == "/echo?x=1");
  CHECK(echo["headers"]["host"] == "localhost");
  // The next request on the same handle goes over TCP again.
  out = call(get("/echo"));
  REQUIRE(out.res);
  CHECK(nlohmann::json::parse(out.res->body)["via"] != "unix");
}

TEST_CASE_FIXTURE(fixture, "stats count statuses and errors per service") {
  policy p;
  p.max_retries = 0;
  set_policy("st", p);
  for (int i = 0; i < 3; ++i)
    REQUIRE(call(get("/ok", "st")).res);
  REQUIRE(call(get("/status/404", "st")).res);
  request r;
  r.service = "st";
  r.url = "http://127.0.0.1:" + std::to_string(sophia::testing::closed_port())
          + "/";
  CHECK(call(r).code() == errc::unreachable);
  auto st = stats_json()["st"];
  CHECK(st["breaker"] == "closed");
  CHECK(st["in_flight"] == 0);
  CHECK(st["queued"] == 0);
  CHECK(contains(st["last_error"].get<std::string>(), "st: connect to"));
  auto& ok = st["responses"]["200"];
  CHECK(ok["count"] == 3);
  CHECK(ok["counts"].back() == 3);
  CHECK(ok["buckets_ms"].size() == ok["counts"].size());
  CHECK(ok["sum_ms"].get<double>() > 0);
  CHECK(st["responses"]["404"]["count"] == 1);
  CHECK(st["responses"]["error"]["count"] == 1);
}

TEST_CASE("transfers stop with the actor; pending calls fail") {
  scripted_server srv;
  caf::actor_system_config cfg;
  caf::actor_system sys{ cfg };
  auto client = spawn_client(sys);
  caf::scoped_actor self{ sys };
  request r;
  r.service = "bye";
  r.url = srv.url("/hang?key=bye");
  self->send(client, fetch::value,
             request_ptr{ std::make_shared<request>(r) });
  std::this_thread::sleep_for(200ms);
  caf::anon_send_exit(client, caf::exit_reason::kill);
  caf::error err;
  self->receive([&](caf::error& e) { err = std::move(e); },
                caf::after(std::chrono::seconds{ 5 }) >> [] {});
  CHECK(code_of(err) == errc::cancelled);
  CHECK(detail_of(err) == "bye: HTTP client stopped");
  // Once stopped, a request is answered at once (CAF's "receiver down")
  // rather than never.
  auto t0 = clock_type::now();
  caf::error late;
  self->request(client, 30s, fetch::value, request_ptr{ std::make_shared<request>(r) })
    .receive([](response_ptr&) { FAIL("a stopped client answered"); },
             [&](caf::error& e) { late = std::move(e); });
  CHECK(late);
  CHECK(clock_type::now() - t0 < 5s);
}

TEST_CASE("a client nobody refers to any more terminates") {
  caf::actor_system_config cfg;
  caf::actor_system sys{ cfg };
  caf::scoped_actor self{ sys };
  {
    auto client = spawn_client(sys);
    self->monitor(client);
  }
  bool down = false;
  self->receive([&](caf::down_msg& dm) { down = dm.reason == caf::exit_reason::unreachable; },
                caf::after(std::chrono::seconds{ 10 }) >> [] {});
  CHECK(down);
}

TEST_CASE("a client that cannot get a timer stops, and calls fail at once") {
  scripted_server srv;
  caf::actor_system_config cfg;
  caf::actor_system sys{ cfg };
  // The poller (its own thread, under CAF's stealing) exists already.
  auto io = sophia::runtime::system::node_poller(sys);
  // Every descriptor taken, under a low limit: the client's timerfd
  // cannot be created.
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
  rlimit low = old;
  low.rlim_cur = std::min<rlim_t>(old.rlim_cur, 512);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  std::vector<int> fillers;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;)
    fillers.push_back(fd);
  auto client = spawn_client(sys);
  request r;
  r.service = "nofd";
  r.url = srv.url("/hang?key=nofd"); // a live client would wait 10 s here
  caf::scoped_actor self{ sys };
  caf::error err;
  self->request(client, 10s, fetch::value,
                request_ptr{ std::make_shared<request>(r) })
    .receive([](response_ptr&) {}, [&](caf::error& e) { err = std::move(e); });
  for (auto fd : fillers)
    ::close(fd);
  ::setrlimit(RLIMIT_NOFILE, &old);
  CHECK(err == caf::sec::request_receiver_down);
}

TEST_CASE_FIXTURE(fixture, "proxies come from the environment, as libcurl's") {
  // Read once, when a client starts; unset again whatever happens, so
  // that the other tests' clients go direct.
  struct environment {
    environment(const std::string& proxy) {
      ::setenv("http_proxy", proxy.c_str(), 1);
      ::setenv("no_proxy", "direct.invalid", 1);
    }
    ~environment() {
      ::unsetenv("http_proxy");
      ::unsetenv("no_proxy");
    }
  } env{ srv.url("") };
  auto direct = client;
  client = spawn_client(*sys);
  request r;
  r.service = "t";
  r.url = "http://proxied.invalid/echo";
  auto out = call(r);
  REQUIRE_MESSAGE(out.res, out.detail());
  auto echo = nlohmann::json::parse(out.res->body);
  // A proxy gets the whole URL, and the host it names.
  CHECK(echo["url"] == "http://proxied.invalid/echo");
  CHECK(echo["headers"]["host"] == "proxied.invalid");
  // A host on the no_proxy list goes direct (and cannot be resolved).
  r.url = "http://direct.invalid/echo";
  out = call(r);
  CHECK_FALSE(out.res);
  // https URLs do not use http_proxy.
  r.url = "https://proxied.invalid/echo";
  out = call(r);
  CHECK_FALSE(out.res);
  caf::anon_send_exit(client, caf::exit_reason::kill);
  client = direct;
}
