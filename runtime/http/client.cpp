#include "runtime/http/client.hpp"

#include <deque>
#include <map>
#include <random>
#include <unordered_map>

#include <caf/all.hpp>

#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/http/breaker.hpp"
#include "runtime/http/curl_loop.hpp"
#include "runtime/http/limiter.hpp"
#include "runtime/http/retry.hpp"
#include "runtime/http/stats.hpp"
#include "runtime/metrics/families.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/system/io_scheduler.hpp"

namespace sophia::runtime::http {

namespace {

using retry_atom = caf::atom_constant<caf::atom("httpretry")>;
using pump_atom = caf::atom_constant<caf::atom("httppump")>;
using expire_atom = caf::atom_constant<caf::atom("httpexpire")>;

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Map nodes of ended calls kept for new ones; more are freed.
constexpr size_t max_spare_calls = 1024;

/// Where a call is: waiting for a slot or token, running in libcurl, or
/// waiting to retry.
enum class phase { queued, running, waiting };

struct service;

/// One `(fetch, request)` until its promise is delivered.
struct call {
  request_ptr req;
  /// The request's service (entries of `state::services` stay put).
  service* svc = nullptr;
  caf::typed_response_promise<response_ptr> rp;
  clock::time_point started;
  int attempts = 0;
  phase at = phase::queued;
  /// The running attempt is the half-open breaker's probe.
  bool probe = false;
  /// The last response that came, delivered when retries run out.
  std::shared_ptr<response> last;
  /// The last transport failure, delivered when no response came.
  caf::error last_error;
};

/// The node metrics' series of one service, found once: looking them up
/// by labels on every request cost more than the rest of the accounting.
struct meters {
  runtime::metrics::registry::handle seconds;
  runtime::metrics::registry::handle breaker;
  /// By status: the HTTP status, 0 for no response, -1 - errc on failure.
  std::map<int, runtime::metrics::registry::handle> requests;
};

/// Policy, breaker, limits and counters of one service.
struct service {
  /// The key of `state::services` (empty for requests without a service).
  std::string name;
  /// The name in errors and metrics ("http" for the empty one).
  std::string label;
  policy pol;
  breaker brk;
  limiter lim;
  /// Calls waiting for a slot or a token, in order (cancelled and expired
  /// ones are skipped when they come up).
  std::deque<uint64_t> queue;
  service_stats stats;
  /// A timer will pump the queue when the next token is there.
  bool pump_armed = false;
  /// The breaker state last written to the metrics (-1: none yet).
  int breaker_shown = -1;
  meters m;
};

struct state {
  std::unique_ptr<curl_loop> loop;
  std::map<std::string, service> services;
  using call_map = std::unordered_map<uint64_t, call>;
  call_map calls;
  /// Map nodes of ended calls, reused: a call allocates no node of its own.
  std::vector<call_map::node_type> spare_calls;
  uint64_t next_id = 1;
  std::mt19937_64 rng{ std::random_device{}() };
  /// Attempts that ended, being handled by `settle` (kept for its storage).
  attempt_results ended;

  /// Runs when the actor terminates, however it does: drops the transfers
  /// first (no more chunks), then fails every call (an undelivered promise
  /// would leave its caller waiting forever in 0.17).
  ~state() {
    loop.reset();
    for (auto& [id, c] : calls)
      c.rp.deliver(make_error(errc::cancelled,
                              label(c.req->service) + ": HTTP client stopped"));
  }

  /// A new call under `id`, in a spare node when there is one.
  call& new_call(uint64_t id) {
    if (spare_calls.empty()) return calls[id];
    auto n = std::move(spare_calls.back());
    spare_calls.pop_back();
    n.key() = id;
    return calls.insert(std::move(n)).position->second;
  }

  /// Forgets an ended call, keeping its node.
  void end_call(call_map::iterator i) {
    auto n = calls.extract(i);
    n.mapped() = call{};
    if (spare_calls.size() < max_spare_calls) spare_calls.push_back(std::move(n));
  }

  static std::string label(const std::string& service_name) {
    return service_name.empty() ? "http" : service_name;
  }

  service& service_of(const std::string& name) {
    auto [i, added] = services.try_emplace(name);
    if (added) {
      auto& s = i->second;
      s.name = name;
      s.label = label(name);
      namespace m = runtime::metrics;
      auto& reg = m::registry::global();
      s.m.seconds = reg.series_of(m::service_request_seconds,
                                  { { "service", s.label } });
      s.m.breaker = reg.series_of(m::breaker_state, { { "service", s.label } });
      apply(s, policy{});
    }
    return i->second;
  }

  static void apply(service& s, const policy& p) {
    s.pol = p;
    s.brk.configure(p.breaker_failures, p.breaker_cooldown);
    s.lim.configure(p.max_concurrency, p.rate_per_second, p.rate_burst,
                    clock::now());
  }

  static inline const char* name = "sophia.http";
};

using actor_ptr = caf::stateful_actor<state>*;

bool has_deadline(const request& r) {
  return r.deadline != clock::time_point{};
}

void pump(actor_ptr self, service& s, clock::time_point now = clock::now());

/// One exchange (retries included) in the node's metrics, and the
/// service's breaker state as it is now.
void count_exchange(const call& c, const caf::error& err,
                    clock::time_point now) {
  namespace m = runtime::metrics;
  auto& s = *c.svc;
  int key = err ? -1 - static_cast<int>(code_of(err))
                : c.last ? c.last->status : 0;
  auto i = s.m.requests.find(key);
  if (i == s.m.requests.end()) {
    auto status = err ? std::string{ to_string(code_of(err)) }
                  : c.last ? std::to_string(c.last->status)
                           : std::string{ "none" };
    i = s.m.requests
          .emplace(key, m::registry::global().series_of(
                          m::service_requests,
                          { { "service", s.label }, { "status", status } }))
          .first;
  }
  i->second.add();
  s.m.seconds.observe(std::chrono::duration<double>(now - c.started).count());
  auto brk = s.brk.current();
  int shown = brk == breaker::state::closed      ? 0
              : brk == breaker::state::half_open ? 1
                                                 : 2;
  // Written when it changes: the gauge keeps its value in between.
  if (shown != s.breaker_shown) {
    s.m.breaker.set(shown);
    s.breaker_shown = shown;
  }
}

/// Delivers the call's outcome and forgets it.
void finish(actor_ptr self, uint64_t id, caf::error err,
            clock::time_point now = clock::now()) {
  auto& st = self->state;
  auto i = st.calls.find(id);
  if (i == st.calls.end()) return;
  auto& c = i->second;
  count_exchange(c, err, now);
  if (err)
    c.rp.deliver(std::move(err));
  else
    c.rp.deliver(response_ptr{ c.last });
  st.end_call(i);
}

void start_attempt(actor_ptr self, service& s, uint64_t id, call& c,
                   clock::time_point now) {
  auto timeout = s.pol.timeout;
  if (has_deadline(*c.req))
    timeout = std::min(
      timeout, std::max(milliseconds{ 1 },
                        std::chrono::ceil<milliseconds>(c.req->deadline - now)));
  s.lim.acquire_slot();
  c.at = phase::running;
  ++c.attempts;
  self->state.loop->submit(
    attempt{ id, c.req, s.pol.connect_timeout, timeout,
             s.pol.max_response_bytes, s.pol.ca_file, now });
}

/// Starts queued calls of `s` while its limits and breaker allow; `now`
/// is when the caller last read the clock.
void pump(actor_ptr self, service& s, clock::time_point now) {
  auto& st = self->state;
  auto& who = s.label;
  while (!s.queue.empty() && s.lim.slot_free()) {
    auto id = s.queue.front();
    auto i = st.calls.find(id);
    if (i == st.calls.end() || i->second.at != phase::queued) {
      s.queue.pop_front();
      continue;
    }
    auto& c = i->second;
    if (has_deadline(*c.req) && now >= c.req->deadline) {
      s.queue.pop_front();
      finish(self, id,
             c.last ? caf::error{}
                    : make_error(errc::deadline_exceeded,
                                 who + ": deadline passed before "
                                   + (c.attempts ? "a retry" : "the request")
                                   + " could start"));
      continue;
    }
    auto verdict = s.brk.admit(now);
    if (verdict == breaker::verdict::refuse) {
      s.queue.pop_front();
      // A retry refused by the breaker ends with what the last attempt got.
      if (c.last)
        finish(self, id, {});
      else
        finish(self, id,
               make_error(errc::unavailable, who + ": " + s.brk.refusal(now)));
      continue;
    }
    auto wait = s.lim.take_token(now);
    if (wait > clock::duration::zero()) {
      if (verdict == breaker::verdict::probe) s.brk.probe_abandoned();
      if (!s.pump_armed) {
        s.pump_armed = true;
        self->delayed_send(self, wait, pump_atom::value, s.name);
      }
      return;
    }
    s.queue.pop_front();
    c.probe = verdict == breaker::verdict::probe;
    start_attempt(self, s, id, c, now);
  }
}

/// Handles a finished attempt: counts it, retries it or delivers.
void on_done(actor_ptr self, attempt_result& r, clock::time_point now) {
  auto& st = self->state;
  auto i = st.calls.find(r.id);
  if (i == st.calls.end()) return; // cancelled meanwhile
  auto& c = i->second;
  auto& s = *c.svc;
  auto& who = s.label;
  s.lim.release_slot();
  c.at = phase::waiting;
  s.stats.record(r.status, r.elapsed);
  s.stats.new_connections += static_cast<uint64_t>(r.new_connections);
  bool failed = r.status >= 500 || (r.status == 0 && !r.over_limit);
  s.brk.record(failed, c.probe, now);
  c.probe = false;
  bool transient;
  if (r.status > 0) {
    auto res = std::make_shared<response>();
    res->status = r.status;
    res->header_block = std::move(r.header_block);
    res->body = std::move(r.body);
    res->attempts = c.attempts;
    res->elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      now - c.started);
    res->http_version = std::move(r.http_version);
    c.last = std::move(res);
    c.last_error = caf::error{};
    transient = retryable_status(r.status);
    if (r.status >= 500)
      s.stats.last_error = who + ": HTTP " + std::to_string(r.status) + " from "
                           + c.req->method + " " + c.req->url;
  } else {
    c.last.reset();
    c.last_error = make_error(r.code, who + ": " + r.cause);
    s.stats.last_error = who + ": " + r.cause;
    // Bytes already streamed cannot be taken back: no second attempt.
    transient = r.retryable && !r.streamed;
  }
  if (transient && may_retry(*c.req) && c.attempts <= s.pol.max_retries) {
    std::optional<milliseconds> asked;
    if (c.last)
      asked = server_wait(c.last->headers(), std::chrono::system_clock::now());
    auto wait = asked ? *asked : backoff(s.pol, c.attempts - 1, st.rng);
    bool fits = has_deadline(*c.req) ? now + wait < c.req->deadline
                                     // Without a deadline, a server asking
                                     // for longer than an attempt may take
                                     // gets its answer passed on instead.
                                     : wait <= s.pol.timeout;
    if (fits) {
      self->delayed_send(self, wait, retry_atom::value, r.id);
      pump(self, s, now);
      return;
    }
    if (!c.last && has_deadline(*c.req))
      c.last_error = make_error(
        errc::deadline_exceeded,
        who + ": " + r.cause + "; the deadline leaves no time for a retry");
  }
  auto err = c.last ? caf::error{} : std::move(c.last_error);
  finish(self, r.id, std::move(err), now);
  pump(self, s, now);
}

/// Starts the attempts submitted, handles the ones that ended, and so on
/// while handling them submits and ends more (a retry or a queued call).
void settle(actor_ptr self) {
  auto& loop = *self->state.loop;
  for (;;) {
    if (loop.has_unstarted()) {
      // More requests waiting in the mailbox: start them all together.
      if (self->mailbox().empty())
        loop.start_submitted();
      else
        loop.start_later();
    }
    auto& rs = self->state.ended;
    loop.take_finished(rs);
    if (rs.empty()) return;
    auto now = clock::now();
    for (auto& r : rs)
      on_done(self, r, now);
  }
}

void on_cancel(actor_ptr self, const std::string& tag) {
  // An empty tag groups nothing: cancelling it must not abort every
  // untagged request of the node.
  if (tag.empty()) return;
  auto& st = self->state;
  std::vector<uint64_t> ids;
  for (auto& [id, c] : st.calls)
    if (c.req->tag == tag) ids.push_back(id);
  std::vector<service*> touched;
  for (auto id : ids) {
    auto& c = st.calls[id];
    auto& s = *c.svc;
    if (c.at == phase::running) {
      st.loop->abort(id);
      s.lim.release_slot();
      if (c.probe) s.brk.probe_abandoned();
    }
    finish(self, id,
           make_error(errc::cancelled, s.label + ": request "
                                         + c.req->method + " " + c.req->url
                                         + " cancelled (tag " + tag + ")"));
    touched.push_back(&s);
  }
  for (auto* s : touched)
    pump(self, *s);
  settle(self);
}

std::string render_stats(state& st) {
  auto out = nlohmann::json::object();
  for (auto& [name, s] : st.services) {
    size_t queued = 0;
    for (auto id : s.queue)
      if (auto i = st.calls.find(id);
          i != st.calls.end() && i->second.at == phase::queued)
        ++queued;
    out[name] = { { "breaker", breaker::to_string(s.brk.current()) },
                  { "last_error", s.stats.last_error },
                  { "in_flight", s.lim.running() },
                  { "queued", queued },
                  { "new_connections", s.stats.new_connections },
                  { "responses", s.stats.responses_json() } };
  }
  return out.dump();
}

caf::behavior client_impl(actor_ptr self) {
  self->state.loop = std::make_unique<curl_loop>(
    self->address(), system::node_poller(self->system()));
  if (auto why = self->state.loop->broken(); !why.empty()) {
    // Without libcurl's timer no transfer would ever time out: better no
    // client (callers get an error at once, supervision retries) than
    // calls that may hang.
    runtime::log::get("http")->error("HTTP client cannot start: {}", why);
    self->quit(make_error(errc::unavailable, "http: " + why));
    return {};
  }
  // Messages of a newer version, and stray errors, must not stop the one
  // HTTP client of the node.
  self->set_default_handler(caf::drop);
  self->set_error_handler([](caf::error&) {});
  return {
    [self](fetch, request_ptr& req) -> caf::result<response_ptr> {
      if (!req)
        return make_error(errc::rejected, "http: fetch without a request");
      auto& st = self->state;
      auto id = st.next_id++;
      auto& c = st.new_call(id);
      c.req = std::move(req);
      c.rp = self->make_response_promise<response_ptr>();
      c.started = clock::now();
      auto rp = c.rp;
      auto& s = st.service_of(c.req->service);
      c.svc = &s;
      s.queue.push_back(id);
      if (has_deadline(*c.req))
        self->delayed_send(self,
                           std::max(clock::duration::zero(),
                                    c.req->deadline - c.started),
                           expire_atom::value, id);
      pump(self, s, c.started);
      settle(self);
      return rp;
    },
    [self](cancel, const std::string& tag) {
      on_cancel(self, tag);
    },
    [self](configure, const std::string& name, const policy& p) {
      auto& s = self->state.service_of(name);
      state::apply(s, p);
      pump(self, s);
      settle(self);
      return caf::ok_atom::value;
    },
    [self](stats) { return render_stats(self->state); },
    [self](io_ready_atom, const io_events& events) {
      self->state.loop->on_ready(events);
      settle(self);
    },
    [self](retry_atom, uint64_t id) {
      auto& st = self->state;
      auto i = st.calls.find(id);
      if (i == st.calls.end() || i->second.at != phase::waiting) return;
      i->second.at = phase::queued;
      auto& s = *i->second.svc;
      // A retry goes before calls that have not started yet.
      s.queue.push_front(id);
      pump(self, s);
      settle(self);
    },
    [self](pump_atom, const std::string& name) {
      auto& s = self->state.service_of(name);
      s.pump_armed = false;
      pump(self, s);
      settle(self);
    },
    [self](expire_atom, uint64_t id) {
      // Only a call still waiting for a slot or token; a running attempt
      // is bounded by its own timeout.
      auto& st = self->state;
      auto i = st.calls.find(id);
      if (i == st.calls.end() || i->second.at != phase::queued) return;
      auto& c = i->second;
      auto& who = c.svc->label;
      if (c.last)
        finish(self, id, {});
      else
        finish(self, id,
               make_error(errc::deadline_exceeded,
                          who + ": deadline passed while waiting for the "
                                "service's concurrency or rate limit"));
    },
  };
}

} // namespace

caf::actor spawn_client(caf::actor_system& sys) {
  return sys.spawn(client_impl);
}

} // namespace sophia::runtime::http
