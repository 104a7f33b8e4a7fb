// sophia.optimize_routing: the routing plan for a capability that several
// services offer (chat, embed): which model on which provider, in which
// order, with which deadline, and why; from the catalog's prices, the live
// record (success rate, latency, breakers) and the outcome memory. The same
// decision ai.intelligent_generate acts on.

#include "actors/optimizer/router_state.hpp"

#include <caf/all.hpp>

#include <cstdio>

namespace sophia::actors::optimizer {

namespace mcp = runtime::mcp;
using nlohmann::json;

namespace {

const char* schema = R"({
  "type": "object",
  "properties": {
    "request_type": {"type": "string", "enum": ["chat", "embed"]},
    "requirements": {
      "type": "object",
      "properties": {
        "cost_priority": {"type": "string", "enum": ["low", "medium", "high"], "default": "medium"},
        "performance_priority": {"type": "string", "enum": ["low", "medium", "high"], "default": "medium"},
        "reliability_priority": {"type": "string", "enum": ["low", "medium", "high"], "default": "medium"}
      },
      "additionalProperties": false
    },
    "task_type": {"type": "string", "enum": ["simple", "complex", "code", "analysis"], "default": "simple"},
    "prompt": {"type": "string", "description": "Plan for this prompt (else for the task type as a whole)."},
    "models": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    "max_steps": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5}
  },
  "required": ["request_type"],
  "additionalProperties": false
})";

std::string why(const scored& s, const model_record& r, bool open) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "expected quality %.3f (%s), estimated cost $%.6g (%s), success %.0f %%, "
                "p95 %.0f ms, breaker %s",
                s.quality,
                s.from_memory            ? (s.neighbours > 0 ? "from similar prompts"
                                                             : "from its task type")
                : s.c.prior_quality >= 0 ? "configured prior, no outcomes yet"
                                         : "price prior, no outcomes yet",
                s.cost_usd, s.cost_basis.c_str(), 100 * s.c.success_rate, r.p95_ms(),
                open ? "open" : "closed");
  return buf;
}

} // namespace

mcp::tool optimize_tool(const router_ptr& st) {
  return {
    .name = "sophia.optimize_routing",
    .title = "Routing plan",
    .description =
      "Plans how to serve a request type that several services offer (chat, "
      "embed): the models and providers to try in order, each with its "
      "deadline and the reasons (expected quality from past feedback, "
      "estimated cost, live success rate, latency and breaker), weighted by "
      "cost, performance and reliability priorities. Give a prompt to plan "
      "for that prompt. It calls nothing.",
    .input_schema = schema,
    .hints = {.read_only = true, .destructive = false, .idempotent = true,
              .open_world = false},
    .run =
      [st](const mcp::call_ptr& c) {
        auto& a = c->arguments();
        auto req = a.value("requirements", json::object());
        ask q;
        q.task_type = a.value("task_type", "simple");
        q.cost = *parse_priority(req.value("cost_priority", "medium"));
        q.performance = *parse_priority(req.value("performance_priority", "medium"));
        auto reliability = *parse_priority(req.value("reliability_priority", "medium"));
        q.reliability_power = reliability == priority::low    ? 1
                              : reliability == priority::medium ? 2
                                                                : 4;
        auto prompt = prompt_text(a, "messages", "prompt");
        q.prompt_tokens = static_cast<int64_t>(prompt.size() / 4 + 1);
        model_filter f;
        f.capability = a["request_type"].get<std::string>();
        if (a.contains("models"))
          f.ids = a["models"].get<std::vector<std::string>>();
        auto entries = st->models.find(f);
        if (entries.empty())
          return c->fail("sophia.optimize_routing: no model of the catalog offers "
                         + f.capability + (a.contains("models") ? " among `models`" : "")
                         + " (see ai.models)");
        std::vector<float> v(st->embedder.dimension(), 0.0f);
        if (!prompt.empty())
          v = st->embed(prompt);
        auto d = decide(st->memory, v, q, candidates_of(*st, entries, q.task_type));
        if (auto* err = std::get_if<std::string>(&d))
          return c->fail("sophia.optimize_routing: " + *err);
        auto& plan = std::get<decision>(d);
        auto max_steps = a.value("max_steps", size_t{5});
        json steps = json::array();
        std::string text = "Plan for " + f.capability + " (" + q.task_type + "):";
        for (auto& s : plan.ranked) {
          if (steps.size() >= max_steps)
            break;
          auto& r = st->live.of(s.c.provider, s.c.model);
          // High reliability: a provider behind an open breaker is left out.
          if (s.c.breaker_open && reliability == priority::high)
            continue;
          auto reason = why(s, r, s.c.breaker_open);
          auto deadline = r.deadline(st->opts.call_deadline).count();
          steps.push_back({{"step", steps.size() + 1},
                           {"provider", s.c.provider},
                           {"model", s.c.model},
                           {"timeout_ms", deadline},
                           {"quality", s.quality},
                           {"cost_usd", s.cost_usd},
                           {"success_rate", s.c.success_rate},
                           {"latency_p95_ms", r.p95_ms()},
                           {"breaker", s.c.breaker_open ? "open" : "closed"},
                           {"utility", s.utility},
                           {"reason", reason}});
          text += "\n" + std::to_string(steps.size()) + ". " + s.c.model + " on "
                  + s.c.provider + " (timeout " + std::to_string(deadline) + " ms): "
                  + reason;
        }
        text += "\nOn a failure or timeout: the next step on another provider.";
        c->reply(std::move(text),
                 {{"request_type", f.capability},
                  {"steps", std::move(steps)},
                  {"fallback", "on a failure or timeout, the next step whose provider "
                               "has not failed in this request"},
                  {"lambda", plan.lambda},
                  {"reference_cost_usd", plan.reference_cost},
                  {"candidates", plan.ranked.size()},
                  {"excluded", plan.excluded.size()}});
      },
  };
}

} // namespace sophia::actors::optimizer
