#pragma once

// The fixture of runtime_http_test: an actor system, the client actor and
// scripted_server.mjs, fresh for each test case.

#include <doctest/doctest.h>

#include <thread>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "runtime/error.hpp"
#include "runtime/http/client.hpp"
#include "runtime/system/io_scheduler.hpp"
#include "test_server.hpp"

namespace sophia::testing::http {

using namespace sophia::runtime;
using namespace sophia::runtime::http;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct outcome {
  response_ptr res;
  caf::error err;
  clock_type::duration took{};

  errc code() const { return code_of(err); }
  std::string detail() const { return detail_of(err); }
};

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  scripted_server srv;
  caf::actor client;

  fixture() {
    // Sophia's scheduler, as sophia-node runs it, with two workers so
    // that one polls while the other runs; the AI provider tests run the
    // client on CAF's stealing scheduler and the poller's own thread.
    system::load_io_scheduler(cfg);
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    client = spawn_client(*sys);
  }

  ~fixture() {
    caf::anon_send_exit(client, caf::exit_reason::kill);
  }

  request get(const std::string& path, const std::string& service = "t") {
    request r;
    r.service = service;
    r.url = srv.url(path);
    return r;
  }

  outcome call(request r, std::chrono::seconds limit = 30s) {
    caf::scoped_actor self{ *sys };
    outcome out;
    auto start = clock_type::now();
    self
      ->request(client, limit, fetch::value,
                request_ptr{ std::make_shared<request>(std::move(r)) })
      .receive([&](response_ptr& res) { out.res = std::move(res); },
               [&](caf::error& err) { out.err = std::move(err); });
    out.took = clock_type::now() - start;
    return out;
  }

  /// Sends every request at once; returns the outcomes as they come.
  std::vector<outcome> call_all(std::vector<request> rs) {
    caf::scoped_actor self{ *sys };
    auto start = clock_type::now();
    for (auto& r : rs)
      self->send(client, fetch::value,
                 request_ptr{ std::make_shared<request>(std::move(r)) });
    std::vector<outcome> outs;
    for (size_t i = 0; i < rs.size(); ++i) {
      outcome out;
      self->receive(
        [&](response_ptr& res) { out.res = std::move(res); },
        [&](caf::error& err) { out.err = std::move(err); },
        caf::after(std::chrono::seconds{ 30 }) >>
          [&] { out.err = make_error(errc::deadline_exceeded, "test timeout"); });
      out.took = clock_type::now() - start;
      outs.push_back(std::move(out));
    }
    return outs;
  }

  /// A JSON answer of the server's bookkeeping paths.
  nlohmann::json probe(const std::string& path) {
    auto out = call(get(path, "probe"));
    REQUIRE(out.res);
    return nlohmann::json::parse(out.res->body);
  }

  void set_policy(const std::string& service, const policy& p) {
    caf::scoped_actor self{ *sys };
    self->request(client, 5s, configure::value, service, p)
      .receive([](caf::ok_atom) {},
               [](caf::error& err) { FAIL(caf::to_string(err)); });
  }

  nlohmann::json stats_json() {
    caf::scoped_actor self{ *sys };
    std::string text;
    self->request(client, 5s, stats::value)
      .receive([&](std::string& s) { text = std::move(s); },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
    return nlohmann::json::parse(text);
  }
};

inline policy fast_retries() {
  policy p;
  p.backoff_base = 10ms;
  p.backoff_max = 50ms;
  return p;
}

} // namespace sophia::testing::http
