// The router's side of the cluster-wide limits: topping up its leases from
// the limiter (`limiter.hpp`), in one round trip for all the limits a call
// falls short of, and ahead of time for those running low.

#include <caf/all.hpp>

#include "actors/optimizer/limiter.hpp"
#include "actors/optimizer/router_state.hpp"
#include "runtime/call/call.hpp"
#include "runtime/error.hpp"
#include "runtime/utc.hpp"

namespace sophia::actors::optimizer {

namespace {

/// Runs what waited for the limiter's answer about `id`.
void wake(router_state& st, const std::string& id) {
  auto i = st.lease_waiters.find(id);
  if (i == st.lease_waiters.end())
    return;
  auto waiters = std::move(i->second);
  st.lease_waiters.erase(i);
  for (auto& w : waiters)
    w();
}

void send_asks(caf::event_based_actor* self, const router_ptr& st,
               std::vector<lease_ask> asks) {
  runtime::call::request req{"lease", encode_asks(st->leases.holder(), asks),
                             std::chrono::milliseconds{2000}, "ai.router", ""};
  auto ids = std::make_shared<std::vector<std::string>>();
  for (auto& a : asks)
    ids->push_back(a.id);
  auto failed = [st, ids](const std::string& why) {
    auto now = runtime::unix_ms_now();
    for (auto& id : *ids)
      st->leases.unreachable(id, why, now);
    for (auto& id : *ids)
      wake(*st, id);
  };
  runtime::call::async_call(self, st->opts.registry, std::string{limiter_name}, req)
    .then(
      [st, ids, failed](const runtime::wire::buffer& reply) {
        auto text = runtime::call::reply_payload(reply);
        std::vector<lease_grant> grants;
        if (!text || !decode_grants(*text, grants))
          return failed("the limiter's answer is not a lease grant");
        auto now = runtime::unix_ms_now();
        for (auto& g : grants)
          st->leases.grant(g, now);
        for (auto& id : *ids)
          wake(*st, id);
      },
      [failed](const caf::error& err) { failed(runtime::detail_of(err)); });
}

} // namespace

void ensure_leases(caf::event_based_actor* self, const router_ptr& st,
                   const std::vector<need>& needs, std::function<void()> then,
                   int retries) {
  auto now = runtime::unix_ms_now();
  std::vector<lease_ask> asks;
  std::vector<std::string> wait_on;
  for (auto& n : needs) {
    auto short_now = st->leases.left(n.l, now) < n.amount;
    auto a = st->leases.ask(n.l, n.amount, lease_chunk(st->limits, n.l), now);
    // Wait for an answer about a limit this call falls short of: ours, or
    // one on its way already for another call.
    if (short_now && (a || st->leases.asking(n.l.id)))
      wait_on.push_back(n.l.id);
    if (a)
      asks.push_back(std::move(*a));
  }
  if (wait_on.empty()) {
    if (!asks.empty())
      send_asks(self, st, std::move(asks));
    return then();
  }
  auto pending = std::make_shared<size_t>(wait_on.size());
  auto done = [self, st, needs, retries, pending, then = std::move(then)] {
    if (--*pending != 0)
      return;
    // An answer that said nothing about this window (a window turned, a
    // release came back): ask once more rather than refuse.
    auto now = runtime::unix_ms_now();
    if (retries > 0)
      for (auto& n : needs)
        if (st->leases.left(n.l, now) < n.amount && !st->leases.answered(n.l, now))
          return ensure_leases(self, st, needs, then, retries - 1);
    then();
  };
  for (auto& id : wait_on)
    st->lease_waiters[id].push_back(done);
  send_asks(self, st, std::move(asks));
}

std::string lease_refusal(router_state& st, const std::vector<need>& needs) {
  auto now = runtime::unix_ms_now();
  for (auto& n : needs)
    if (auto why = st.leases.refusal(n.l, n.amount, now); !why.empty())
      return why;
  return {};
}

void use_leases(router_state& st, const std::vector<need>& needs, double sign) {
  auto now = runtime::unix_ms_now();
  for (auto& n : needs)
    st.leases.use(n.l, sign * n.amount, now);
}

void release_idle_leases(caf::event_based_actor* self, const router_ptr& st,
                         int64_t idle_ms) {
  auto asks = st->leases.releases(idle_ms, runtime::unix_ms_now());
  if (!asks.empty())
    send_asks(self, st, std::move(asks));
}

} // namespace sophia::actors::optimizer
