#include "runtime/call/router.hpp"

#include <chrono>

#include <caf/all.hpp>

#include "runtime/error.hpp"
#include "runtime/system/atoms.hpp"

namespace sophia::runtime::call {

namespace {

std::string millis(caf::timespan x) {
  return std::to_string(
    std::chrono::duration_cast<std::chrono::milliseconds>(x).count());
}

} // namespace

caf::result<wire::buffer> router::route(caf::event_based_actor* self,
                                        const caf::actor& target,
                                        wire::buffer& env,
                                        caf::timespan timeout,
                                        const caf::actor& channel) {
  auto rp = self->make_response_promise<wire::buffer>();
  auto id = ++next_id_;
  auto addr = target.address();
  if (watched_.insert(addr).second) self->monitor(target);
  auto h =
    channel
      ? self->request(
          target, caf::infinite, atoms::call::value, std::move(env), channel)
      : self->request(
          target, caf::infinite, atoms::call::value, std::move(env));
  pending_.add(
    id, addr, self->clock().now() + timeout, slot{ rp, h.id(), timeout });
  h.then(
    [this, id](wire::buffer& reply) {
      if (auto s = pending_.take(id)) s->promise.deliver(std::move(reply));
    },
    [this, id](caf::error& err) {
      auto s = pending_.take(id);
      if (!s)
        return; // ended already (deadline, node down): this is our release
      if (err == caf::sec::request_receiver_down)
        s->promise.deliver(make_error(errc::node_down, "the callee is down"));
      else
        s->promise.deliver(std::move(err));
    });
  schedule_sweep(self);
  return rp;
}

bool router::on_down(caf::event_based_actor* self, const caf::down_msg& dm) {
  if (watched_.erase(dm.source) == 0) return false;
  auto err = make_error(errc::node_down,
                        "the callee went down while the call was pending (" +
                          self->system().render(dm.reason) + ")");
  for (auto& s : pending_.take_all(dm.source))
    fail(self, s, err);
  return true;
}

void router::sweep(caf::event_based_actor* self) {
  sweep_at_.reset();
  auto now = self->clock().now();
  for (auto& s : pending_.take_expired(now))
    fail(self,
         s,
         make_error(errc::deadline_exceeded,
                    "no reply within " + millis(s.timeout) + " ms"));
  schedule_sweep(self);
}

void router::fail(caf::event_based_actor* self,
                  slot& s,
                  const caf::error& err) {
  s.promise.deliver(err);
  // Our request has no timeout, so CAF would keep its response handler until
  // a reply that may never come (a dead node's replies never do): answer it
  // ourselves. A real reply arriving later finds no handler and is dropped.
  self->enqueue(caf::make_mailbox_element(
                  nullptr, s.response, {}, make_error(errc::node_down)),
                self->context());
}

void router::schedule_sweep(caf::event_based_actor* self) {
  auto next = pending_.next_deadline();
  if (!next || (sweep_at_ && *sweep_at_ <= *next)) return;
  sweep_at_ = *next;
  auto delay = *next - self->clock().now();
  self->delayed_send(
    self, std::max(delay, caf::timespan{ 0 }), atoms::sweep::value);
}

} // namespace sophia::runtime::call
