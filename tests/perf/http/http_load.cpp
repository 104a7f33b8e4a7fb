#include "http_load.hpp"

#include <memory>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <curl/curl.h>

#include "runtime/http/client.hpp"

namespace sophia::bench::http {

namespace {

namespace rh = runtime::http;

/// The service name of the benchmark's requests (the stats key).
constexpr const char* service_name = "bench";

struct caller_state {
  caf::actor client;
  rh::request_ptr req;
  size_t left = 0;
  std::vector<double> latency_us;
  size_t errors = 0;
  caf::actor report_to;
};

using caller_ptr = caf::stateful_actor<caller_state>*;

/// Issues the next request, or reports and quits when none is left.
void issue(caller_ptr self) {
  auto& st = self->state;
  if (st.left == 0) {
    self->send(st.report_to, std::move(st.latency_us), st.errors);
    self->quit();
    return;
  }
  --st.left;
  auto t0 = bench_clock::now();
  self->request(st.client, caf::infinite, rh::fetch::value, st.req)
    .then(
      [self, t0](const rh::response_ptr& res) {
        auto us = std::chrono::duration<double, std::micro>(bench_clock::now()
                                                            - t0)
                    .count();
        self->state.latency_us.push_back(us);
        if (!res || res->status != 200) ++self->state.errors;
        issue(self);
      },
      [self](caf::error&) {
        ++self->state.errors;
        issue(self);
      });
}

caf::behavior caller(caller_ptr self,
                     caf::actor client,
                     rh::request_ptr req,
                     size_t n,
                     caf::actor report_to) {
  auto& st = self->state;
  st.client = std::move(client);
  st.req = std::move(req);
  st.left = n;
  st.latency_us.reserve(n);
  st.report_to = std::move(report_to);
  // All callers start together on `ok`, as the plain loop adds all its
  // handles at once: started one by one as they are spawned, the first
  // ones finished requests before the last began, and the warm-up did not
  // always open a connection per caller.
  return { [self](caf::ok_atom) { issue(self); } };
}

run_result finish(run_result r, std::vector<double>& all) {
  r.rps = r.seconds > 0 ? static_cast<double>(r.requests) / r.seconds : 0;
  r.latency = summarize(all);
  return r;
}

/// What the plain loop keeps of a response, as any program that uses it
/// must: the header lines and the body (buffers reused from one response
/// to the next, which Sophia's client, handing each response to its
/// caller, cannot do).
struct kept {
  std::string headers;
  std::string body;
};

size_t keep(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

} // namespace

run_result run_sophia(caf::actor_system& sys,
                      const caf::actor& client,
                      const std::string& url,
                      size_t concurrency,
                      size_t requests,
                      const std::string& name) {
  auto req = std::make_shared<rh::request>();
  req->service = service_name;
  req->url = url;
  caf::scoped_actor self{ sys };
  std::vector<caf::actor> callers;
  for (size_t i = 0; i < concurrency; ++i) {
    auto n = requests / concurrency + (i < requests % concurrency ? 1 : 0);
    if (n == 0) continue;
    callers.push_back(sys.spawn(caller, client, rh::request_ptr{ req }, n,
                                caf::actor_cast<caf::actor>(self)));
  }
  auto spawned = callers.size();
  auto start = bench_clock::now();
  for (auto& c : callers)
    self->send(c, caf::ok_atom::value);
  callers.clear();
  run_result r;
  r.client = name;
  r.concurrency = concurrency;
  std::vector<double> all;
  all.reserve(requests);
  for (size_t i = 0; i < spawned; ++i)
    self->receive(
      [&](std::vector<double>& lat, size_t errors) {
        all.insert(all.end(), lat.begin(), lat.end());
        r.errors += errors;
      },
      caf::after(std::chrono::seconds{ 120 }) >> [&] {
        throw std::runtime_error("sophia callers did not finish in 120 s");
      });
  r.seconds = std::chrono::duration<double>(bench_clock::now() - start).count();
  r.requests = all.size();
  return finish(std::move(r), all);
}

caf::actor spawn_answering_actor(caf::actor_system& sys) {
  auto res = std::make_shared<rh::response>();
  res->status = 200;
  res->body = "hello from nginx\n";
  return sys.spawn([res = rh::response_ptr{ res }]() -> caf::behavior {
    return { [res](rh::fetch, const rh::request_ptr&) { return res; } };
  });
}

long sophia_connections(caf::actor_system& sys, const caf::actor& client) {
  caf::scoped_actor self{ sys };
  long out = -1;
  self->request(client, std::chrono::seconds{ 10 }, rh::stats::value)
    .receive(
      [&](const std::string& text) {
        auto doc = nlohmann::json::parse(text);
        if (doc.contains(service_name))
          out = doc[service_name]["new_connections"].get<long>();
        else
          out = 0;
      },
      [&](caf::error&) {});
  return out;
}

void open_connections(caf::actor_system& sys, const caf::actor& client,
                      const std::string& url, size_t concurrency) {
  auto req = std::make_shared<rh::request>();
  req->service = service_name;
  req->url = url;
  caf::scoped_actor self{ sys };
  // One actor sends them all in one turn: on sophia-node's one scheduler
  // thread the client sees the last before it starts the first, so none
  // can reuse another's connection.
  sys.spawn([=, report_to = caf::actor_cast<caf::actor>(self)](
              caf::event_based_actor* me) {
    auto left = std::make_shared<size_t>(concurrency);
    for (size_t i = 0; i < concurrency; ++i)
      me->request(client, caf::infinite, rh::fetch::value,
                  rh::request_ptr{ req })
        .then([=](const rh::response_ptr&) {
                if (--*left == 0) me->send(report_to, caf::ok_atom::value);
              },
              [=](caf::error&) {
                if (--*left == 0) me->send(report_to, caf::ok_atom::value);
              });
  });
  self->receive([](caf::ok_atom) {},
                caf::after(std::chrono::seconds{ 60 }) >> [] {
                  throw std::runtime_error("warm-up requests did not finish"
                                           " in 60 s");
                });
}

plain_curl::plain_curl() : multi_(curl_multi_init()) {
  // The same connection cache size as Sophia's client.
  curl_multi_setopt(static_cast<CURLM*>(multi_), CURLMOPT_MAXCONNECTS, 1024L);
}

plain_curl::~plain_curl() {
  for (auto e : easy_)
    curl_easy_cleanup(static_cast<CURL*>(e));
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

run_result plain_curl::run(const std::string& url,
                           size_t concurrency,
                           size_t requests) {
  auto multi = static_cast<CURLM*>(multi_);
  while (easy_.size() < concurrency)
    easy_.push_back(curl_easy_init());
  // Per handle: when its current transfer started, and its response.
  std::vector<bench_clock::time_point> t0(concurrency);
  std::vector<kept> responses(concurrency);
  // The same options as Sophia's client sets for a GET.
  for (size_t i = 0; i < concurrency; ++i) {
    auto e = static_cast<CURL*>(easy_[i]);
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_PRIVATE, reinterpret_cast<void*>(i));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &responses[i].body);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, keep);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &responses[i].headers);
  }
  run_result r;
  r.client = "libcurl";
  r.concurrency = concurrency;
  std::vector<double> all;
  all.reserve(requests);
  size_t started = 0;
  auto start = bench_clock::now();
  for (size_t i = 0; i < concurrency && started < requests; ++i, ++started) {
    t0[i] = bench_clock::now();
    curl_multi_add_handle(multi, static_cast<CURL*>(easy_[i]));
  }
  size_t done = 0;
  while (done < requests) {
    int running = 0;
    curl_multi_perform(multi, &running);
    bool readded = false;
    int left = 0;
    while (auto msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      auto e = msg->easy_handle;
      void* priv = nullptr;
      curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
      auto i = reinterpret_cast<size_t>(priv);
      all.push_back(std::chrono::duration<double, std::micro>(
                      bench_clock::now() - t0[i])
                      .count());
      long code = 0;
      long connects = 0;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
      curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
      r.new_connections += connects;
      if (msg->data.result != CURLE_OK || code != 200) ++r.errors;
      // Used, and done with: ready for the handle's next response.
      responses[i].headers.clear();
      responses[i].body.clear();
      ++done;
      curl_multi_remove_handle(multi, e);
      if (started < requests) {
        ++started;
        t0[i] = bench_clock::now();
        curl_multi_add_handle(multi, e);
        readded = true;
      }
    }
    if (!readded && done < requests)
      curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  r.seconds = std::chrono::duration<double>(bench_clock::now() - start).count();
  r.requests = all.size();
  return finish(std::move(r), all);
}

} // namespace sophia::bench::http
