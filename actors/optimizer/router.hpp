#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "actors/optimizer/catalog.hpp"
#include "actors/optimizer/limits.hpp"

/// The AI router (role ai_intelligence), the MCP service `router`
/// (`mcp.router`) whose tools are `ai.*` and `sophia.optimize_routing`:
///
/// - `ai.intelligent_generate`: ranks every chat model of the catalog for
///   this prompt (`decide.hpp`: the outcome memory's estimate of a good
///   answer, the expected cost, the caller's priorities, the live success
///   rate) and calls the best through its provider's `chat` tool, falling
///   back to the next best on another provider when a call fails;
/// - `ai.log_ai_interaction` and `ai.feedback`: what the router learns
///   from (feedback scores go into the outcome memory);
/// - `ai.models` and the resource `sophia://models`: the catalog, built
///   from the providers' `models` tools, refreshed on a schedule;
/// - `ai.costs`: spend by API key, model, provider and period;
/// - `ai.router_status`: the memory, the live record, the store;
/// - `sophia.optimize_routing`: the decision as a plan (order, deadlines,
///   reasons) for chat or embed, calling nothing.
///
/// Interactions are stored in the pipeline (`interaction_store.cpp`), from
/// which the memory is rebuilt at start-up.
namespace sophia::actors::optimizer {

/// An AI provider the router may use.
struct provider_ref {
  /// `[services.NAME]`: its tools are `mcp.NAME`'s.
  std::string service;
  /// Whether it has a `models` tool to build the catalog from.
  bool lists_models = true;
};

struct router_options {
  caf::actor registry;
  /// The role it runs under.
  std::string domain = "ai_intelligence";
  /// The configured providers, asked at each catalog refresh (the file
  /// may have been reloaded).
  std::function<std::vector<provider_ref>()> providers;
  /// The cluster-wide limits (`[api_keys.NAME]`, `[services.NAME]`),
  /// read again every few seconds (the file may have been reloaded); the
  /// limiter (`limiter.hpp`) holds them across the cluster.
  std::function<limits_config()> limits;
  /// `[models."ID"]` of the configuration, read again with the limits.
  std::function<std::vector<model_override>()> model_overrides;
  /// This router's name at the limiter (the node's name); an incarnation
  /// id is added.
  std::string node;
  /// Arize's exporter (`actors/ai/tracer.hpp`) for the spans of logged
  /// interactions; null when tracing is off.
  std::function<caf::actor()> tracer;
  /// How often the catalog is refreshed once every provider answered;
  /// before that, every `retry` (a provider may not be registered yet).
  std::chrono::milliseconds refresh{std::chrono::minutes{10}};
  std::chrono::milliseconds retry{std::chrono::seconds{2}};
  /// Interactions remembered for `ai.feedback` (the oldest are forgotten).
  size_t interactions_kept = 100000;
  /// How often the table `sophia.ai_interactions` is read for what other
  /// routers (and this one's earlier lives) learned.
  std::chrono::milliseconds store_poll{std::chrono::seconds{2}};
  /// Records kept while the pipeline is away; older ones are dropped first.
  size_t outbox_limit = 100000;
  /// The deadline of one provider call of `intelligent_generate`.
  std::chrono::milliseconds call_deadline{std::chrono::seconds{60}};
};

/// Spawns the router and registers it as `mcp.router`.
caf::expected<caf::actor> spawn_router(caf::actor_system& sys,
                                       router_options opts);

} // namespace sophia::actors::optimizer
