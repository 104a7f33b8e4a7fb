#pragma once

// What the provider tests share: an actor system with Sophia's HTTP client,
// the stand-in server, and a way to call a provider's tools as the edge
// does (a call envelope, optionally with a client channel).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "actors/ai/ai_role.hpp"
#include "actors/ai/provider.hpp"
#include "runtime/call/call.hpp"
#include "runtime/config/cluster_config.hpp"
#include "runtime/error.hpp"
#include "runtime/http/client.hpp"
#include "runtime/mcp/provider.hpp"
#include "runtime/system/setup.hpp"
#include "standin_process.hpp"

namespace sophia::ai_test {

using nlohmann::json;
using namespace std::chrono_literals;

/// The API key the tests configure; must never show up in a result or log.
inline const std::string test_key = "sk-test-SECRET-7f3a9c";

struct ai_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<standin_process> standin;
  caf::actor http;
  std::vector<caf::actor> spawned;

  ai_fixture() {
    runtime::system::announce(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    standin = std::make_unique<standin_process>();
    http = runtime::http::spawn_client(*sys);
  }

  ~ai_fixture() {
    for (auto& a : spawned) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(http, caf::exit_reason::user_shutdown);
  }

  /// `[services.NAME]` pointing at the stand-in, with quick retries.
  runtime::config::service_config service(const std::string& name,
                                          const std::string& api_root) {
    runtime::config::service_config svc;
    svc.name = name;
    svc.api_key = test_key;
    svc.base_url = standin->url() + "/" + api_root;
    svc.backoff_ms = 20;
    svc.timeout_ms = 5000;
    svc.breaker_failures = 3;
    svc.breaker_cooldown_ms = 1500;
    return svc;
  }

  /// Spawns the provider of `svc` with its policy configured.
  caf::actor provider(const runtime::config::service_config& svc) {
    auto kind = actors::ai::kind_of(svc);
    REQUIRE(kind);
    caf::scoped_actor self{ *sys };
    self->request(http, 5s, runtime::http::configure::value, svc.name,
                  actors::ai::policy_of(svc))
      .receive([](caf::ok_atom) {}, [](caf::error&) { FAIL("configure"); });
    auto p = actors::ai::make_profile(svc, *kind, svc.api_key, svc.virtual_key);
    auto a = actors::ai::spawn_provider(*sys, {}, http, p, "ai_intelligence");
    REQUIRE(a);
    spawned.push_back(*a);
    return *a;
  }
};

/// Calls `tool` of `svc` as the edge would; returns the result or error.
inline caf::expected<json> call_tool(caf::actor_system& sys,
                                     const caf::actor& svc,
                                     const std::string& tool,
                                     json args,
                                     const caf::actor& channel = {},
                                     const std::string& id = "call-1",
                                     bool progress = false) {
  caf::scoped_actor self{ sys };
  runtime::call::request req;
  req.method = "tools/call";
  json params = { { "name", tool }, { "arguments", std::move(args) } };
  if (progress) params["_meta"] = { { "progressToken", id } };
  req.payload = params.dump();
  req.trace_id = id;
  auto env = runtime::call::make_envelope(req);
  caf::expected<json> out{ json{} };
  auto on_reply = [&](const runtime::wire::buffer& buf) {
    auto payload = runtime::call::reply_payload(buf);
    if (!payload) out = payload.error();
    else out = json::parse(*payload);
  };
  auto on_error = [&](caf::error& e) { out = std::move(e); };
  if (channel)
    self->request(svc, 30s, runtime::atoms::call::value, env, channel)
      .receive(on_reply, on_error);
  else
    self->request(svc, 30s, runtime::atoms::call::value, env)
      .receive(on_reply, on_error);
  return out;
}

/// The text of a tool result.
inline std::string text_of(const json& result) {
  return result["content"][0]["text"].get<std::string>();
}

} // namespace sophia::ai_test
