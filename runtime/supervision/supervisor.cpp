#include "runtime/supervision/supervisor.hpp"

#include <algorithm>
#include <set>

#include <caf/all.hpp>

#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/supervision/exit_reason.hpp"
#include "runtime/supervision/supervisor_state.hpp"

// The supervisor's lifecycle and scheduling: start, child exits, exit
// requests, and the rule that nothing that changes the set of children runs
// while a stop sequence is waiting for a child to go down.

namespace sophia::runtime::supervision {

namespace {

caf::error validate(const std::string& name,
                    const flags& f,
                    const std::vector<child_spec>& children) {
  auto reject = [&](const std::string& why) {
    return make_error(errc::rejected, "supervisor '" + name + "': " + why);
  };
  if (f.intensity < 0) return reject("intensity must not be negative");
  if (f.period.count() <= 0) return reject("period must be positive");
  if (f.strategy == strategy::simple_one_for_one && children.size() != 1)
    return reject("simple_one_for_one needs exactly one child spec");
  std::set<std::string> ids;
  for (auto& c : children) {
    if (auto err = validate(c)) return err;
    if (!ids.insert(c.id).second)
      return reject("duplicate child id '" + c.id + "'");
  }
  return {};
}

/// Drains deferred work once no stop sequence runs, or begins the shutdown
/// that was requested during one.
void resume(supervisor_actor self) {
  auto& st = self->state;
  while (!st.stops.active() && !st.terminating) {
    if (st.pending_exit) {
      auto reason = std::move(*st.pending_exit);
      st.pending_exit.reset();
      begin_shutdown(self, std::move(reason));
      return;
    }
    if (st.queue.empty()) return;
    auto job = std::move(st.queue.front());
    st.queue.pop_front();
    job.run();
  }
}

void on_down(supervisor_actor self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto* e = find_running(st, dm.source);
  if (e == nullptr)
    return; // Only children are monitored; a stale message is harmless.
  e->handle = nullptr;
  st.links->erase(dm.source);
  auto id = e->spec.id;
  auto generation = e->generation;
  st.log->debug("supervisor={} child={} event=exit reason=\"{}\"",
                st.sup_name,
                id,
                self->system().render(dm.reason));
  if (st.stops.on_down(self, dm.source))
    return; // We asked it to stop; the sequence's continuation takes over.
  // During a shutdown this drops the exit: nothing restarts any more.
  submit(
    self,
    [self, id, generation, reason = dm.reason] {
      on_child_exit(self, id, generation, reason);
    },
    nullptr);
}

void on_exit_request(supervisor_actor self, const caf::exit_msg& em) {
  auto& st = self->state;
  // A child that linked itself to us: its down_msg tells us what we need.
  if (st.links->count(em.source) > 0) return;
  // As over a CAF link, a normal exit of someone else is no reason to stop.
  if (!em.reason || st.terminating) return;
  if (st.stops.active()) {
    // OTP's supervisor would see the request only after the running stop:
    // so do we, but ahead of the requests queued meanwhile.
    if (!st.pending_exit) st.pending_exit = em.reason;
    return;
  }
  begin_shutdown(self, em.reason);
}

caf::behavior supervisor_impl(supervisor_actor self,
                              std::string name,
                              flags f,
                              std::vector<child_spec> specs,
                              std::vector<caf::actor> started,
                              caf::error abort) {
  auto& st = self->state;
  st.sup_name = std::move(name);
  st.config = f;
  st.window = restart_window{ f.intensity, f.period };
  st.started = self->clock().now();
  st.log = log::get("supervisor");
  st.links = std::make_shared<std::unordered_set<caf::actor_addr>>();
  // The one-way link (see supervisor.hpp): runs on termination, even by
  // `kill`, after the state is gone.
  self->attach_functor(
    [links = st.links, me = self->address()](const caf::error& reason) {
      for (auto& addr : *links)
        if (auto child = caf::actor_cast<caf::strong_actor_ptr>(addr))
          child->enqueue(nullptr,
                         caf::make_message_id(),
                         caf::make_message(caf::exit_msg{ me, reason }),
                         nullptr);
    });
  // A message from a newer version that we do not know: answer requests
  // with sec::unexpected_message instead of printing to stderr.
  self->set_default_handler(caf::drop);
  // A stray error message (e.g. a bounced reply) must not take a supervisor,
  // and with it the tree below, down: CAF's default error handler quits.
  self->set_error_handler([self](caf::error& err) {
    log::get("supervisor")
      ->warn("supervisor={} ignored error message: {}",
             self->state.sup_name,
             self->system().render(err));
  });
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  self->set_exit_handler(
    [self](caf::exit_msg& em) { on_exit_request(self, em); });
  if (f.strategy == strategy::simple_one_for_one) {
    st.instance_spec = std::move(specs.front());
  } else {
    for (size_t i = 0; i < started.size(); ++i) {
      child_entry e;
      e.spec = std::move(specs[i]);
      if (started[i])
        adopt(self, e, std::move(started[i]));
      else if (e.spec.restart == restart_type::temporary)
        continue; // OTP forgets a temporary child whose start ignored it.
      st.children.push_back(std::move(e));
    }
  }
  if (abort) {
    // spawn_supervisor already returned this error; all that is left to do
    // is stopping the children that did start, in reverse order.
    begin_shutdown(self, std::move(abort));
  } else {
    st.log->info("supervisor={} event=started strategy={} intensity={} "
                 "period_ms={} children={}",
                 st.sup_name,
                 to_string(f.strategy),
                 f.intensity,
                 f.period.count(),
                 st.children.size());
  }
  return operation_handlers(self).or_else(
    [self](stop_sequence::timer_atom, uint64_t token) {
      self->state.stops.on_timer(self, token);
    },
    [self](retry_atom, std::string& id) {
      submit(
        self, [self, id] { on_retry(self, id); }, nullptr);
    });
}

} // namespace

child_entry* find_child(supervisor_state& st, const std::string& id) {
  auto i = std::find_if(st.children.begin(),
                        st.children.end(),
                        [&](const child_entry& e) { return e.spec.id == id; });
  return i != st.children.end() ? &*i : nullptr;
}

child_entry* find_running(supervisor_state& st, const caf::actor_addr& addr) {
  auto i = std::find_if(
    st.children.begin(), st.children.end(), [&](const child_entry& e) {
      return e.handle && e.handle.address() == addr;
    });
  return i != st.children.end() ? &*i : nullptr;
}

void adopt(supervisor_actor self, child_entry& e, caf::actor handle) {
  auto& st = self->state;
  // Monitoring an actor that is already gone yields its down_msg at once,
  // so a child that dies before this point is not missed.
  self->monitor(handle);
  st.links->insert(handle.address());
  e.handle = std::move(handle);
  e.started = self->clock().now();
  ++e.generation;
}

void submit(supervisor_actor self,
            std::function<void()> run,
            std::function<void(const caf::error&)> cancel) {
  auto& st = self->state;
  if (st.terminating || st.pending_exit) {
    if (cancel)
      cancel(make_error(errc::shutdown,
                        "supervisor '" + st.sup_name + "' is stopping"));
    return;
  }
  if (st.stops.active()) {
    st.queue.push_back({ std::move(run), std::move(cancel) });
    return;
  }
  run();
}

stop_target target_of(const child_entry& e) {
  return { e.spec.id, e.handle, effective_shutdown(e.spec) };
}

void stop_children(supervisor_actor self,
                   std::vector<stop_target> targets,
                   bool parallel,
                   std::function<void()> then) {
  targets.erase(std::remove_if(targets.begin(),
                               targets.end(),
                               [](const stop_target& t) { return !t.handle; }),
                targets.end());
  if (targets.empty()) {
    // Nothing to wait for: the caller goes on (and resumes deferred work)
    // itself.
    then();
    return;
  }
  auto& st = self->state;
  st.stops.begin(self,
                 st.sup_name,
                 std::move(targets),
                 parallel,
                 [self, then = std::move(then)] {
                   then();
                   resume(self);
                 });
}

void begin_shutdown(supervisor_actor self, caf::error reason) {
  auto& st = self->state;
  st.terminating = true;
  st.pending_exit.reset();
  auto stopping =
    make_error(errc::shutdown, "supervisor '" + st.sup_name + "' is stopping");
  auto queue = std::move(st.queue);
  st.queue.clear();
  for (auto& job : queue)
    if (job.cancel) job.cancel(stopping);
  st.log->info("supervisor={} event=shutdown reason=\"{}\"",
               st.sup_name,
               self->system().render(reason));
  std::vector<stop_target> targets;
  for (auto i = st.children.rbegin(); i != st.children.rend(); ++i)
    targets.push_back(target_of(*i));
  auto parallel = st.config.strategy == strategy::simple_one_for_one;
  stop_children(self,
                std::move(targets),
                parallel,
                [self, reason = std::move(reason)] { self->quit(reason); });
}

caf::expected<caf::actor> spawn_supervisor(caf::actor_system& sys,
                                           std::string name,
                                           flags f,
                                           std::vector<child_spec> children) {
  if (auto err = validate(name, f, children)) return err;
  std::vector<caf::actor> started;
  caf::error failure;
  if (f.strategy != strategy::simple_one_for_one) {
    for (auto& c : children) {
      auto h = invoke_start(sys, name, c, caf::message{});
      if (!h) {
        failure = std::move(h.error());
        break;
      }
      started.push_back(std::move(*h));
    }
  }
  if (failure) {
    log::get("supervisor")
      ->error("supervisor={} event=start_failed reason=\"{}\"",
              name,
              sys.render(failure));
    // Only a supervisor can stop children per their shutdown specs without
    // blocking us: one is spawned just for that, and exits when done.
    if (std::any_of(started.begin(), started.end(), [](const caf::actor& h) {
          return static_cast<bool>(h);
        }))
      sys.spawn(supervisor_impl,
                std::move(name),
                f,
                std::move(children),
                std::move(started),
                failure);
    return failure;
  }
  return sys.spawn(supervisor_impl,
                   std::move(name),
                   f,
                   std::move(children),
                   std::move(started),
                   caf::error{});
}

child_spec supervisor_spec(std::string id,
                           flags f,
                           std::vector<child_spec> children,
                           restart_type restart) {
  child_spec spec;
  spec.id = id;
  spec.restart = restart;
  spec.kind = child_kind::supervisor;
  spec.start = [id, f, children = std::move(children)](caf::actor_system& sys,
                                                       const caf::message&) {
    return spawn_supervisor(sys, id, f, children);
  };
  return spec;
}

} // namespace sophia::runtime::supervision
