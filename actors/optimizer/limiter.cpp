#include "actors/optimizer/limiter.hpp"

#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "actors/optimizer/lease_ledger.hpp"
#include "actors/optimizer/sql_value.hpp"
#include "runtime/call/call.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/mcp/call_tool.hpp"
#include "runtime/utc.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::actors::optimizer {

namespace {

using nlohmann::json;
namespace mcp = runtime::mcp;

using seed_atom = caf::atom_constant<caf::atom("lmseed")>;

struct limiter_state {
  limiter_options opts;
  lease_ledger ledger;
  /// Whether the spend before this limiter is known.
  bool seeded = false;
  bool seeding = false;
  int64_t no_pipeline_since = 0;
  uint64_t asks = 0;
};

using state_ptr = std::shared_ptr<limiter_state>;

/// Budgets are the limits of a day or a month; they need the spend stored
/// before this limiter started.
bool is_budget(const std::string& id) {
  return id.ends_with("/daily_usd") || id.ends_with("/monthly_usd");
}

/// Reads this day's and month's spend per API key of the routed calls.
void seed(caf::event_based_actor* self, const state_ptr& st) {
  if (st->seeded || st->seeding)
    return;
  st->seeding = true;
  auto month = "date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'";
  auto day = "date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'";
  std::string sql = std::string{"SELECT api_key, coalesce(sum(cost_usd) FILTER (WHERE at >= "}
                    + day + "), 0), coalesce(sum(cost_usd), 0) FROM sophia.ai_interactions "
                    "WHERE source = 'intelligent_generate' AND api_key IS NOT NULL AND at >= "
                    + month + " GROUP BY api_key";
  mcp::call_tool(
    self, st->opts.registry, "mcp.pipeline",
    {.tool = "query", .arguments = {{"sql", sql}, {"max_rows", 100000}},
     .deadline = std::chrono::seconds{30}, .caller = limiter_name},
    [st](json& doc) {
      st->seeding = false;
      auto now = runtime::unix_ms_now();
      size_t keys = 0;
      for (auto& row : doc.value("structuredContent", json::object()).value("rows", json::array()))
        if (row.is_array() && row.size() >= 3 && row[0].is_string()) {
          auto key = row[0].get<std::string>();
          st->ledger.seed(key_limit_id(key, "daily_usd"), window_of(period::day, now),
                          number_of(row[1]));
          st->ledger.seed(key_limit_id(key, "monthly_usd"), window_of(period::month, now),
                          number_of(row[2]));
          ++keys;
        }
      st->seeded = true;
      runtime::log::get("ai")->info(
        "limiter: read this month's AI spend of {} API keys from sophia.ai_interactions", keys);
    },
    [st](caf::error& err) {
      st->seeding = false;
      auto code = runtime::code_of(err);
      // No table yet: nothing was ever spent.
      if (code == runtime::errc::call_failed
          && runtime::detail_of(err).find("does not exist") != std::string::npos) {
        st->seeded = true;
        return;
      }
      if (code != runtime::errc::not_found)
        return; // tried again at the next tick
      // No pipeline for a while (it may be starting elsewhere): the
      // cluster has none, no spend was stored, budgets count from now.
      auto now = runtime::unix_ms_now();
      if (st->no_pipeline_since == 0)
        st->no_pipeline_since = now;
      if (now - st->no_pipeline_since < st->opts.no_pipeline_grace.count())
        return;
      runtime::log::get("ai")->warn(
        "limiter: no pipeline (mcp.pipeline) to read the API keys' spend from; "
        "AI budgets count from this start");
      st->seeded = true;
    });
}

caf::result<runtime::wire::buffer> lease(const state_ptr& st, const std::string& payload) {
  std::string holder;
  std::vector<lease_ask> asks;
  std::string why;
  if (!decode_asks(payload, holder, asks, why))
    return runtime::make_error(runtime::errc::rejected, why);
  ++st->asks;
  std::vector<lease_grant> grants;
  grants.reserve(asks.size());
  for (auto& a : asks) {
    if (a.want > 0 && is_budget(a.id) && !st->seeded) {
      // Learn the holder's use, grant nothing until the spend is known.
      auto known = a;
      known.want = 0;
      auto g = st->ledger.ask(holder, known);
      g.refused = "the limiter is still reading this period's spend from "
                  "sophia.ai_interactions (the pipeline); retry in a few seconds";
      grants.push_back(std::move(g));
      continue;
    }
    grants.push_back(st->ledger.ask(holder, a));
  }
  return runtime::call::make_reply(encode_grants(grants));
}

caf::behavior limiter_impl(caf::event_based_actor* self, state_ptr st) {
  self
    ->request(st->opts.registry, std::chrono::seconds{5}, caf::put_atom::value,
              std::string{limiter_name}, caf::actor_cast<caf::actor>(self))
    .then([](caf::ok_atom) {},
          [self](caf::error& err) {
            // The supervisor restarts the limiter, which tries again.
            runtime::log::get("ai")->error("limiter: cannot register {}: {}",
                                           limiter_name, self->system().render(err));
            self->quit(err);
          });
  self->send(self, seed_atom::value);
  return {
    [self, st](seed_atom) {
      seed(self, st);
      if (!st->seeded)
        self->delayed_send(self, st->opts.retry, seed_atom::value);
    },
    [st](runtime::atoms::call,
         const runtime::wire::buffer& buf) -> caf::result<runtime::wire::buffer> {
      auto env = runtime::wire::decode_call_envelope(buf);
      if (!env)
        return env.error();
      if (env->method == "lease")
        return lease(st, env->payload);
      if (env->method == "status")
        return runtime::call::make_reply(json{{"seeded", st->seeded},
                                              {"asks", st->asks},
                                              {"limits", st->ledger.to_json()}}
                                           .dump());
      return runtime::make_error(runtime::errc::rejected,
                                 std::string{limiter_name} + " has no method '"
                                   + env->method + "' (lease, status)");
    },
  };
}

} // namespace

caf::expected<caf::actor> spawn_limiter(caf::actor_system& sys, limiter_options opts) {
  auto st = std::make_shared<limiter_state>();
  st->opts = std::move(opts);
  return sys.spawn(limiter_impl, std::move(st));
}

} // namespace sophia::actors::optimizer
