#pragma once

#include <chrono>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

/// The limiter: the one owner of the cluster-wide limits (API keys' AI
/// budgets and rates, providers' cluster rates), placed with the role
/// `monitoring` (a fail-over role: one node at a time). Routers lease
/// shares of each limit from it (`lease.hpp`, `lease_ledger.hpp`); it
/// knows nothing of the configuration: each ask carries its limit.
///
/// Calls (through `runtime/call`), to the name `limiter_name`:
/// - `lease`: payload `encode_asks`, reply `encode_grants`;
/// - `status`: the ledger as JSON.
///
/// At start it reads this day's and month's AI spend per API key from
/// `sophia.ai_interactions` (the pipeline), so that a limiter that failed
/// over does not hand out what was spent; until then it grants no budget
/// (rates need nothing from before).
namespace sophia::actors::optimizer {

constexpr const char* limiter_name = "optimizer.limiter";

struct limiter_options {
  caf::actor registry;
  /// How often the spend is asked for until it was read.
  std::chrono::milliseconds retry{std::chrono::seconds{2}};
  /// After this long without a pipeline (`mcp.pipeline` not registered),
  /// budgets count from this start (the cluster stores no spend).
  std::chrono::milliseconds no_pipeline_grace{std::chrono::seconds{30}};
};

caf::expected<caf::actor> spawn_limiter(caf::actor_system& sys, limiter_options opts);

} // namespace sophia::actors::optimizer
