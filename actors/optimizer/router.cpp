#include "actors/optimizer/router.hpp"

#include <caf/all.hpp>

#include <algorithm>

#include "actors/optimizer/router_state.hpp"
#include "runtime/mcp/call_tool.hpp"
#include "runtime/error.hpp"
#include "runtime/mcp/results.hpp"
#include "runtime/utc.hpp"
#include "runtime/log.hpp"

namespace sophia::actors::optimizer {

namespace mcp = runtime::mcp;
using nlohmann::json;

namespace {

using refresh_atom = caf::atom_constant<caf::atom("rrefresh")>;

constexpr const char* models_uri = "sophia://models";

const char* models_schema = R"({
  "type": "object",
  "properties": {
    "capability": {"type": "string", "enum": ["chat", "embed", "code", "vision", "tools"]},
    "provider": {"type": "string"},
    "search": {"type": "string", "description": "A part of the id or name, any case."},
    "max_prompt_usd_per_mtok": {"type": "number", "minimum": 0},
    "limit": {"type": "integer", "minimum": 1, "maximum": 5000, "default": 200},
    "refresh": {"type": "boolean", "default": false,
                "description": "Ask the providers for their model lists now, then answer."}
  },
  "additionalProperties": false
})";

json catalog_json(const router_state& st, const model_filter& f, size_t limit) {
  auto found = st.models.find(f);
  json rows = json::array();
  for (size_t i = 0; i < found.size() && i < limit; ++i)
    rows.push_back(found[i].to_json());
  json errors = json::object();
  for (auto& [p, e] : st.refresh_errors)
    errors[p] = e;
  return {{"total", found.size()}, {"models", std::move(rows)},
          {"refresh_errors", std::move(errors)}};
}

/// Asks every provider with a model list for it; schedules the next
/// refresh: soon while a provider has not answered, else after the period.
void refresh(caf::event_based_actor* self, const router_ptr& st) {
  if (st->refreshing)
    return;
  auto providers = st->opts.providers ? st->opts.providers()
                                      : std::vector<provider_ref>{};
  auto pending = std::make_shared<size_t>(0);
  for (auto& p : providers)
    if (p.lists_models)
      ++*pending;
  // Providers no longer configured leave the catalog.
  for (auto& name : st->models.providers())
    if (std::none_of(providers.begin(), providers.end(),
                     [&](const provider_ref& p) { return p.service == name; }))
      st->models.set_provider(name, json::array());
  if (*pending == 0) {
    self->delayed_send(self, st->opts.refresh, refresh_atom::value);
    auto waiters = std::move(st->refresh_waiters);
    st->refresh_waiters.clear();
    for (auto& w : waiters)
      w();
    return;
  }
  st->refreshing = true;
  auto done = [self, st, pending] {
    if (--*pending > 0)
      return;
    st->refreshing = false;
    auto again = st->refresh_errors.empty() ? st->opts.refresh : st->opts.retry;
    self->delayed_send(self, again, refresh_atom::value);
    auto waiters = std::move(st->refresh_waiters);
    st->refresh_waiters.clear();
    for (auto& w : waiters)
      w();
  };
  for (auto& p : providers) {
    if (!p.lists_models)
      continue;
    auto name = p.service;
    mcp::call_tool(
      self, st->opts.registry, "mcp." + name,
      {.tool = "models", .arguments = {{"limit", 1000}},
       .deadline = std::chrono::seconds{30}, .caller = "ai.router"},
      [st, name, done](json& doc) {
        auto sc = doc.value("structuredContent", json());
        if (!sc.is_object()) {
          st->refresh_errors[name] = "the reply has no structuredContent";
        } else {
          auto n = st->models.set_provider(name, sc.value("models", json::array()));
          if (st->refresh_errors.erase(name) > 0 || n > 0)
            runtime::log::get("ai")->debug("router: {} lists {} models", name, n);
        }
        done();
      },
      [st, name, done](caf::error& err) {
        // The last good rows stay.
        st->refresh_errors[name] = runtime::detail_of(err);
        done();
      });
  }
}

void answer_models(const router_ptr& st, const mcp::call_ptr& c, const json& a) {
  model_filter f;
  f.capability = a.value("capability", "");
  f.provider = a.value("provider", "");
  f.search = a.value("search", "");
  if (a.contains("max_prompt_usd_per_mtok"))
    f.max_prompt_usd_per_mtok = a["max_prompt_usd_per_mtok"].get<double>();
  auto out = catalog_json(*st, f, a.value("limit", size_t{200}));
  std::string text = std::to_string(out["models"].size()) + " of "
                     + std::to_string(out["total"].get<size_t>())
                     + " models (provider, id, USD per million prompt / "
                       "completion tokens):";
  auto price = [](const json& x) { return x.is_null() ? std::string{"?"} : x.dump(); };
  for (auto& m : out["models"])
    text += "\n" + m["provider"].get<std::string>() + " " + m["id"].get<std::string>()
            + ": " + price(m["prompt_usd_per_mtok"]) + " / "
            + price(m["completion_usd_per_mtok"]);
  c->reply(std::move(text), std::move(out));
}

} // namespace

mcp::tool models_tool(const router_ptr& st) {
  return {
    .name = "models",
    .title = "AI model catalog",
    .description =
      "Lists the models every configured AI provider serves, with price in "
      "USD per million prompt and completion tokens, context length and "
      "capabilities (chat, embed, code, vision): the models "
      "ai.intelligent_generate chooses from. Filter by capability, "
      "provider, a search text or a maximum prompt price.",
    .input_schema = models_schema,
    .hints = {.read_only = true, .destructive = false, .idempotent = true,
              .open_world = false},
    .run =
      [st](const mcp::call_ptr& c) {
        auto& a = c->arguments();
        if (a.value("refresh", false)) {
          // Answer once every provider answered (or failed): a failure
          // keeps that provider's last good rows.
          st->refresh_waiters.push_back([st, c] {
            auto args = c->arguments();
            args.erase("refresh");
            answer_models(st, c, args);
          });
          refresh(c->self(), st);
          return;
        }
        answer_models(st, c, a);
      },
  };
}

mcp::tool status_tool(const router_ptr& st) {
  return {
    .name = "router_status",
    .title = "AI router status",
    .description =
      "The router's state: outcomes remembered, interactions logged and "
      "scored, calls routed and fallbacks taken, decision time, and per "
      "provider and model the live success rate, latency and breaker.",
    .input_schema = R"({"type":"object","properties":{},"additionalProperties":false})",
    .hints = {.read_only = true, .destructive = false, .idempotent = true,
              .open_world = false},
    .run =
      [st](const mcp::call_ptr& c) {
        std::vector<double> us(st->decision_us.begin(), st->decision_us.end());
        std::sort(us.begin(), us.end());
        auto q = [&](double p) {
          return us.empty() ? 0.0
                            : us[static_cast<size_t>(p * static_cast<double>(us.size() - 1))];
        };
        json out{{"prompts", st->memory.prompts()},
                 {"outcomes", st->memory.outcomes()},
                 {"models_in_catalog", st->models.size()},
                 {"interactions_kept", st->interactions.size()},
                 {"generated", st->generated},
                 {"fallbacks", st->fallbacks},
                 {"failed", st->failed},
                 {"logged", st->logged},
                 {"feedbacks", st->feedbacks},
                 {"decision_us_p50", q(0.5)},
                 {"decision_us_p99", q(0.99)},
                 {"store", store_status(*st)},
                 {"leases", st->leases.to_json()},
                 {"live", st->live.to_json()}};
        auto text = std::to_string(st->memory.outcomes()) + " outcomes of "
                    + std::to_string(st->memory.prompts()) + " prompts; "
                    + std::to_string(st->generated) + " routed, "
                    + std::to_string(st->fallbacks) + " fallbacks";
        c->reply(std::move(text), std::move(out));
      },
  };
}

caf::expected<caf::actor> spawn_router(caf::actor_system& sys,
                                       router_options opts) {
  auto mem = outcome_memory::make(runtime::vectors::hashing_embedder{}.dimension());
  if (auto* err = std::get_if<std::string>(&mem))
    return runtime::make_error(runtime::errc::rejected, *err);
  auto st = std::make_shared<router_state>(std::move(opts),
                                           std::move(std::get<outcome_memory>(mem)));
  mcp::service_spec spec{"router", st->opts.domain};
  // Tools of two namespaces: ai.* and sophia.optimize_routing.
  spec.prefix = "";
  spec.tools.push_back(generate_tool(st));
  spec.tools.push_back(log_tool(st));
  spec.tools.push_back(feedback_tool(st));
  spec.tools.push_back(models_tool(st));
  spec.tools.push_back(status_tool(st));
  spec.tools.push_back(costs_tool(st));
  spec.tools.push_back(optimize_tool(st));
  for (auto& t : spec.tools)
    if (t.name.find('.') == std::string::npos)
      t.name = "ai." + t.name;
  spec.resources = json::array({{{"uri", models_uri},
                                 {"name", "models"},
                                 {"title", "AI model catalog"},
                                 {"description",
                                  "Every model the AI providers serve, with prices, "
                                  "context length and capabilities (JSON)."},
                                 {"mimeType", "application/json"}}});
  spec.methods["resources/read"] = [st](const mcp::call_ptr& c) {
    auto uri = c->params().value("uri", "");
    if (uri != models_uri)
      return c->reject(runtime::errc::not_found, "Resource not found: " + uri);
    auto body = catalog_json(*st, {}, 100000);
    c->reply_result({{"contents",
                      json::array({{{"uri", models_uri},
                                    {"mimeType", "application/json"},
                                    {"text", body.dump(2)}}})}});
  };
  auto registry = st->opts.registry;
  spec.on_start = [st](caf::event_based_actor* self) {
    refresh(self, st);
    start_store(self, st);
  };
  spec.handlers = [st](caf::event_based_actor* self) {
    return caf::message_handler{
      [self, st](refresh_atom) { refresh(self, st); },
    }.or_else(store_handlers(self, st));
  };
  return mcp::spawn_service(sys, registry, std::move(spec));
}

} // namespace sophia::actors::optimizer
