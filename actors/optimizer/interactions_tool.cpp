// ai.log_ai_interaction and ai.feedback: what the router learns from.

#include "actors/optimizer/router_state.hpp"

#include <caf/all.hpp>

#include <chrono>

#include "actors/ai/tracer.hpp"
#include "runtime/utc.hpp"

namespace sophia::actors::optimizer {

namespace mcp = runtime::mcp;
using nlohmann::json;

namespace {

const char* log_schema = R"({
  "type": "object",
  "properties": {
    "model": {"type": "string", "minLength": 1},
    "input": {"description": "The prompt: a string, or OpenAI chat messages.",
              "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]},
    "output": {"type": "string"},
    "metadata": {
      "type": "object",
      "properties": {
        "feedback": {"type": "number", "minimum": 0, "maximum": 1},
        "task_type": {"type": "string", "enum": ["simple", "complex", "code", "analysis"]},
        "provider": {"type": "string"},
        "prompt_tokens": {"type": "integer", "minimum": 0},
        "completion_tokens": {"type": "integer", "minimum": 0},
        "cost_usd": {"type": "number", "minimum": 0},
        "latency_ms": {"type": "number", "minimum": 0},
        "session_id": {"type": "string"},
        "user_id": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}}
      }
    }
  },
  "required": ["model", "input"],
  "additionalProperties": false
})";

const char* feedback_schema = R"({
  "type": "object",
  "properties": {
    "interaction_id": {"type": "string", "minLength": 1},
    "score": {"type": "number", "minimum": 0, "maximum": 1}
  },
  "required": ["interaction_id", "score"],
  "additionalProperties": false
})";

} // namespace

void trace_interaction(const router_ptr& st, const interaction& x,
                       const json& args) {
  auto tracer = st->opts.tracer ? st->opts.tracer() : caf::actor{};
  if (!tracer)
    return;
  auto meta = args.value("metadata", json::object());
  auto t = std::make_shared<ai::llm_call>();
  t->provider = x.provider.empty() ? "external" : x.provider;
  t->model = x.model;
  auto& input = args["input"];
  if (input.is_string())
    t->input_messages.emplace_back("user", input.get<std::string>());
  else
    for (auto& m : input)
      t->input_messages.emplace_back(
        m.value("role", "user"),
        m.contains("content") && m["content"].is_string()
          ? m["content"].get<std::string>()
          : m.value("content", json()).dump());
  t->input_json = input.dump(-1, ' ', false, json::error_handler_t::replace);
  t->output_text = args.value("output", "");
  t->prompt_tokens = meta.value("prompt_tokens", int64_t{0});
  t->completion_tokens = meta.value("completion_tokens", int64_t{0});
  t->total_tokens = t->prompt_tokens + t->completion_tokens;
  if (x.cost_usd >= 0)
    t->cost_usd = x.cost_usd;
  json params{{"interaction_id", x.id}, {"task_type", x.task_type}};
  for (auto* k : {"feedback", "session_id", "user_id", "tags"})
    if (meta.contains(k))
      params[k] = meta[k];
  t->invocation_parameters = params.dump();
  t->end = std::chrono::system_clock::now();
  auto ms = meta.value("latency_ms", 0.0);
  t->start = t->end - std::chrono::microseconds{static_cast<int64_t>(ms * 1000)};
  caf::anon_send(tracer, ai::record_span::value, ai::llm_call_ptr{t});
}

mcp::tool log_tool(const router_ptr& st) {
  return {
    .name = "log_ai_interaction",
    .title = "Log an AI interaction",
    .description =
      "Records an LLM interaction made anywhere (model, input, output, "
      "metadata). With metadata.feedback (a score in [0, 1]) it teaches the "
      "router how well this model answers prompts like this one; without, "
      "score it later with ai.feedback and the returned interaction_id. "
      "Give metadata.task_type (default simple) and cost_usd or token counts "
      "so the router also learns what such prompts cost.",
    .input_schema = log_schema,
    .hints = {.read_only = false, .destructive = false, .idempotent = false,
              .open_world = false},
    .run =
      [st](const mcp::call_ptr& c) {
        auto& a = c->arguments();
        auto meta = a.value("metadata", json::object());
        interaction x;
        x.id = st->new_id();
        x.model = a["model"].get<std::string>();
        x.prompt = a["input"].is_string()
                     ? prompt_text(json{{"prompt", a["input"]}}, "messages", "prompt")
                     : prompt_text(json{{"messages", a["input"]}}, "messages", "prompt");
        x.task_type = meta.value("task_type", "simple");
        x.provider = meta.value("provider", "");
        if (meta.contains("cost_usd")) {
          x.cost_usd = meta["cost_usd"].get<double>();
        } else if (meta.contains("prompt_tokens") || meta.contains("completion_tokens")) {
          // No reported cost: the catalog's price, when it knows the model.
          for (auto& e : st->models.find({.ids = {x.model}}))
            if ((x.provider.empty() || e.provider == x.provider)
                && e.prompt_usd_per_mtok >= 0 && e.completion_usd_per_mtok >= 0) {
              x.cost_usd = (static_cast<double>(meta.value("prompt_tokens", int64_t{0}))
                              * e.prompt_usd_per_mtok
                            + static_cast<double>(meta.value("completion_tokens", int64_t{0}))
                                * e.completion_usd_per_mtok)
                           / 1e6;
              break;
            }
        }
        bool learned = false;
        if (meta.contains("feedback")) {
          x.feedback = meta["feedback"].get<double>();
          if (auto err = st->learn(x, *x.feedback))
            return c->fail("ai.log_ai_interaction: " + *err);
          learned = true;
          ++st->feedbacks;
        }
        ++st->logged;
        x.extra["source"] = "log_ai_interaction";
        x.extra["api_key"] = api_key_of(c->caller());
        x.extra["at"] = runtime::format_utc(std::chrono::system_clock::now());
        if (a.contains("output"))
          x.extra["output"] = a["output"];
        for (auto* k : {"prompt_tokens", "completion_tokens", "latency_ms",
                        "session_id", "user_id", "tags"})
          if (meta.contains(k))
            x.extra[k] = meta[k];
        trace_interaction(st, x, a);
        store_interaction(st, x);
        auto id = x.id;
        st->remember(std::move(x));
        c->reply(learned ? "logged " + id + " with its feedback"
                         : "logged " + id + "; score it with ai.feedback",
                 {{"interaction_id", id}, {"learned", learned}});
      },
  };
}

mcp::tool feedback_tool(const router_ptr& st) {
  return {
    .name = "feedback",
    .title = "Score an AI interaction",
    .description =
      "Scores an interaction (from ai.intelligent_generate or "
      "ai.log_ai_interaction) in [0, 1]: 1 a good answer, 0 a bad one. The "
      "router learns from it: later prompts like this one go to the models "
      "that answered such prompts well. A later score replaces an earlier one.",
    .input_schema = feedback_schema,
    .hints = {.read_only = false, .destructive = false, .idempotent = true,
              .open_world = false},
    .run =
      [st](const mcp::call_ptr& c) {
        auto& a = c->arguments();
        auto id = a["interaction_id"].get<std::string>();
        auto i = st->interactions.find(id);
        if (i == st->interactions.end())
          return c->reject(runtime::errc::rejected,
                           "Invalid arguments for tool ai.feedback: no interaction "
                           + id + " (unknown, or older than the "
                           + std::to_string(st->opts.interactions_kept)
                           + " interactions the router keeps)");
        auto score = a["score"].get<double>();
        if (auto err = st->learn(i->second, score))
          return c->fail("ai.feedback: " + *err);
        ++st->feedbacks;
        i->second.feedback = score;
        store_interaction(st, i->second);
        c->reply("scored " + id + ": " + i->second.model + " " + std::to_string(score),
                 {{"interaction_id", id}, {"model", i->second.model}, {"score", score}});
      },
  };
}

} // namespace sophia::actors::optimizer
