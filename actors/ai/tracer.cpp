#include "actors/ai/tracer.hpp"

#include <deque>

#include <caf/all.hpp>
#include <spdlog/logger.h>

#include "actors/ai/otlp.hpp"
#include "runtime/error.hpp"
#include "runtime/http/client.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/version.hpp"

namespace sophia::actors::ai {

namespace {

namespace http = runtime::http;
namespace m = runtime::metrics;
using tick = caf::atom_constant<caf::atom("trtick")>;

constexpr const char* exported_total = "sophia_trace_spans_exported_total";
constexpr const char* dropped_total = "sophia_trace_spans_dropped_total";

uint64_t nanos(std::chrono::system_clock::time_point t) {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

/// The OpenInference attributes of one call
/// (spec/semantic_conventions.md of Arize-ai/openinference).
otlp::span to_span(const llm_call& c) {
  otlp::span s;
  s.trace_id = c.trace_id.empty() ? otlp::new_trace_id() : c.trace_id;
  s.span_id = c.span_id.empty() ? otlp::new_span_id() : c.span_id;
  s.parent_span_id = c.parent_span_id;
  s.name = c.span_kind == "EMBEDDING" ? "Embeddings"
           : c.span_kind == "CHAIN"   ? "Route"
                                      : "ChatCompletion";
  // A route is the router's own work; an LLM call goes out to a provider.
  s.kind = c.span_kind == "CHAIN" ? otlp::span_kind::internal : otlp::span_kind::client;
  s.start_unix_nano = nanos(c.start);
  s.end_unix_nano = nanos(c.end);
  auto& a = s.attributes;
  auto str = [&](std::string k, std::string v) { a.push_back({ std::move(k), std::move(v) }); };
  auto num = [&](std::string k, int64_t v) { a.push_back({ std::move(k), v }); };
  str("openinference.span.kind", c.span_kind);
  if (!c.metadata.empty()) str("metadata", c.metadata);
  auto chain = c.span_kind == "CHAIN";
  if (!chain) {
    str("llm.system", c.provider);
    str("llm.provider", c.provider);
  }
  if (c.span_kind == "EMBEDDING") {
    str("embedding.model_name", c.model);
  } else if (!chain) {
    str("llm.model_name", c.model);
    str("llm.request.model_name", c.model);
  }
  if (!c.invocation_parameters.empty() && !chain)
    str("llm.invocation_parameters", c.invocation_parameters);
  if (!c.input_json.empty()) {
    str("input.value", c.input_json);
    str("input.mime_type", "application/json");
  }
  for (size_t i = 0; i < c.input_messages.size() && !chain; ++i) {
    auto head = "llm.input_messages." + std::to_string(i) + ".message.";
    str(head + "role", c.input_messages[i].first);
    str(head + "content", c.input_messages[i].second);
  }
  if (c.error.empty() && c.span_kind != "EMBEDDING") {
    str("output.value", c.output_text);
    str("output.mime_type", "text/plain");
    if (!chain) {
      str("llm.output_messages.0.message.role", "assistant");
      str("llm.output_messages.0.message.content", c.output_text);
      if (!c.finish_reason.empty()) str("llm.finish_reason", c.finish_reason);
    }
  }
  if (!chain) {
    num("llm.token_count.prompt", c.prompt_tokens);
    num("llm.token_count.completion", c.completion_tokens);
    num("llm.token_count.total", c.total_tokens);
    if (c.cost_usd) a.push_back({ "llm.cost.total", *c.cost_usd });
  }
  if (c.error.empty()) {
    s.status = otlp::status_code::ok;
  } else {
    s.status = otlp::status_code::error;
    s.status_message = c.error;
  }
  return s;
}

struct tracer_state {
  tracer_state() {
    // A user-declared constructor: C++20 would aggregate-initialise it.
  }
  tracer_options opts;
  std::deque<otlp::span> queue;
  bool sending = false;
  std::shared_ptr<spdlog::logger> log;
  static inline const char* name = "sophia.tracer";
};

using self_ptr = caf::stateful_actor<tracer_state>*;

void drop(size_t n, const char* reason) {
  m::registry::global().add(dropped_total, { { "reason", reason } }, static_cast<double>(n));
}

void send_batch(self_ptr self) {
  auto& st = self->state;
  if (st.sending || st.queue.empty() || !st.opts.http) return;
  auto n = std::min(st.queue.size(), st.opts.batch);
  std::vector<otlp::span> batch(std::make_move_iterator(st.queue.begin()),
                                std::make_move_iterator(st.queue.begin() + static_cast<long>(n)));
  st.queue.erase(st.queue.begin(), st.queue.begin() + static_cast<long>(n));
  auto req = std::make_shared<http::request>();
  req->service = st.opts.service;
  req->method = "POST";
  req->url = st.opts.endpoint;
  req->headers = { { "content-type", "application/x-protobuf" },
                   { "space_id", st.opts.space_id },
                   { "api_key", st.opts.api_key } };
  req->body = otlp::encode_request(
    { { "service.name", std::string{ "sophia" } },
      { "openinference.project.name", st.opts.project } },
    "sophia", runtime::version(), batch);
  // OTLP: 429, 502, 503 and 504 mean "not processed, try again".
  req->retry = true;
  st.sending = true;
  self->request(st.opts.http, caf::infinite, http::fetch::value, http::request_ptr{ req })
    .then(
      [self, n](const http::response_ptr& r) {
        auto& st = self->state;
        st.sending = false;
        if (r->status >= 200 && r->status < 300) {
          m::registry::global().add(exported_total, {}, static_cast<double>(n));
        } else {
          st.log->warn("arize: HTTP {} exporting {} spans: dropped", r->status, n);
          drop(n, "export_failed");
        }
        send_batch(self);
      },
      [self, n](caf::error& err) {
        auto& st = self->state;
        st.sending = false;
        st.log->warn("arize: exporting {} spans failed: {}", n, runtime::detail_of(err));
        drop(n, "export_failed");
      });
}

caf::behavior tracer_impl(self_ptr self, tracer_options opts) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.log = runtime::log::get("arize");
  auto& reg = m::registry::global();
  reg.declare(exported_total, m::kind::counter, "LLM spans exported to Arize.");
  reg.declare(dropped_total, m::kind::counter,
              "LLM spans dropped (queue_full, export_failed).");
  self->delayed_send(self, st.opts.flush_interval, tick::value);
  return {
    [self](record_span, const llm_call_ptr& c) {
      auto& st = self->state;
      if (st.queue.size() >= st.opts.max_queue) {
        drop(1, "queue_full");
        return;
      }
      st.queue.push_back(to_span(*c));
      if (st.queue.size() >= st.opts.batch) send_batch(self);
    },
    [self](tick) {
      send_batch(self);
      self->delayed_send(self, self->state.opts.flush_interval, tick::value);
    },
    [self](flush_spans) -> uint64_t {
      send_batch(self);
      return self->state.queue.size();
    },
  };
}

} // namespace

caf::actor spawn_tracer(caf::actor_system& sys, tracer_options opts) {
  return sys.spawn(tracer_impl, std::move(opts));
}

} // namespace sophia::actors::ai
