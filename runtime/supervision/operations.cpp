#include <algorithm>
#include <chrono>
#include <memory>

#include <caf/all.hpp>

#include "runtime/error.hpp"
#include "runtime/supervision/supervisor.hpp"
#include "runtime/supervision/supervisor_state.hpp"

// The request handlers of supervisor.hpp. Requests that change the set of
// children go through `submit`, so they wait while a stop sequence runs;
// queries answer at once, so that `sophiactl tree` works even while a
// supervisor waits for a stuck child.

namespace sophia::runtime::supervision {

namespace {

using actor_promise = caf::typed_response_promise<caf::actor>;
using ok_promise = caf::typed_response_promise<caf::ok_atom>;

/// Runs `op` with the request's promise now, or once the running stop
/// sequence is done; answers `errc::shutdown` if the supervisor stops first.
template <class T, class F>
caf::result<T> deferred(supervisor_actor self, F op) {
  auto rp = self->make_response_promise<T>();
  submit(
    self,
    [rp, op]() mutable { op(rp); },
    [rp](const caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

caf::error no_such_child(const supervisor_state& st, const std::string& id) {
  return make_error(errc::not_found,
                    "no child '" + id + "' under supervisor '" + st.sup_name +
                      "'");
}

caf::error unsupported(const supervisor_state& st, const char* what) {
  return make_error(errc::rejected,
                    std::string{ what } + " is not supported by " +
                      to_string(st.config.strategy) + " supervisor '" +
                      st.sup_name + "'");
}

bool is_simple(const supervisor_state& st) {
  return st.config.strategy == strategy::simple_one_for_one;
}

/// Starts `e` and keeps it (unless the start was ignored and nothing would
/// remain to restart), answering with its handle.
void add_child(supervisor_actor self, child_entry e, actor_promise& rp) {
  auto& st = self->state;
  if (auto err = start_entry(self, e, false)) {
    rp.deliver(err);
    return;
  }
  auto handle = e.handle;
  if (handle || (!is_simple(st) && e.spec.restart != restart_type::temporary))
    st.children.push_back(std::move(e));
  rp.deliver(handle);
}

void start_child(supervisor_actor self,
                 const child_spec& spec,
                 actor_promise& rp) {
  auto& st = self->state;
  if (is_simple(st)) {
    rp.deliver(unsupported(st, "start_child with a child spec"));
    return;
  }
  if (auto err = validate(spec)) {
    rp.deliver(err);
    return;
  }
  if (auto* e = find_child(st, spec.id)) {
    rp.deliver(make_error(errc::child_exists,
                          "child '" + spec.id +
                            "' already exists under "
                            "supervisor '" +
                            st.sup_name + "' (" +
                            (e->handle ? "running" : "terminated") + ")"));
    return;
  }
  child_entry e;
  e.spec = spec;
  add_child(self, std::move(e), rp);
}

void start_instance(supervisor_actor self,
                    const caf::message& args,
                    actor_promise& rp) {
  auto& st = self->state;
  if (!is_simple(st)) {
    rp.deliver(unsupported(st, "start_child with extra arguments"));
    return;
  }
  child_entry e;
  e.spec = st.instance_spec;
  e.spec.id += "#" + std::to_string(++st.next_instance);
  e.args = args;
  add_child(self, std::move(e), rp);
}

void terminate_child(supervisor_actor self,
                     const std::string& id,
                     ok_promise& rp) {
  auto& st = self->state;
  auto* e = find_child(st, id);
  if (e == nullptr) {
    rp.deliver(no_such_child(st, id));
    return;
  }
  // OTP keeps the spec for restart_child, except of children that would
  // never be restarted anyway.
  auto forget = [self, id] {
    auto& st = self->state;
    auto* c = find_child(st, id);
    if (c && (c->spec.restart == restart_type::temporary || is_simple(st)))
      st.children.erase(st.children.begin() + (c - st.children.data()));
  };
  // A terminated child is not retried any more either.
  e->retry_pending = false;
  if (!e->handle) {
    forget();
    rp.deliver(caf::ok_atom::value);
    return;
  }
  st.log->info("supervisor={} child={} event=terminate", st.sup_name, id);
  stop_children(self, { target_of(*e) }, false, [forget, rp]() mutable {
    forget();
    rp.deliver(caf::ok_atom::value);
  });
}

/// The terminated child `id` that `op` (restart_child, delete_child) may act
/// on; otherwise delivers why not to `rp` and returns nullptr.
template <class Promise>
child_entry* terminated_child(supervisor_state& st,
                              const std::string& id,
                              const char* op,
                              Promise& rp) {
  if (is_simple(st)) {
    rp.deliver(unsupported(st, op));
    return nullptr;
  }
  auto* e = find_child(st, id);
  if (e == nullptr) {
    rp.deliver(no_such_child(st, id));
    return nullptr;
  }
  if (e->handle) {
    rp.deliver(make_error(errc::child_running,
                          "child '" + id + "' of supervisor '" + st.sup_name +
                            "' is running"));
    return nullptr;
  }
  return e;
}

void restart_child(supervisor_actor self,
                   const std::string& id,
                   actor_promise& rp) {
  auto& st = self->state;
  auto* e = terminated_child(st, id, "restart_child", rp);
  if (e == nullptr) return;
  if (auto err = start_entry(self, *e, true)) {
    rp.deliver(err);
    return;
  }
  rp.deliver(e->handle);
}

void delete_child(supervisor_actor self,
                  const std::string& id,
                  ok_promise& rp) {
  auto& st = self->state;
  auto* e = terminated_child(st, id, "delete_child", rp);
  if (e == nullptr) return;
  st.children.erase(st.children.begin() + (e - st.children.data()));
  rp.deliver(caf::ok_atom::value);
}

std::vector<child_info> which_children(const supervisor_state& st) {
  std::vector<child_info> out;
  for (auto& e : st.children)
    out.push_back({ e.spec.id, e.handle, e.spec.kind, e.restarts });
  return out;
}

child_counts count_children(const supervisor_state& st) {
  child_counts out;
  out.specs = is_simple(st) ? 1 : st.children.size();
  for (auto& e : st.children) {
    if (e.handle) ++out.active;
    if (e.spec.kind == child_kind::supervisor)
      ++out.supervisors;
    else
      ++out.workers;
  }
  return out;
}

int64_t millis(restart_window::clock_type::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

/// This supervisor's node of the tree, with its children as leaves; the
/// subtrees of running child supervisors are filled in by `tree_snapshot`.
tree_node own_node(supervisor_actor self) {
  auto& st = self->state;
  auto now = self->clock().now();
  tree_node root;
  root.name = st.sup_name;
  root.kind = child_kind::supervisor;
  root.strategy = st.config.strategy;
  root.running = true;
  root.total_restarts = st.total_restarts;
  root.escalations = st.escalations;
  root.uptime_ms = millis(now - st.started);
  for (auto& e : st.children) {
    tree_node n;
    n.name = e.spec.id;
    n.kind = e.spec.kind;
    n.running = static_cast<bool>(e.handle);
    n.restarts = e.restarts;
    n.uptime_ms = e.handle ? millis(now - e.started) : 0;
    root.children.push_back(std::move(n));
  }
  return root;
}

caf::result<tree_node> tree_snapshot(supervisor_actor self) {
  auto& st = self->state;
  struct gather {
    tree_node node;
    size_t pending;
    caf::typed_response_promise<tree_node> rp;
  };
  auto g = std::make_shared<gather>(gather{ own_node(self), 0, {} });
  auto is_running_supervisor = [](const child_entry& e) {
    return e.handle && e.spec.kind == child_kind::supervisor;
  };
  g->pending = static_cast<size_t>(std::count_if(
    st.children.begin(), st.children.end(), is_running_supervisor));
  if (g->pending == 0) return std::move(g->node);
  g->rp = self->make_response_promise<tree_node>();
  auto done = [g] {
    if (--g->pending == 0) g->rp.deliver(std::move(g->node));
  };
  for (size_t i = 0; i < st.children.size(); ++i) {
    auto& e = st.children[i];
    if (!is_running_supervisor(e)) continue;
    self
      ->request(
        e.handle, tree_query_timeout, caf::get_atom::value, atoms::tree::value)
      .then(
        [g, i, done](tree_node& sub) {
          // Our view of the child (id, restarts, uptime) plus its own.
          auto& n = g->node.children[i];
          n.strategy = sub.strategy;
          n.total_restarts = sub.total_restarts;
          n.escalations = sub.escalations;
          n.detail = std::move(sub.detail);
          n.children = std::move(sub.children);
          done();
        },
        [self, g, i, done](caf::error& err) {
          g->node.children[i].detail =
            "no answer: " + self->system().render(err);
          done();
        });
  }
  return g->rp;
}

} // namespace

caf::message_handler operation_handlers(supervisor_actor self) {
  return {
    [self](atoms::start_child, child_spec& spec) {
      return deferred<caf::actor>(
        self, [self, spec](actor_promise& rp) { start_child(self, spec, rp); });
    },
    [self](atoms::start_child, caf::message& args) {
      return deferred<caf::actor>(self, [self, args](actor_promise& rp) {
        start_instance(self, args, rp);
      });
    },
    [self](atoms::terminate_child, std::string& id) {
      return deferred<caf::ok_atom>(
        self, [self, id](ok_promise& rp) { terminate_child(self, id, rp); });
    },
    [self](atoms::terminate_child, caf::actor& child) {
      return deferred<caf::ok_atom>(self, [self, child](ok_promise& rp) {
        auto* e = find_running(self->state, child.address());
        if (e == nullptr) {
          rp.deliver(
            make_error(errc::not_found,
                       "the actor is no running child of supervisor '" +
                         self->state.sup_name + "'"));
          return;
        }
        auto id = e->spec.id; // A copy: the entry may go away meanwhile.
        terminate_child(self, id, rp);
      });
    },
    [self](atoms::restart_child, std::string& id) {
      return deferred<caf::actor>(
        self, [self, id](actor_promise& rp) { restart_child(self, id, rp); });
    },
    [self](atoms::delete_child, std::string& id) {
      return deferred<caf::ok_atom>(
        self, [self, id](ok_promise& rp) { delete_child(self, id, rp); });
    },
    [self](atoms::which_children) { return which_children(self->state); },
    [self](atoms::count_children) { return count_children(self->state); },
    [self](caf::get_atom, atoms::tree) { return tree_snapshot(self); },
  };
}

} // namespace sophia::runtime::supervision
