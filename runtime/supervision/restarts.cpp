#include <algorithm>
#include <exception>

#include <caf/all.hpp>

#include "runtime/error.hpp"
#include "runtime/metrics/families.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/supervision/exit_reason.hpp"
#include "runtime/supervision/supervisor_state.hpp"

// What a supervisor does when a child exits on its own: the restart type
// decides whether it restarts, the strategy what restarts with it, and the
// restart intensity whether the supervisor gives up instead.

namespace sophia::runtime::supervision {

namespace {

size_t index_of(const supervisor_state& st, const std::string& id) {
  auto i = std::find_if(st.children.begin(),
                        st.children.end(),
                        [&](const child_entry& e) { return e.spec.id == id; });
  return static_cast<size_t>(i - st.children.begin());
}

void erase_child(supervisor_state& st, const std::string& id) {
  auto i = st.children.begin() + static_cast<ptrdiff_t>(index_of(st, id));
  if (i != st.children.end()) st.children.erase(i);
}

/// OTP's `try_again`: a message rather than a loop, so that the supervisor
/// stays responsive, and every try counts toward the intensity (see
/// `on_retry`), so that a child that cannot start ends in an escalation.
void schedule_retry(supervisor_actor self,
                    child_entry& e,
                    const caf::error& err) {
  auto& st = self->state;
  e.retry_pending = true;
  st.log->error("supervisor={} child={} event=restart_failed reason=\"{}\"",
                st.sup_name,
                e.spec.id,
                self->system().render(err));
  self->send(self, retry_atom::value, e.spec.id);
}

/// The second half of a one_for_all or rest_for_one restart, once the
/// children of the group are down: starts them again in order.
void start_group(supervisor_actor self, const std::string& failed_id) {
  auto& st = self->state;
  // A shutdown requested meanwhile would stop them again at once.
  if (st.terminating || st.pending_exit) return;
  size_t first =
    st.config.strategy == strategy::one_for_all ? 0 : index_of(st, failed_id);
  auto& cs = st.children;
  if (first >= cs.size()) return;
  // Temporary children are never restarted, not even when only a sibling's
  // failure stopped them: they are forgotten.
  cs.erase(std::remove_if(cs.begin() + static_cast<ptrdiff_t>(first),
                          cs.end(),
                          [](const child_entry& e) {
                            return e.spec.restart == restart_type::temporary &&
                                   !e.handle;
                          }),
           cs.end());
  for (auto i = first; i < cs.size(); ++i) {
    auto& e = cs[i];
    if (e.handle) continue;
    if (auto err = start_entry(self, e, true)) {
      // As OTP: leave the rest down; the retry restarts the group again.
      schedule_retry(self, e, err);
      return;
    }
  }
}

/// Restarts child `id` (which is down) per the strategy, unless this
/// restart is one too many.
void restart(supervisor_actor self,
             const std::string& id,
             const std::string& why) {
  auto& st = self->state;
  st.window.record(self->clock().now());
  if (st.window.exceeded()) {
    st.log->error("supervisor={} child={} event=escalate reason=\"{}\" "
                  "detail=\"more than {} restarts within {} ms\"",
                  st.sup_name,
                  id,
                  why,
                  st.config.intensity,
                  st.config.period.count());
    begin_shutdown(self, escalation_reason());
    return;
  }
  ++st.total_restarts;
  metrics::registry::global().add(metrics::actor_restarts,
                                  { { "supervisor", st.sup_name }, { "child", id } });
  st.log->warn("supervisor={} child={} event=restart strategy={} "
               "reason=\"{}\" restarts_in_period={}",
               st.sup_name,
               id,
               to_string(st.config.strategy),
               why,
               st.window.size());
  switch (st.config.strategy) {
    case strategy::one_for_one:
    case strategy::simple_one_for_one: {
      auto* e = find_child(st, id);
      if (auto err = start_entry(self, *e, true))
        schedule_retry(self, *e, err);
      else if (!e->handle && st.config.strategy == strategy::simple_one_for_one)
        erase_child(st, id); // An ignored instance is forgotten.
      break;
    }
    case strategy::one_for_all:
    case strategy::rest_for_one: {
      size_t first =
        st.config.strategy == strategy::one_for_all ? 0 : index_of(st, id);
      std::vector<stop_target> targets;
      for (auto i = st.children.size(); i-- > first;)
        targets.push_back(target_of(st.children[i]));
      stop_children(
        self, std::move(targets), false, [self, id] { start_group(self, id); });
      break;
    }
  }
}

} // namespace

caf::expected<caf::actor> invoke_start(caf::actor_system& sys,
                                       const std::string& owner,
                                       const child_spec& spec,
                                       const caf::message& args) {
  auto fail = [&](const std::string& why) {
    return make_error(errc::start_failed,
                      "child '" + spec.id + "' of supervisor '" + owner +
                        "' failed to start: " + why);
  };
  // The start function is user code running inside our handler, which must
  // not throw.
  try {
    auto h = spec.start(sys, args);
    if (!h) return fail(sys.render(h.error()));
    return h;
  } catch (const std::exception& ex) {
    return fail(std::string{ "exception: " } + ex.what());
  } catch (...) {
    return fail("unknown exception");
  }
}

caf::error start_entry(supervisor_actor self, child_entry& e, bool restart) {
  auto& st = self->state;
  auto h = invoke_start(self->system(), st.sup_name, e.spec, e.args);
  if (!h) return std::move(h.error());
  e.retry_pending = false;
  if (restart) ++e.restarts;
  if (*h)
    adopt(self, e, std::move(*h));
  else
    st.log->info(
      "supervisor={} child={} event=ignored", st.sup_name, e.spec.id);
  return {};
}

void on_child_exit(supervisor_actor self,
                   const std::string& id,
                   uint64_t generation,
                   const caf::error& reason) {
  auto& st = self->state;
  auto* e = find_child(st, id);
  // Restarted with its group, or deleted, while this event waited.
  if (e == nullptr || e->handle || e->generation != generation) return;
  auto why = self->system().render(reason);
  if (e->spec.kind == child_kind::supervisor && is_escalation(reason)) {
    ++st.escalations;
    st.log->warn(
      "supervisor={} child={} event=child_escalated", st.sup_name, id);
  }
  if (!should_restart(e->spec.restart, reason)) {
    st.log->info("supervisor={} child={} event=exit restart={} reason=\"{}\" "
                 "restarted=false",
                 st.sup_name,
                 id,
                 to_string(e->spec.restart),
                 why);
    if (e->spec.restart == restart_type::temporary ||
        st.config.strategy == strategy::simple_one_for_one)
      erase_child(st, id);
    return;
  }
  restart(self, id, why);
}

void on_retry(supervisor_actor self, const std::string& id) {
  auto& st = self->state;
  auto* e = find_child(st, id);
  // Started (restart_child, a group restart) or deleted meanwhile.
  if (e == nullptr || !e->retry_pending || e->handle) return;
  restart(self, id, "retry of a failed restart");
}

} // namespace sophia::runtime::supervision
