#include "actors/edge/engine.hpp"

#include "runtime/metrics/families.hpp"
#include "runtime/metrics/registry.hpp"

#include <algorithm>
#include <array>

#include <caf/all.hpp>

#include "actors/edge/batch.hpp"
#include "actors/edge/counters.hpp"
#include "actors/edge/jsonrpc.hpp"
#include "actors/edge/protocol.hpp"
#include "actors/edge/tool_call_record.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/mcp/provider.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/version.hpp"

namespace sophia::actors::edge {

namespace {

using json = nlohmann::json;
namespace rpc = jsonrpc;
using end_reason = session_table::end_reason;

std::shared_ptr<spdlog::logger> lg() {
  static auto x = runtime::log::get("edge");
  return x;
}

/// The answer to a request that named no session, or a closed one.
void no_session(const inbound_ptr& in, bool had_header) {
  if (!had_header)
    in->out->fail(400,
                  rpc::error("null",
                             rpc::server_error,
                             "Bad Request: Mcp-Session-Id header is required"));
  else
    in->out->fail(404,
                  rpc::error("null",
                             rpc::session_not_found,
                             "Session not found: '" + in->session +
                               "' is unknown or was terminated; start a new "
                               "session with initialize"));
}

constexpr auto tick_interval = std::chrono::milliseconds{ 250 };

} // namespace

int log_level_index(std::string_view level) {
  static constexpr std::array<std::string_view, 8> levels{
    "debug", "info",     "notice", "warning",
    "error", "critical", "alert",  "emergency"
  };
  for (size_t i = 0; i < levels.size(); ++i)
    if (levels[i] == level) return static_cast<int>(i);
  return -1;
}

engine::engine() = default;

engine::~engine() = default;

void engine::init(caf::event_based_actor* self, edge_options opts) {
  self_ = self;
  opts_ = std::move(opts);
  sse_responses_ = opts_.config.responses != "json";
  budget_ = std::make_unique<replay_budget>(
    static_cast<size_t>(opts_.config.replay_budget_bytes));
  sessions_.set_limits(
    { static_cast<size_t>(opts_.config.max_sessions),
      static_cast<size_t>(opts_.config.max_sessions_per_client) });
  logged_at_ = now();
  // Tools answered from the edge's own state: requests for them (and for
  // the lists, ping and setLevel) run on the transport's thread.
  inline_tools_ = { "sophia.echo" };
  rng_.seed(std::random_device{}() ^
            static_cast<uint64_t>(
              std::chrono::steady_clock::now().time_since_epoch().count()));
  catalog_.set_builtins(builtin_tools(), builtin_resources());
  std::vector<std::string> warnings;
  catalog_.rebuild({}, opts_.node, warnings);
  refresh();
  self_->delayed_send(self_, tick_interval, runtime::atoms::tick::value);
}

std::chrono::steady_clock::time_point engine::now() const {
  return self_ != nullptr ? self_->clock().now()
                          : std::chrono::steady_clock::now();
}

std::string engine::new_id() {
  char buf[33];
  std::snprintf(buf,
                sizeof(buf),
                "%016llx%016llx",
                static_cast<unsigned long long>(rng_()),
                static_cast<unsigned long long>(rng_()));
  return buf;
}

void engine::handle(const inbound_ptr& in) {
  try {
    switch (in->what) {
      case inbound::verb::post:
        if (in->body.is_array())
          handle_batch(in);
        else
          handle_post(in);
        break;
      case inbound::verb::get: handle_get(in); break;
      case inbound::verb::del: handle_delete(in); break;
    }
  } catch (const std::exception& e) {
    // A bug of ours must not take the edge down with every session.
    lg()->error("internal error handling a request: {}", e.what());
    in->out->fail(500,
                  rpc::error(rpc::id_of(in->body),
                             rpc::internal_error,
                             std::string{ "Internal error: " } + e.what()));
  }
}

session* engine::find_session(const inbound_ptr& in) {
  auto* s = sessions_.find(in->stdio ? std::string{ "stdio" } : in->session);
  if (s != nullptr) sessions_.touch(*s, now());
  return s;
}

void engine::handle_post(const inbound_ptr& in) {
  auto& msg = in->body;
  auto c = rpc::classify(msg);
  auto id_json = rpc::id_of(msg);
  if (c.what == rpc::kind::invalid) {
    in->out->fail(
      400,
      rpc::error(id_json, rpc::invalid_request, "Invalid Request: " + c.error));
    return;
  }
  if (c.what == rpc::kind::request && msg["method"] == "initialize") {
    initialize(in, id_json);
    return;
  }
  auto* s = find_session(in);
  if (s == nullptr) {
    if (in->stdio)
      in->out->fail(400,
                    rpc::error(id_json,
                               rpc::server_error,
                               "Bad Request: Server not initialized"));
    else
      no_session(in, !in->session.empty());
    return;
  }
  if (s->key && (!in->key || in->key->first != s->key->first)) {
    in->out->fail(403,
                  rpc::error(id_json,
                             rpc::server_error,
                             "Forbidden: the session belongs to another "
                             "API key"));
    return;
  }
  if (!in->stdio && in->domain != s->domain) {
    in->out->fail(404,
                  rpc::error(id_json,
                             rpc::session_not_found,
                             "Session not found on this endpoint: it was "
                             "opened on " +
                               (s->domain.empty() ? std::string{ "/mcp" }
                                                  : "/mcp/" + s->domain)));
    return;
  }
  switch (c.what) {
    case rpc::kind::request: request(*s, in, id_json); break;
    case rpc::kind::notification: notification(*s, in); break;
    default:
      response(*s, msg);
      in->out->accepted();
      break;
  }
}

void engine::handle_batch(const inbound_ptr& in) {
  auto& items = in->body;
  auto* s = find_session(in);
  if (s == nullptr && !in->stdio && !in->session.empty()) {
    no_session(in, true);
    return;
  }
  if (s == nullptr || !protocol::allows_batches(s->version)) {
    auto why = s != nullptr ? "in protocol version " + s->version +
                                " (only 2025-03-26 allows them)"
                            : std::string{ "outside a session of protocol "
                                           "version 2025-03-26 (initialize "
                                           "must not be batched)" };
    in->out->fail(400,
                  rpc::error("null",
                             rpc::invalid_request,
                             "Invalid Request: JSON-RPC batches are not "
                             "supported " +
                               why + "; send one message per request"));
    return;
  }
  if (items.empty()) {
    in->out->fail(400,
                  rpc::error("null",
                             rpc::invalid_request,
                             "Invalid Request: an empty batch"));
    return;
  }
  auto outs = make_batch(in->out, items.size(), sse_responses_);
  for (size_t i = 0; i < items.size(); ++i) {
    auto one = std::make_shared<inbound>();
    one->what = inbound::verb::post;
    one->session = in->session;
    one->protocol_version = in->protocol_version;
    one->domain = in->domain;
    one->client = in->client;
    one->key = in->key;
    one->stdio = in->stdio;
    one->body = std::move(items[i]);
    one->out = outs[i];
    if (one->body.is_object() && one->body.value("method", "") == "initialize")
      one->out->fail(400,
                     rpc::error(rpc::id_of(one->body),
                                rpc::invalid_request,
                                "Invalid Request: initialize must not be "
                                "part of a batch"));
    else if (one->body.is_array())
      one->out->fail(400,
                     rpc::error("null",
                                rpc::invalid_request,
                                "Invalid Request: a batch inside a batch"));
    else
      handle_post(one);
  }
}

void engine::initialize(const inbound_ptr& in, const std::string& id_json) {
  if (!in->session.empty() ||
      (in->stdio && sessions_.find("stdio") != nullptr)) {
    in->out->fail(400,
                  rpc::error(id_json,
                             rpc::invalid_request,
                             "Invalid Request: Server already "
                             "initialized (initialize opens a session; "
                             "send it without Mcp-Session-Id)"));
    return;
  }
  const auto& params =
    in->body.contains("params") ? in->body["params"] : json::object();
  auto pv = params.find("protocolVersion");
  if (pv == params.end() || !pv->is_string()) {
    in->out->reply(rpc::error(id_json,
                              rpc::invalid_params,
                              "Invalid params: protocolVersion must be a "
                              "string"));
    return;
  }
  if (!in->stdio) {
    std::vector<std::string> victims;
    auto why = end_reason::evicted_capacity;
    switch (sessions_.make_room(in->client, victims, why)) {
      case session_table::room::ok: break;
      case session_table::room::full:
        in->out->fail(
          503,
          rpc::error(id_json,
                     rpc::server_error,
                     "Service Unavailable: all " +
                       std::to_string(opts_.config.max_sessions) +
                       " sessions (max_sessions) have an open stream or a "
                       "request in flight; retry later"),
          { { "Retry-After", "1" } });
        return;
      case session_table::room::client_full:
        in->out->fail(
          429,
          rpc::error(id_json,
                     rpc::server_error,
                     "Too Many Requests: this client's " +
                       std::to_string(opts_.config.max_sessions_per_client) +
                       " sessions (max_sessions_per_client) all have an "
                       "open stream or a request in flight; end one with "
                       "DELETE first"),
          { { "Retry-After", "1" } });
        return;
    }
    for (auto& v : victims)
      end_session(v, why);
  }
  auto asked = pv->get<std::string>();
  auto version =
    protocol::supported(asked) ? asked : std::string{ protocol::latest };
  auto id = in->stdio ? std::string{ "stdio" } : new_id();
  auto made = std::make_unique<session>(
    id, opts_.config.replay_events, opts_.config.replay_bytes, budget_.get());
  made->version = version;
  made->domain = in->domain;
  made->key = in->key;
  made->client = in->client;
  made->stdio = in->stdio;
  if (in->stdio) made->writer = in->out;
  auto& s = sessions_.insert(std::move(made), now());
  if (auto caps = params.find("capabilities");
      caps != params.end() && caps->is_object()) {
    s.can_sample = caps->contains("sampling");
    s.can_elicit = caps->contains("elicitation");
  }
  json result{
    { "protocolVersion", version },
    { "capabilities",
      { { "tools", { { "listChanged", true } } },
        { "resources", { { "subscribe", true }, { "listChanged", true } } },
        { "prompts", { { "listChanged", true } } },
        { "logging", json::object() },
        { "completions", json::object() } } },
    { "serverInfo",
      { { "name", "sophia" },
        { "title", "Sophia" },
        { "version", SOPHIA_VERSION } } },
    { "instructions",
      "Sophia serves the tools of a whole cluster. Tool names are "
      "SERVICE.TOOL; sophia.cluster_status shows the cluster's health and "
      "the resource sophia://tools lists where each tool runs." },
  };
  lg()->debug("session={} opened version={} domain={} client={}",
              id,
              version,
              in->domain.empty() ? "*" : in->domain,
              in->client.empty() ? "-" : in->client);
  if (!in->stdio) in->out->set_session(id);
  in->out->reply(rpc::result(id_json, result.dump()));
}

void engine::request(session& s,
                     const inbound_ptr& in,
                     const std::string& id_json) {
  auto& msg = in->body;
  const auto& method = msg["method"].get_ref<const std::string&>();
  static const json no_params = json::object();
  const auto& params = msg.contains("params") ? msg["params"] : no_params;
  if (s.requests.count(id_json) != 0) {
    in->out->reply(rpc::error(id_json,
                              rpc::invalid_request,
                              "Invalid Request: a request with id " + id_json +
                                " is still in flight in this session"));
    return;
  }
  auto sid = s.next_stream++;
  s.streams.emplace(sid, stream{ in->out, false });
  inflight f;
  f.stream = sid;
  f.id_json = id_json;
  s.requests.emplace(id_json, std::move(f));
  dispatch(s, rpc_request{ sid, method, params, id_json });
  // Still in flight (a provider works on it): open the stream with a
  // priming event, so that a client that loses the connection can resume
  // it with Last-Event-ID (2025-11-25 clients skip events without data).
  if (sse_responses_ && !s.stdio && protocol::primes_streams(s.version) &&
      s.requests.count(id_json) != 0) {
    auto st = s.streams.find(sid);
    if (st != s.streams.end() && !st->second.started) {
      st->second.started = true;
      st->second.out->event(replay_buffer::make_id(sid, 0), {});
    }
  }
}

void engine::notification(session& s, const inbound_ptr& in) {
  auto& msg = in->body;
  const auto& method = msg["method"].get_ref<const std::string&>();
  in->out->accepted();
  if (method == "notifications/initialized") {
    s.initialized = true;
    return;
  }
  if (method == "notifications/cancelled") {
    auto p = msg.find("params");
    if (p == msg.end() || !p->contains("requestId")) return;
    auto key = (*p)["requestId"].dump();
    auto i = s.requests.find(key);
    if (i == s.requests.end()) return; // finished already: nothing to stop
    auto& f = i->second;
    f.cancelled = true;
    if (f.owner) self_->send(f.owner, runtime::mcp::cancel::value, f.call_id);
    lg()->info("session={} request={} cancelled tool={}", s.id, key, f.tool);
    // No answer for a cancelled request: end its stream.
    auto st = s.streams.find(f.stream);
    if (st != s.streams.end()) {
      if (st->second.out) st->second.out->end();
      s.streams.erase(st);
    }
    drop_asks(f.call_id, "the call was cancelled");
    calls_.erase(f.call_id);
    s.requests.erase(i);
    return;
  }
  // Other notifications (roots/list_changed, progress of ours) need nothing.
}

void engine::response(session& s, const json& msg) {
  auto key =
    msg["id"].is_string() ? msg["id"].get<std::string>() : msg["id"].dump();
  auto i = asks_.find(key);
  if (i == asks_.end() || i->second.session != s.id) {
    lg()->warn("session={} answered unknown request {}", s.id, key);
    return;
  }
  auto p = std::move(i->second.promise);
  asks_.erase(i);
  if (auto r = msg.find("result"); r != msg.end()) {
    p.deliver(r->dump());
    return;
  }
  const auto& e = msg["error"];
  auto text = e.is_object() && e.contains("message") && e["message"].is_string()
                ? e["message"].get<std::string>()
                : e.dump();
  p.deliver(runtime::make_error(runtime::errc::rejected,
                                "the client refused: " + text));
}

void engine::handle_get(const inbound_ptr& in) {
  auto* s = find_session(in);
  if (s == nullptr) {
    no_session(in, !in->session.empty());
    return;
  }
  if (!in->last_event_id.empty()) {
    auto pos = replay_buffer::parse_id(in->last_event_id);
    if (!pos) {
      in->out->fail(400,
                    rpc::error("null",
                               rpc::server_error,
                               "Bad Request: malformed Last-Event-ID '" +
                                 in->last_event_id + "'"));
      return;
    }
    auto [sid, seq] = *pos;
    auto events = s->events.after(sid, seq);
    if (!events) {
      in->out->fail(409,
                    rpc::error("null",
                               rpc::server_error,
                               "Conflict: events after " + in->last_event_id +
                                 " are no longer buffered"));
      return;
    }
    for (auto* e : *events)
      in->out->event(replay_buffer::make_id(e->stream, e->seq), e->data);
    auto st = s->streams.find(sid);
    if (st == s->streams.end()) {
      in->out->end(); // finished meanwhile: the replay was all of it
      return;
    }
    st->second.out = in->out;
    st->second.started = true;
    in->out->event({}, {}); // opens the stream if the replay sent nothing
    return;
  }
  if (s->standalone != 0) {
    auto st = s->streams.find(s->standalone);
    if (st != s->streams.end() && st->second.out && st->second.out->alive()) {
      in->out->fail(409,
                    rpc::error("null",
                               rpc::server_error,
                               "Conflict: only one SSE stream is allowed "
                               "per session"));
      return;
    }
  }
  auto sid = s->standalone != 0 ? s->standalone : s->next_stream++;
  s->standalone = sid;
  s->streams[sid] = stream{ in->out, true };
  // Clients of 2025-11-25 get a priming event (an id, no data) to resume
  // from; older ones just the open stream.
  if (protocol::primes_streams(s->version))
    in->out->event(replay_buffer::make_id(sid, 0), {});
  else
    in->out->event({}, {});
}

void engine::handle_delete(const inbound_ptr& in) {
  auto* s = find_session(in);
  if (s == nullptr) {
    no_session(in, !in->session.empty());
    return;
  }
  end_session(s->id, end_reason::deleted);
  in->out->fail(200, {});
}

void engine::end_session(const std::string& id, end_reason why) {
  auto* s = sessions_.find(id);
  if (s == nullptr) return;
  for (auto& [key, f] : s->requests) {
    if (f.owner && !f.cancelled)
      self_->send(f.owner, runtime::mcp::cancel::value, f.call_id);
    calls_.erase(f.call_id);
  }
  for (auto& [sid, st] : s->streams)
    if (st.out) st.out->end();
  for (auto a = asks_.begin(); a != asks_.end();)
    if (a->second.session == id) {
      a->second.promise.deliver(runtime::make_error(
        runtime::errc::rejected, "the client's session ended"));
      a = asks_.erase(a);
    } else {
      ++a;
    }
  // Evictions come in floods: counted, and summarized by log_shedding.
  if (why == end_reason::deleted || why == end_reason::idle)
    lg()->debug("session={} ended: {}", id, session_table::to_string(why));
  else
    lg()->debug(
      "session={} client={} {}", id, s->client, session_table::to_string(why));
  sessions_.erase(id, why);
}

void engine::log_shedding() {
  auto t = now();
  if (t - logged_at_ < std::chrono::seconds{ 10 }) return;
  auto& c = sessions_.stats();
  auto cap = c.evicted_capacity - logged_.evicted_capacity;
  auto quota = c.evicted_quota - logged_.evicted_quota;
  auto full = c.refused_full - logged_.refused_full;
  auto client_full = c.refused_client_full - logged_.refused_client_full;
  if (cap + quota + full + client_full == 0) return;
  lg()->warn(
    "sessions shed in the last {} s: {} evicted at max_sessions, "
    "{} evicted at max_sessions_per_client, {} initialize refused "
    "(503), {} refused (429); {} live sessions of {} clients",
    std::chrono::duration_cast<std::chrono::seconds>(t - logged_at_).count(),
    cap,
    quota,
    full,
    client_full,
    sessions_.size(),
    sessions_.clients());
  logged_ = c;
  logged_at_ = t;
}

void engine::emit(session& s, uint64_t sid, std::string json_text) {
  auto st = s.streams.find(sid);
  if (s.stdio) {
    if (st != s.streams.end() && st->second.out)
      st->second.out->event({}, std::move(json_text));
    return;
  }
  auto id = s.events.add(sid, json_text);
  if (st == s.streams.end()) return;
  st->second.started = true;
  if (st->second.out && st->second.out->alive())
    st->second.out->event(id, std::move(json_text));
}

namespace {

/// Counts an answered tools/call (outcome from the answer's shape: a
/// JSON-RPC error has no "result"; a tool error says isError).
void count_tool_call(const inflight& r, const std::string& json_text) {
  namespace m = runtime::metrics;
  auto& reg = m::registry::global();
  const char* outcome = json_text.find("\"result\"") == std::string::npos
                          ? "rejected"
                        : json_text.find("\"isError\":true") != std::string::npos
                          ? "tool_error"
                          : "ok";
  reg.add(m::tool_calls, { { "tool", r.tool }, { "outcome", outcome } });
  if (r.started != std::chrono::steady_clock::time_point{})
    reg.observe(m::tool_call_seconds,
                { { "tool", r.tool } },
                std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                              r.started)
                  .count());
}

} // namespace

void engine::finish(session& s, const std::string& key, std::string json_text) {
  auto i = s.requests.find(key);
  if (i == s.requests.end()) return;
  auto sid = i->second.stream;
  if (!i->second.tool.empty()) {
    count_tool_call(i->second, json_text);
    if (opts_.on_tool_call) {
      const auto* item = catalog_.tool(i->second.tool);
      auto rec = tool_call_record(opts_.node,
                                  s,
                                  i->second,
                                  item == nullptr ? std::string{}
                                  : item->handle  ? item->service
                                                  : std::string{ "edge" },
                                  json_text,
                                  std::chrono::system_clock::now(),
                                  std::chrono::steady_clock::now());
      static const std::string none;
      opts_.on_tool_call(std::move(rec),
                         tool_call_succeeded(json_text) ? json_text : none);
    }
  }
  if (!i->second.call_id.empty()) {
    drop_asks(i->second.call_id, "the call is over");
    calls_.erase(i->second.call_id);
  }
  s.requests.erase(i);
  auto st = s.streams.find(sid);
  if (st == s.streams.end()) return;
  auto out = std::move(st->second.out);
  bool as_event = !s.stdio && (st->second.started || sse_responses_);
  s.streams.erase(st);
  if (!as_event) {
    if (out) out->reply(std::move(json_text));
    return;
  }
  // Kept for replay: a client that lost the stream gets its answer with
  // Last-Event-ID.
  auto id = s.events.add(sid, json_text);
  if (out) out->reply_event(id, std::move(json_text));
}

inflight* engine::waiting(const std::string& session_id,
                          const std::string& key,
                          session** s) {
  *s = sessions_.find(session_id);
  if (*s == nullptr) return nullptr;
  auto r = (*s)->requests.find(key);
  if (r == (*s)->requests.end() || r->second.cancelled) return nullptr;
  return &r->second;
}

void engine::drop_asks(const std::string& call_id, const char* why) {
  if (call_id.empty()) return;
  for (auto a = asks_.begin(); a != asks_.end();)
    if (a->second.call_id == call_id) {
      a->second.promise.deliver(
        runtime::make_error(runtime::errc::rejected, why));
      a = asks_.erase(a);
    } else {
      ++a;
    }
}

void engine::broadcast(const std::string& json_text,
                       const std::string& uri_filter) {
  sessions_.for_each([&](session& s) {
    if (!s.initialized && !s.stdio) return;
    if (!uri_filter.empty() && s.subscriptions.count(uri_filter) == 0) return;
    if (s.stdio) {
      if (s.writer) s.writer->event({}, json_text);
      return;
    }
    if (s.standalone != 0) emit(s, s.standalone, json_text);
  });
}

catalog::view engine::view_of(const session& s) const {
  return { s.domain, s.key ? &s.key->second : nullptr };
}

void engine::tick() {
  refresh();
  if (++ticks_ % 4 == 0) {
    auto cutoff =
      now() - std::chrono::milliseconds{ opts_.config.session_idle_ms };
    for (auto& id : sessions_.idle_since(cutoff))
      end_session(id, end_reason::idle);
    log_shedding();
  }
  retry_parked();
  self_->delayed_send(self_, tick_interval, runtime::atoms::tick::value);
}

json engine::status() const {
  auto& c = sessions_.stats();
  json out{
    { "node", opts_.node },
    { "sessions",
      { { "live", sessions_.size() },
        { "clients", sessions_.clients() },
        { "max_sessions", opts_.config.max_sessions },
        { "max_sessions_per_client", opts_.config.max_sessions_per_client },
        { "opened", c.opened },
        { "deleted", c.deleted },
        { "expired_idle", c.expired_idle },
        { "evicted_at_capacity", c.evicted_capacity },
        { "evicted_at_client_quota", c.evicted_quota },
        { "refused_full", c.refused_full },
        { "refused_client_full", c.refused_client_full } } },
    { "replay",
      { { "bytes", budget_ ? budget_->used() : 0 },
        { "budget_bytes", budget_ ? budget_->max_bytes() : 0 },
        { "dropped_events", budget_ ? budget_->dropped() : 0 } } },
    { "calls",
      { { "in_flight", calls_.size() }, { "parked", parked_.size() } } },
  };
  if (auto& h = opts_.http) {
    auto get = [](const auto& x) { return x.load(std::memory_order_relaxed); };
    out["http"] = { { "connections", get(h->connections) },
                    { "max_connections", opts_.config.max_connections },
                    { "streams", get(h->streams) },
                    { "unsent_bytes", get(h->unsent_bytes) },
                    { "accepted", get(h->accepted) },
                    { "refused_at_capacity", get(h->refused_capacity) },
                    { "header_timeouts", get(h->header_timeouts) },
                    { "too_large", get(h->too_large) },
                    { "slow_streams_dropped", get(h->slow_streams_dropped) } };
  }
  return out;
}

bool engine::try_inline(const inbound_ptr& in) {
  if (in->what != inbound::verb::post || in->stdio) return false;
  const auto& msg = in->body;
  if (!msg.is_object() || !msg.contains("id")) return false;
  auto m = msg.find("method");
  if (m == msg.end() || !m->is_string()) return false;
  const auto& method = m->get_ref<const std::string&>();
  bool listing = method == "ping" || method == "tools/list" ||
                 method == "resources/list" ||
                 method == "resources/templates/list" ||
                 method == "prompts/list" || method == "logging/setLevel";
  if (!listing && method != "tools/call") return false;
  auto guard = lock();
  if (self_ == nullptr) return false;
  if (method == "tools/call") {
    auto p = msg.find("params");
    if (p == msg.end() || !p->is_object()) return false;
    auto name = p->find("name");
    if (name == p->end() || !name->is_string() ||
        inline_tools_.count(name->get<std::string>()) == 0)
      return false;
  }
  handle(in);
  return true;
}

caf::actor spawn_edge(caf::actor_system& sys,
                      edge_options opts,
                      inline_handler* fast) {
  // The engine outlives its actor while a transport may still call it.
  auto core = std::make_shared<engine>();
  if (fast != nullptr)
    *fast = [core](const inbound_ptr& in) { return core->try_inline(in); };
  return sys.spawn(
    [core, opts = std::move(opts)](
      caf::stateful_actor<engine_box>* self) mutable -> caf::behavior {
      self->state.core = core;
      {
        auto guard = core->lock();
        core->init(self, std::move(opts));
      }
      self->set_error_handler([](caf::scheduled_actor*, caf::error& err) {
        lg()->warn("stray error: {}", caf::to_string(err));
      });
      self->set_down_handler([core](caf::down_msg& dm) {
        auto guard = core->lock();
        core->on_down(dm.source);
      });
      self->attach_functor([core] {
        auto guard = core->lock();
        core->detach();
      });
      return {
        [core](atoms::mcp_in, const inbound_ptr& in) {
          auto guard = core->lock();
          core->handle(in);
        },
        // A provider's malformed message must never take the edge down.
        [core](runtime::mcp::notify,
               const std::string& call_id,
               const std::string& json_text) {
          auto guard = core->lock();
          try {
            core->on_notify(call_id, json_text);
          } catch (const std::exception& e) {
            lg()->warn("dropped a malformed provider notification: {}",
                       e.what());
          }
        },
        [core](runtime::mcp::ask,
               const std::string& call_id,
               const std::string& json_text) -> caf::result<std::string> {
          auto guard = core->lock();
          try {
            return core->on_ask(call_id, json_text);
          } catch (const std::exception& e) {
            return runtime::make_error(runtime::errc::rejected,
                                       std::string{ "malformed ask: " } +
                                         e.what());
          }
        },
        [core](runtime::atoms::tick) {
          auto guard = core->lock();
          core->tick();
        },
        [core](caf::get_atom, runtime::atoms::status) {
          auto guard = core->lock();
          return core->when_ready();
        },
      };
    });
}

} // namespace sophia::actors::edge
