// ai.intelligent_generate: decide, call the best candidate's provider,
// fall back to the next one on another provider when a call fails.

#include "actors/ai/trace_context.hpp"
#include "actors/ai/tracer.hpp"
#include "actors/optimizer/decide.hpp"
#include "actors/optimizer/router_state.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>

#include "runtime/mcp/call_tool.hpp"
#include "runtime/error.hpp"
#include "runtime/mcp/results.hpp"
#include "runtime/utc.hpp"

namespace sophia::actors::optimizer {

namespace mcp = runtime::mcp;
using nlohmann::json;
using clock_type = std::chrono::steady_clock;

namespace {

/// Candidates a result lists unless `candidates` says otherwise (the
/// ranking can hold hundreds; the schema allows up to 100).
constexpr int64_t shown_by_default = 10;

const char* input_schema = R"({
  "type": "object",
  "properties": {
    "prompt": {"type": "string", "description": "The prompt, as one user message."},
    "messages": {"type": "array", "minItems": 1, "items": {"type": "object"},
                 "description": "OpenAI chat messages, instead of prompt."},
    "task_type": {"type": "string", "enum": ["simple", "complex", "code", "analysis"],
                  "default": "simple"},
    "cost_priority": {"type": "string", "enum": ["low", "medium", "high"], "default": "medium"},
    "performance_priority": {"type": "string", "enum": ["low", "medium", "high"],
                             "default": "medium"},
    "max_tokens": {"type": "integer", "minimum": 1},
    "temperature": {"type": "number", "minimum": 0, "maximum": 2},
    "model": {"type": "string", "description": "Pin this model (the router still picks the provider)."},
    "models": {"type": "array", "items": {"type": "string"}, "minItems": 1,
               "description": "Only these models."},
    "max_cost_usd": {"type": "number", "exclusiveMinimum": 0,
                     "description": "Refuse candidates whose estimate exceeds this."},
    "candidates": {"type": "integer", "minimum": 0, "maximum": 100, "default": 10,
                   "description": "How many of the ranked candidates (and of those left out) the result lists, best first; 0 for none. candidates_total counts them all."}
  },
  "additionalProperties": false
})";

/// One call in progress.
struct job {
  mcp::call_ptr call;
  json args;
  std::string prompt;
  std::string task_type;
  decision d;
  double decision_us = 0;
  size_t next = 0;
  /// Providers that failed during this call: not tried again.
  std::set<std::string> failed;
  json fallbacks = json::array();
  clock_type::time_point start;
  std::chrono::system_clock::time_point wall_start;
  std::optional<double> max_cost;
  /// The caller's API key, whose limits the calls count against.
  std::string api_key;
  limit_set key_limits;
  /// The prompt's estimated tokens and the completion's cap (0: none).
  int64_t prompt_tokens = 0;
  int64_t max_tokens = 0;
  /// The route's span (raw ids; empty when tracing is off): the provider's
  /// LLM spans hang below it, and it hangs below the client's span when
  /// the client sent a `traceparent` in `_meta`.
  std::string trace_id, span_id, parent_span_id;
};

using job_ptr = std::shared_ptr<job>;

json describe(const scored& s, const live_record& live) {
  auto& r = live.of(s.c.provider, s.c.model);
  return {{"provider", s.c.provider},
          {"model", s.c.model},
          {"quality", s.quality},
          {"quality_from", s.from_memory            ? "memory"
                           : s.c.prior_quality >= 0 ? "configured prior"
                                                    : "price prior"},
          {"neighbours", s.neighbours},
          {"cost_usd", s.cost_usd},
          {"cost_from", s.cost_basis},
          {"utility", s.utility},
          {"success_rate", s.c.success_rate},
          {"latency_p95_ms", r.p95_ms()},
          {"breaker", s.c.breaker_open ? "open" : "closed"}};
}

void attempt(const router_ptr& st, const job_ptr& j);

/// The tokens a call of `s` is expected to take: the prompt's, and the
/// completion tokens the model gave recently (else the cap, else 256).
double tokens_of(const job& j, const scored& s) {
  double completion = s.c.completion_tokens > 0 ? s.c.completion_tokens
                      : j.max_tokens > 0        ? static_cast<double>(j.max_tokens)
                                                : 256.0;
  if (j.max_tokens > 0)
    completion = std::min(completion, static_cast<double>(j.max_tokens));
  return static_cast<double>(j.prompt_tokens) + completion;
}

/// What one provider call of `s` spends of the cluster-wide limits: the
/// key's budgets and tokens, the provider's tokens (its requests are
/// counted apart: a failed call was still made), `usd` and `tokens`.
std::vector<need> spend_of(const router_ptr& st, const job& j, const scored& s, double usd,
                           double tokens) {
  auto out = needs_of({j.key_limits.budgets, {}, j.key_limits.tokens}, usd, 0, tokens);
  for (auto& n : needs_of({{}, {}, limits_of_provider(st->limits, s.c.provider).tokens}, 0,
                          0, tokens))
    out.push_back(std::move(n));
  return out;
}

/// Sends the route's span to Arize: a CHAIN span over the call (the
/// arguments in, the answer out) whose `metadata` says how it was routed;
/// `error` when every candidate failed.
void trace_route(const router_ptr& st, const job_ptr& j, std::string output,
                 const json& metadata, std::string error = {}) {
  auto tracer = j->trace_id.empty() || !st->opts.tracer ? caf::actor{} : st->opts.tracer();
  if (!tracer)
    return;
  auto t = std::make_shared<ai::llm_call>();
  t->span_kind = "CHAIN";
  t->trace_id = j->trace_id;
  t->span_id = j->span_id;
  t->parent_span_id = j->parent_span_id;
  t->input_json = j->args.dump(-1, ' ', false, json::error_handler_t::replace);
  t->output_text = std::move(output);
  t->metadata = metadata.dump(-1, ' ', false, json::error_handler_t::replace);
  t->start = j->wall_start;
  t->end = std::chrono::system_clock::now();
  t->error = std::move(error);
  caf::anon_send(tracer, ai::record_span::value, ai::llm_call_ptr{t});
}

/// What a route's span says of it, beyond the answer.
json route_metadata(const job_ptr& j) {
  return {{"sophia.tool", "ai.intelligent_generate"},
          {"task_type", j->task_type},
          {"api_key", j->api_key},
          {"decision_us", j->decision_us},
          {"candidates_total", j->d.ranked.size()},
          {"fallbacks", j->fallbacks}};
}

void finish_failed(const router_ptr& st, const job_ptr& j) {
  ++st->failed;
  std::string why = "ai.intelligent_generate: every candidate failed";
  for (auto& f : j->fallbacks)
    why += "; " + f.value("model", "") + " on " + f.value("provider", "") + ": "
           + f.value("error", "");
  trace_route(st, j, {}, route_metadata(j), why);
  j->call->fail(why);
}

void succeeded(const router_ptr& st, const job_ptr& j, const scored& s,
               const json& result, double latency_ms) {
  auto sc = result.value("structuredContent", json::object());
  auto completion =
    sc.value("usage", json::object()).value("completion_tokens", int64_t{0});
  {
    // The actual cost and tokens replace the estimates (which stand in
    // when the provider reported none).
    auto actual = sc.value("cost_usd", json());
    auto usage = sc.value("usage", json::object());
    auto est_tokens = tokens_of(*j, s);
    auto tokens = usage.contains("prompt_tokens") || usage.contains("completion_tokens")
                    ? static_cast<double>(usage.value("prompt_tokens", int64_t{0}) + completion)
                    : est_tokens;
    use_leases(*st, spend_of(st, *j, s,
                             (actual.is_number() ? actual.get<double>() : s.cost_usd)
                               - s.cost_usd,
                             tokens - est_tokens));
  }
  st->live.success(s.c.provider, s.c.model, latency_ms, completion);
  ++st->generated;
  interaction x;
  x.id = st->new_id();
  x.prompt = j->prompt;
  x.task_type = j->task_type;
  // The catalog's id is what the memory knows the model by; the provider
  // may name the model it served more precisely (a dated version).
  x.model = s.c.model;
  x.provider = s.c.provider;
  if (auto c = sc.find("cost_usd"); c != sc.end() && c->is_number())
    x.cost_usd = c->get<double>();
  auto usage = sc.value("usage", json::object());
  auto prompt_tokens = usage.value("prompt_tokens", int64_t{0});
  auto text = mcp::result_text(result);
  x.extra = {{"source", "intelligent_generate"},
             {"api_key", j->api_key},
             {"at", runtime::format_utc(j->wall_start)},
             {"served_model", sc.value("model", s.c.model)},
             {"output", text},
             {"prompt_tokens", prompt_tokens},
             {"completion_tokens", completion},
             {"latency_ms", latency_ms}};
  json candidates = json::array();
  auto shown = static_cast<size_t>(j->args.value("candidates", shown_by_default));
  for (size_t i = 0; i < j->d.ranked.size() && i < shown; ++i)
    candidates.push_back(describe(j->d.ranked[i], st->live));
  json excluded = json::array();
  for (size_t i = 0; i < j->d.excluded.size() && i < shown; ++i)
    excluded.push_back({{"provider", j->d.excluded[i].c.provider},
                        {"model", j->d.excluded[i].c.model},
                        {"reason", j->d.excluded[i].excluded}});
  json out{{"interaction_id", x.id},
           {"model", x.model},
           {"provider", x.provider},
           {"text", text},
           {"usage",
            {{"prompt_tokens", prompt_tokens},
             {"completion_tokens", completion},
             {"total_tokens", prompt_tokens + completion}}},
           {"cost_usd", x.cost_usd >= 0 ? json(x.cost_usd) : json()},
           {"latency_ms", latency_ms},
           {"decision_us", j->decision_us},
           {"estimate", {{"quality", s.quality}, {"cost_usd", s.cost_usd}}},
           {"candidates_total", j->d.ranked.size()},
           {"candidates", std::move(candidates)},
           {"excluded", std::move(excluded)},
           {"fallbacks", j->fallbacks},
           {"reference_cost_usd", j->d.reference_cost},
           {"api_key", j->api_key},
           {"lambda", j->d.lambda}};
  if (j->max_cost && x.cost_usd > *j->max_cost)
    out["over_max_cost"] = true;
  auto meta = route_metadata(j);
  meta["interaction_id"] = x.id;
  meta["model"] = x.model;
  meta["provider"] = x.provider;
  meta["estimate"] = out["estimate"];
  meta["cost_usd"] = out["cost_usd"];
  // The whole call inside the router, for who measures its overhead.
  out["router_us"] = std::chrono::duration<double, std::micro>(clock_type::now() - j->start).count();
  j->call->reply(text, std::move(out));
  // The bookkeeping after the answer is on its way: the caller need not
  // wait for it, and a feedback on this interaction_id is a later message
  // of this actor, so it finds the interaction remembered.
  store_interaction(st, x);
  st->remember(std::move(x));
  trace_route(st, j, std::move(text), meta);
}

void call_provider(const router_ptr& st, const job_ptr& j, const scored& s);

void attempt(const router_ptr& st, const job_ptr& j) {
  auto& ranked = j->d.ranked;
  while (j->next < ranked.size() && j->failed.count(ranked[j->next].c.provider))
    ++j->next;
  if (j->next >= ranked.size())
    return finish_failed(st, j);
  auto s = ranked[j->next++];
  auto rates = limits_of_provider(st->limits, s.c.provider);
  if (rates.empty())
    return call_provider(st, j, s);
  // The provider's cluster rates: one over them is skipped for the next
  // candidate, as a failure that is not the provider's fault.
  auto needs = needs_of(rates, 0, 1, tokens_of(*j, s));
  ensure_leases(j->call->self(), st, needs, [st, j, s, needs, rates] {
    if (j->call->cancelled())
      return;
    if (auto why = lease_refusal(*st, needs); !why.empty()) {
      j->failed.insert(s.c.provider);
      j->fallbacks.push_back(
        {{"provider", s.c.provider}, {"model", s.c.model}, {"error", why}});
      return attempt(st, j);
    }
    // Its requests now; its tokens with the key's (`spend_of`).
    use_leases(*st, needs_of({{}, rates.calls, {}}, 0, 1, 0));
    call_provider(st, j, s);
  });
}

void call_provider(const router_ptr& st, const job_ptr& j, const scored& s) {
  auto& c = j->call;
  if (c->cancelled())
    return;
  json args{{"model", s.c.model}};
  for (auto* k : {"prompt", "messages", "max_tokens", "temperature"})
    if (j->args.contains(k))
      args[k] = j->args[k];
  mcp::tool_request req{
    .tool = "chat",
    .arguments = std::move(args),
    .deadline = st->live.of(s.c.provider, s.c.model).deadline(st->opts.call_deadline),
    .caller = "ai.intelligent_generate",
    .trace_id = c->id() + "/" + std::to_string(j->next)};
  // The client's progress token travels on: the provider streams the
  // answer as progress notifications straight to the client's channel.
  if (auto meta = c->params().find("_meta"); meta != c->params().end())
    req.meta = *meta;
  // The provider's LLM span becomes a child of the route's.
  if (!j->trace_id.empty()) {
    if (!req.meta.is_object())
      req.meta = json::object();
    req.meta["traceparent"] = ai::traceparent(j->trace_id, j->span_id);
  }
  auto started = clock_type::now();
  // The estimate counts until the call ends; a failure gives it back.
  auto spend = spend_of(st, *j, s, s.cost_usd, tokens_of(*j, s));
  use_leases(*st, spend);
  auto on_failure = [st, j, s, spend](std::string error) {
    use_leases(*st, spend, -1);
    st->live.failure(s.c.provider, s.c.model, error);
    j->failed.insert(s.c.provider);
    j->fallbacks.push_back(
      {{"provider", s.c.provider}, {"model", s.c.model}, {"error", error}});
    ++st->fallbacks;
    attempt(st, j);
  };
  mcp::call_tool(
    c->self(), st->opts.registry, "mcp." + s.c.provider, req,
    [st, j, s, started](json& doc) {
      auto ms = std::chrono::duration<double, std::milli>(clock_type::now() - started)
                  .count();
      succeeded(st, j, s, doc, ms);
    },
    [on_failure](caf::error& err) { on_failure(runtime::detail_of(err)); },
    c->can_ask() ? c->channel() : caf::actor{});
}

/// The caller's API key's cluster-wide limits: its calls and tokens this
/// minute must fit, and only candidates whose estimate fits what is left
/// of its budgets stay; then the best is called.
void admit(const router_ptr& st, const job_ptr& j) {
  auto start = [st, j] {
    auto& best = j->d.ranked.front();
    j->call->progress(0, std::nullopt,
                      "routing to " + best.c.model + " on " + best.c.provider);
    attempt(st, j);
  };
  auto& ks = j->key_limits;
  if (ks.empty())
    return start();
  auto& best = j->d.ranked.front();
  ensure_leases(
    j->call->self(), st, needs_of(ks, best.cost_usd, 1, tokens_of(*j, best)),
    [st, j, start] {
      auto& c = j->call;
      if (c->cancelled())
        return;
      auto& ks = j->key_limits;
      auto rates = needs_of({{}, ks.calls, ks.tokens}, 0, 1, tokens_of(*j, j->d.ranked.front()));
      if (auto why = lease_refusal(*st, rates); !why.empty())
        return c->fail("ai.intelligent_generate refused: " + why);
      if (!ks.budgets.empty()) {
        auto now = runtime::unix_ms_now();
        auto headroom = std::numeric_limits<double>::infinity();
        for (auto& l : ks.budgets)
          headroom = std::min(headroom, st->leases.left(l, now));
        std::vector<scored> fit;
        double cheapest = -1;
        for (auto& s : j->d.ranked) {
          if (s.cost_usd <= headroom)
            fit.push_back(std::move(s));
          else if (cheapest < 0 || s.cost_usd < cheapest)
            cheapest = s.cost_usd;
        }
        if (fit.empty())
          return c->fail("ai.intelligent_generate refused: "
                         + lease_refusal(*st, needs_of({ks.budgets, {}, {}}, cheapest, 0, 0)));
        j->d.ranked = std::move(fit);
      }
      use_leases(*st, needs_of({{}, ks.calls, {}}, 0, 1, 0));
      start();
    });
}

} // namespace

mcp::tool generate_tool(const router_ptr& st) {
  return {
    .name = "intelligent_generate",
    .title = "Generate with the best model for the price",
    .description =
      "Answers a prompt with the model most likely to answer it well for "
      "the price, judged per prompt from the feedback of similar past "
      "prompts (ai.log_ai_interaction, ai.feedback), each model's price and "
      "its live success rate, weighted by cost_priority and "
      "performance_priority. Falls back to the next best model on another "
      "provider when a call fails. The result names the model, its cost, "
      "the candidates considered and an interaction_id to score with "
      "ai.feedback.",
    .input_schema = input_schema,
    .hints = {.read_only = false, .destructive = false, .idempotent = false,
              .open_world = true},
    .run =
      [st](const mcp::call_ptr& c) {
        auto& a = c->arguments();
        auto has_prompt = a.contains("prompt");
        auto has_messages = a.contains("messages");
        if (has_prompt == has_messages)
          return c->reject(runtime::errc::rejected,
                           "Invalid arguments for tool ai.intelligent_generate: "
                           "give exactly one of `prompt` and `messages`");
        auto t0 = clock_type::now();
        auto j = std::make_shared<job>();
        j->api_key = api_key_of(c->caller());
        j->key_limits = limits_of_key(st->limits, j->api_key);
        j->call = c;
        j->args = a;
        j->start = t0;
        j->wall_start = std::chrono::system_clock::now();
        if (st->opts.tracer && st->opts.tracer()) {
          // The client's trace when it sent one (W3C trace context in
          // `_meta`), else a new one.
          std::string tp;
          if (auto m = c->params().find("_meta"); m != c->params().end() && m->is_object())
            if (auto x = m->find("traceparent"); x != m->end() && x->is_string())
              tp = x->get<std::string>();
          if (!ai::parse_traceparent(tp, j->trace_id, j->parent_span_id)) {
            j->trace_id = ai::random_id(16);
            j->parent_span_id.clear();
          }
          j->span_id = ai::random_id(8);
        }
        j->prompt = prompt_text(a, "messages", "prompt");
        j->task_type = a.value("task_type", "simple");
        ask q;
        q.task_type = j->task_type;
        q.cost = *parse_priority(a.value("cost_priority", "medium"));
        q.performance = *parse_priority(a.value("performance_priority", "medium"));
        // ~4 characters a token, as the providers' tokenizers average.
        q.prompt_tokens = j->prompt_tokens = static_cast<int64_t>(j->prompt.size() / 4 + 1);
        q.max_tokens = j->max_tokens = a.value("max_tokens", int64_t{0});
        if (a.contains("max_cost_usd"))
          q.max_cost_usd = j->max_cost = a["max_cost_usd"].get<double>();
        model_filter f;
        f.capability = "chat";
        if (a.contains("model"))
          f.ids = {a["model"].get<std::string>()};
        else if (a.contains("models"))
          f.ids = a["models"].get<std::vector<std::string>>();
        auto entries = st->models.find(f);
        if (entries.empty()) {
          std::string why;
          if (st->models.size() == 0) {
            why = "the model catalog is empty: no provider has listed its models yet";
            for (auto& [p, e] : st->refresh_errors)
              why += "; " + p + ": " + e;
          } else {
            why = "no chat model of the catalog matches ";
            why += a.contains("model") ? "`model`" : "`models`";
            why += " (see ai.models)";
          }
          return c->fail("ai.intelligent_generate: " + why);
        }
        auto cands = candidates_of(*st, entries, j->task_type);
        auto v = st->embed(j->prompt);
        auto d = decide(st->memory, v, q, std::move(cands));
        if (auto* err = std::get_if<std::string>(&d))
          return c->fail("ai.intelligent_generate: " + *err);
        j->d = std::move(std::get<decision>(d));
        j->decision_us =
          std::chrono::duration<double, std::micro>(clock_type::now() - t0).count();
        st->decision_us.push_back(j->decision_us);
        if (st->decision_us.size() > 1000)
          st->decision_us.pop_front();
        if (j->d.ranked.empty()) {
          std::string why = "ai.intelligent_generate: no candidate fits";
          for (size_t i = 0; i < j->d.excluded.size() && i < 5; ++i)
            why += "; " + j->d.excluded[i].c.model + " on "
                   + j->d.excluded[i].c.provider + ": " + j->d.excluded[i].excluded;
          return c->fail(why);
        }
        admit(st, j);
      },
  };
}

} // namespace sophia::actors::optimizer
