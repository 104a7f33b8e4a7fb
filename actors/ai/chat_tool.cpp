#include "actors/ai/errors.hpp"
#include "actors/ai/provider_state.hpp"
#include "actors/ai/trace_context.hpp"

#include <caf/all.hpp>

#include "runtime/config/secrets.hpp"
#include "runtime/metrics/families.hpp"
#include "runtime/metrics/registry.hpp"

namespace sophia::actors::ai {

namespace http = runtime::http;
namespace mcp = runtime::mcp;
using nlohmann::json;
using clock_type = std::chrono::steady_clock;

namespace {

/// Bytes of a streamed body kept for the error message of a failed stream.
constexpr size_t raw_kept = 65536;

double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t)
    .count();
}

bool wants_progress(const mcp::call_ptr& c) {
  auto meta = c->params().find("_meta");
  return meta != c->params().end() && meta->is_object() &&
         meta->contains("progressToken");
}

/// Fills in what the provider did not report: the provider's name, and
/// the cost from the model's price.
void complete(provider_state& st, chat_result& r, const std::string& model) {
  if (r.model.empty()) r.model = model;
  if (r.provider.empty()) r.provider = st.p.display;
  if (!r.cost_usd) {
    auto i = st.prices.find(r.model);
    if (i == st.prices.end()) i = st.prices.find(model);
    if (i != st.prices.end())
      r.cost_usd = r.prompt_tokens * i->second.prompt +
                   r.completion_tokens * i->second.completion;
  }
}

/// Runs `finish` now, or once the prices being fetched arrive when `r` has
/// no reported cost and its model's price is not known yet.
void when_priced(provider_state& st, const chat_result& r,
                 const std::string& model, std::function<void()> finish) {
  auto priced = r.cost_usd || st.prices.count(r.model) != 0 ||
                st.prices.count(model) != 0;
  if (priced || !st.prices_fetching) return finish();
  st.waiting_for_prices.push_back(std::move(finish));
}

std::string summary(const chat_result& r) {
  return r.text;
}

/// Starts the span of a completion, when tracing is on.
std::shared_ptr<llm_call> start_trace(const provider_state& st, const json& body) {
  if (!st.tracer) return nullptr;
  auto t = std::make_shared<llm_call>();
  t->provider = st.p.service;
  t->model = body.value("model", "");
  t->input_json = body.dump(-1, ' ', false, json::error_handler_t::replace);
  if (auto m = body.find("messages"); m != body.end() && m->is_array())
    for (auto& msg : *m)
      if (msg.is_object())
        t->input_messages.emplace_back(
          msg.value("role", ""),
          msg.contains("content") && msg["content"].is_string()
            ? msg["content"].get<std::string>()
            : msg.value("content", json()).dump());
  json params = json::object();
  for (auto* k : { "max_tokens", "temperature", "top_p", "stop" })
    if (body.contains(k)) params[k] = body[k];
  t->invocation_parameters = params.dump();
  t->start = std::chrono::system_clock::now();
  return t;
}

/// Makes `t` a child of the caller's span when the call's `_meta` carries a
/// `traceparent` (the router's, for a completion it routed).
void link_to_caller(llm_call& t, const json& params) {
  auto meta = params.find("_meta");
  if (meta == params.end() || !meta->is_object())
    return;
  auto tp = meta->find("traceparent");
  std::string trace, parent;
  if (tp != meta->end() && tp->is_string()
      && parse_traceparent(tp->get<std::string>(), trace, parent)) {
    t.trace_id = std::move(trace);
    t.parent_span_id = std::move(parent);
  }
}

/// Ends the span: the result, or the failure's text; sends it to the tracer.
void end_trace(const provider_state& st,
               const std::shared_ptr<llm_call>& t,
               const chat_result* r,
               std::string failure) {
  if (!t || !st.tracer) return;
  t->end = std::chrono::system_clock::now();
  if (r != nullptr) {
    t->model = r->model;
    t->output_text = r->text;
    t->finish_reason = r->finish_reason;
    t->prompt_tokens = r->prompt_tokens;
    t->completion_tokens = r->completion_tokens;
    t->total_tokens = r->total_tokens;
    t->cost_usd = r->cost_usd;
  } else {
    t->error = std::move(failure);
  }
  caf::anon_send(st.tracer, record_span::value, llm_call_ptr{ t });
}

/// Counts the completion's tokens and cost in the node's metrics.
void account(const provider_state& st, const chat_result& r) {
  namespace m = runtime::metrics;
  auto& reg = m::registry::global();
  m::labels base = { { "provider", st.p.service }, { "model", r.model } };
  auto with_kind = [&](const char* k) {
    auto l = base;
    l.emplace_back("kind", k);
    return l;
  };
  reg.add(m::llm_tokens, with_kind("prompt"), static_cast<double>(r.prompt_tokens));
  reg.add(m::llm_tokens, with_kind("completion"),
          static_cast<double>(r.completion_tokens));
  if (r.cost_usd) reg.add(m::llm_cost, base, *r.cost_usd);
}

void finish_stream(const state_ptr& st,
                   const std::string& tag,
                   const http_result& r,
                   const std::string& model) {
  auto i = st->streams.find(tag);
  if (i == st->streams.end()) return;
  auto job = std::move(i->second);
  st->streams.erase(i);
  auto& call = job.call;
  auto& svc = st->p.service;
  auto fail = [&](std::string text) {
    end_trace(*st, job.trace, nullptr, text);
    call->fail(std::move(text));
  };
  if (!r)
    return fail(runtime::config::redact(describe_error(svc, r.error()),
                                        st->p.secrets));
  auto resp = **r;
  if (resp.status < 200 || resp.status > 299) {
    if (resp.body.empty()) resp.body = job.raw;
    return fail(runtime::config::redact(
      describe_status(svc, st->p.secret_ref, resp), st->p.secrets));
  }
  // A last event without its blank line still counts.
  for (auto& data : job.parser.feed("\n\n"))
    if (data != "[DONE]") add_chat_chunk(json::parse(data, nullptr, false), job.result);
  if (job.stream_error)
    return fail(svc + ": the stream ended with an error: " + *job.stream_error);
  if (job.malformed)
    return fail(svc + ": the stream carried an event that is not JSON: " +
                job.malformed->substr(0, 200));
  if (job.result.finish_reason.empty() && job.result.text.empty())
    return fail(svc + ": the stream ended without a completion");
  job.result.latency_ms = ms_since(job.start);
  auto result = std::move(job.result);
  when_priced(*st, result, model,
              [st, call, result, model, trace = job.trace]() mutable {
                complete(*st, result, model);
                account(*st, result);
                end_trace(*st, trace, &result, {});
                call->reply(summary(result), result.to_json());
              });
}

} // namespace

mcp::tool chat_tool(const state_ptr& st) {
  json extra = json::object();
  if (st->p.kind == provider_kind::openrouter) {
    extra["provider"] = {
      { "type", "object" },
      { "description",
        "OpenRouter provider routing preferences, e.g. {\"order\": "
        "[\"openai\"], \"allow_fallbacks\": false, \"sort\": \"price\"}." }
    };
    extra["models"] = { { "type", "array" },
                        { "items", { { "type", "string" } } },
                        { "description", "Fallback models, in order." } };
  }
  auto& d = st->p.display;
  return {
    .name = "chat",
    .title = d + " chat completion",
    .description =
      "Sends a chat completion to " + d +
      " and returns the model's answer, with token usage, cost in USD "
      "(where known) and latency. Give `model` and either `messages` "
      "(OpenAI chat format) or a single `prompt`. Costs money per token: "
      "keep max_tokens as small as the task allows. With a progress token, "
      "the answer streams as progress notifications.",
    .input_schema = chat_input_schema(extra),
    .output_schema = chat_output_schema(),
    .hints = { .read_only = false,
               .destructive = false,
               .idempotent = false,
               .open_world = true },
    .run =
      [st](const mcp::call_ptr& c) {
        json body;
        if (auto err = build_chat_request(c->arguments(), wants_progress(c), body))
          return c->reject(runtime::errc::rejected,
                           "Invalid arguments for tool " + st->p.service +
                             ".chat: " + *err);
        auto model = body["model"].get<std::string>();
        auto req = st->make_request("POST", st->p.kind == provider_kind::huggingface
                                              ? "/v1/chat/completions"
                                              : "/chat/completions");
        req.body = body.dump();
        // As the OpenAI SDK does: 429 and 5xx of a completion are retried.
        req.retry = true;
        auto start = clock_type::now();
        auto trace = start_trace(*st, body);
        if (trace)
          link_to_caller(*trace, c->params());
        refresh_prices(c->self(), st);
        if (body.value("stream", false)) {
          req.tag = c->id() + "#" + std::to_string(++st->next_tag);
          req.stream_to = caf::actor_cast<caf::actor>(c->self());
          auto& job = st->streams[req.tag];
          job.call = c;
          job.start = start;
          job.trace = trace;
          auto tag = req.tag;
          send(st, c, std::move(req), [st, tag, model](http_result r) {
            finish_stream(st, tag, r, model);
          });
          c->on_cancel([st, tag] { st->streams.erase(tag); });
          return;
        }
        send(st, c, std::move(req), [st, c, start, model, trace](http_result r) {
          std::string failure;
          auto j = json_body(st, c, r, &failure);
          if (!j) return end_trace(*st, trace, nullptr, failure);
          chat_result out;
          if (auto err = parse_chat_response(*j, out)) {
            end_trace(*st, trace, nullptr, st->p.service + ": " + *err);
            return c->fail(st->p.service + ": " + *err);
          }
          out.latency_ms = ms_since(start);
          // Not streamed: the first token came with the rest.
          out.first_token_ms = out.latency_ms;
          when_priced(*st, out, model, [st, c, out, model, trace]() mutable {
            complete(*st, out, model);
            account(*st, out);
            end_trace(*st, trace, &out, {});
            c->reply(summary(out), out.to_json());
          });
        });
      },
  };
}

caf::message_handler stream_handlers(const state_ptr& st) {
  return {
    [st](http::chunk, const std::string& tag, const std::string& bytes) {
      auto i = st->streams.find(tag);
      if (i == st->streams.end()) return;
      auto& job = i->second;
      if (job.raw.size() < raw_kept) job.raw.append(bytes);
      for (auto& data : job.parser.feed(bytes)) {
        if (data == "[DONE]") continue;
        auto chunk = json::parse(data, nullptr, false);
        if (chunk.is_discarded()) {
          if (!job.malformed) job.malformed = data;
          continue;
        }
        if (chunk.is_object() && chunk.contains("error")) {
          job.stream_error = message_of(data);
          continue;
        }
        auto text = add_chat_chunk(chunk, job.result);
        if (text.empty()) continue;
        if (!job.result.first_token_ms)
          job.result.first_token_ms = ms_since(job.start);
        job.call->progress(static_cast<double>(job.result.text.size()),
                           std::nullopt,
                           text);
      }
    },
  };
}

} // namespace sophia::actors::ai
