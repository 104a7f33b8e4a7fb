#include "actors/ai/provider_state.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace sophia::actors::ai {

namespace mcp = runtime::mcp;
using nlohmann::json;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) {
    return static_cast<char>(std::tolower(ch));
  });
  return s;
}

std::string price_text(const json& v) {
  if (!v.is_number()) return "?";
  std::ostringstream out;
  out << "$" << v.get<double>();
  return out.str();
}

} // namespace

void refresh_prices(caf::event_based_actor* self,
                    const state_ptr& st,
                    std::chrono::minutes max_age) {
  auto has_prices = st->p.kind == provider_kind::openrouter ||
                    st->p.kind == provider_kind::together_ai;
  auto now = std::chrono::steady_clock::now();
  if (!has_prices || st->prices_fetching ||
      (st->prices_at != std::chrono::steady_clock::time_point{} &&
       now - st->prices_at < max_age))
    return;
  st->prices_fetching = true;
  auto req = std::make_shared<runtime::http::request>(st->make_request("GET", "/models"));
  self
    ->request(st->http, caf::infinite, runtime::http::fetch::value,
              runtime::http::request_ptr{ req })
    .then(
      [st](const runtime::http::response_ptr& r) {
        if (r->status >= 200 && r->status <= 299) {
          auto body = json::parse(r->body, nullptr, false);
          if (!body.is_discarded()) read_models(*st, body);
        }
        prices_known(*st);
      },
      [st](caf::error&) { prices_known(*st); });
}

void prices_known(provider_state& st) {
  st.prices_fetching = false;
  auto waiting = std::move(st.waiting_for_prices);
  st.waiting_for_prices.clear();
  for (auto& f : waiting) f();
}

mcp::tool models_tool(const state_ptr& st) {
  auto& d = st->p.display;
  json input = {
    { "type", "object" },
    { "properties",
      { { "search",
          { { "type", "string" },
            { "description",
              "Only models whose id or name contains this (any case)." } } },
        { "limit",
          { { "type", "integer" },
            { "minimum", 1 },
            { "maximum", 1000 },
            { "default", 50 } } } } },
    { "additionalProperties", false },
  };
  json nullable_number = { { "type", { "number", "null" } } };
  json output = {
    { "type", "object" },
    { "properties",
      { { "total", { { "type", "integer" } } },
        { "models",
          { { "type", "array" },
            { "items",
              { { "type", "object" },
                { "properties",
                  { { "id", { { "type", "string" } } },
                    { "name", { { "type", "string" } } },
                    { "context_length", { { "type", { "integer", "null" } } } },
                    { "prompt_usd_per_mtok", nullable_number },
                    { "completion_usd_per_mtok", nullable_number } } },
                { "required", { "id" } } } } } } } },
    { "required", { "total", "models" } },
  };
  return {
    .name = "models",
    .title = d + " models and prices",
    .description =
      "Lists the models " + d +
      " serves, with context length and price in USD per million prompt and "
      "completion tokens. Use it to pick a `model` for " + st->p.service +
      ".chat; `search` narrows the list.",
    .input_schema = input.dump(),
    .output_schema = output.dump(),
    .hints = { .read_only = true,
               .destructive = false,
               .idempotent = true,
               .open_world = true },
    .run =
      [st](const mcp::call_ptr& c) {
        auto search = lower(c->arguments().value("search", std::string{}));
        auto limit = c->arguments().value("limit", 50);
        send(st, c, st->make_request("GET", "/models"),
             [st, c, search, limit](http_result r) {
               auto body = json_body(st, c, r);
               if (!body) return;
               auto rows = read_models(*st, *body);
               json picked = json::array();
               for (auto& row : rows) {
                 auto id = row["id"].get<std::string>();
                 if (!search.empty() &&
                     lower(id).find(search) == std::string::npos &&
                     lower(row.value("name", "")).find(search) == std::string::npos)
                   continue;
                 if (static_cast<int>(picked.size()) < limit) picked.push_back(row);
               }
               std::string text = std::to_string(picked.size()) + " of " +
                                  std::to_string(rows.size()) + " " +
                                  st->p.display +
                                  " models (USD per million tokens, prompt / "
                                  "completion):";
               for (auto& row : picked)
                 text += "\n" + row["id"].get<std::string>() + ": " +
                         price_text(row["prompt_usd_per_mtok"]) + " / " +
                         price_text(row["completion_usd_per_mtok"]);
               c->reply(std::move(text),
                        { { "total", rows.size() }, { "models", std::move(picked) } });
             });
      },
  };
}

} // namespace sophia::actors::ai
