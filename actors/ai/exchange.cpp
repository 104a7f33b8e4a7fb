#include "actors/ai/errors.hpp"
#include "actors/ai/provider_state.hpp"

#include <caf/all.hpp>

#include "runtime/config/secrets.hpp"

namespace sophia::actors::ai {

namespace http = runtime::http;
using nlohmann::json;

http::request provider_state::make_request(std::string method,
                                           const std::string& path) const {
  http::request req;
  req.service = p.service;
  req.method = std::move(method);
  req.url = p.base_url + path;
  req.headers = p.headers;
  req.headers.emplace_back("accept", "application/json");
  return req;
}

void send(const state_ptr& st,
          const runtime::mcp::call_ptr& call,
          http::request req,
          std::function<void(http_result)> then) {
  if (req.tag.empty()) req.tag = call->id() + "#" + std::to_string(++st->next_tag);
  if (!req.body.empty())
    req.headers.emplace_back("content-type", "application/json");
  auto tag = req.tag;
  auto client = st->http;
  call->on_cancel([client, tag] {
    caf::anon_send(client, http::cancel::value, tag);
  });
  auto ptr = std::make_shared<const http::request>(std::move(req));
  call->self()
    ->request(st->http, caf::infinite, http::fetch::value, ptr)
    .then([then](const http::response_ptr& r) { then(r); },
          [then](caf::error& err) { then(std::move(err)); });
}

std::optional<json> json_body(const state_ptr& st,
                              const runtime::mcp::call_ptr& call,
                              const http_result& r,
                              std::string* failure) {
  auto& svc = st->p.service;
  auto fail = [&](std::string text) -> std::optional<json> {
    if (failure != nullptr) *failure = text;
    call->fail(std::move(text));
    return std::nullopt;
  };
  if (!r)
    return fail(runtime::config::redact(describe_error(svc, r.error()),
                                        st->p.secrets));
  auto& resp = **r;
  if (resp.status < 200 || resp.status > 299)
    return fail(runtime::config::redact(
      describe_status(svc, st->p.secret_ref, resp), st->p.secrets));
  auto body = json::parse(resp.body, nullptr, false);
  if (body.is_discarded())
    return fail(svc + ": the response is not valid JSON (HTTP " +
                std::to_string(resp.status) + ", " +
                std::to_string(resp.body.size()) +
                " bytes); the service or a proxy in between sent something "
                "else");
  return body;
}

namespace {

/// A price given as a decimal string (OpenRouter) or a number.
std::optional<double> number_of(const json& x) {
  if (x.is_number()) return x.get<double>();
  if (x.is_string()) {
    try {
      size_t used = 0;
      auto s = x.get<std::string>();
      auto v = std::stod(s, &used);
      if (used == s.size()) return v;
    } catch (...) {
      // Not a number: no price.
    }
  }
  return std::nullopt;
}

} // namespace

json read_models(provider_state& st, const json& body) {
  const json* list = &body;
  if (body.is_object() && body.contains("data")) list = &body["data"];
  json rows = json::array();
  if (!list->is_array()) return rows;
  for (auto& m : *list) {
    if (!m.is_object() || !m.contains("id") || !m["id"].is_string()) continue;
    json row = { { "id", m["id"] } };
    row["name"] = m.value("name", m.value("display_name", m["id"].get<std::string>()));
    auto ctx = m.find("context_length");
    row["context_length"] =
      ctx != m.end() && ctx->is_number() ? *ctx : json(nullptr);
    std::optional<double> prompt, completion;
    if (auto pr = m.find("pricing"); pr != m.end() && pr->is_object()) {
      if (pr->contains("prompt")) {
        // OpenRouter: USD per token, as decimal strings.
        prompt = number_of((*pr)["prompt"]);
        completion = number_of(pr->value("completion", json(nullptr)));
      } else if (pr->contains("input")) {
        // Together: USD per million tokens.
        if (auto v = number_of((*pr)["input"])) prompt = *v / 1e6;
        if (auto v = number_of(pr->value("output", json(nullptr))))
          completion = *v / 1e6;
      }
    }
    row["prompt_usd_per_mtok"] = prompt ? json(*prompt * 1e6) : json(nullptr);
    row["completion_usd_per_mtok"] =
      completion ? json(*completion * 1e6) : json(nullptr);
    if (prompt && completion)
      st.prices[m["id"].get<std::string>()] = { *prompt, *completion };
    rows.push_back(std::move(row));
  }
  st.prices_at = std::chrono::steady_clock::now();
  return rows;
}

} // namespace sophia::actors::ai
