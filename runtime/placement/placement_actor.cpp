#include "runtime/placement/placement_actor.hpp"

#include <chrono>
#include <map>
#include <set>

#include <caf/all.hpp>

#include "runtime/call/call.hpp"
#include "runtime/config/loader.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/membership/event.hpp"
#include "runtime/placement/decide.hpp"
#include "runtime/supervision/messages.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::runtime::placement {

namespace {

using std::chrono::milliseconds;
using time_point = caf::actor_clock::time_point;

struct state {
  state() = default;
  options opts;
  std::set<std::string> up;
  /// Roles per node, from the registry's last listing.
  std::map<std::string, std::set<std::string>> running;
  /// Nodes whose registry entries we hold: every node registers
  /// `runtime.echo`, so a node without entries is up but not yet synced,
  /// and what it runs is unknown.
  std::set<std::string> synced;
  /// Roles this node started or is starting (children `role.NAME`).
  std::set<std::string> local;
  /// When the leader last asked a node to take a role, to avoid repeating
  /// itself while the role comes up.
  std::map<std::string, time_point> asked;
  time_point started;
  /// Until when fail-over waits: a peer declared down by a heartbeat
  /// timeout here may still look up to the other nodes for a moment (each
  /// node's detector fires on its own tick), and re-placing before they
  /// agree would show the role twice in their registries.
  time_point settle_until;
  bool settled = false;
  std::shared_ptr<spdlog::logger> log;

  static inline const char* name = "sophia.placement";
};

using actor_ptr = caf::stateful_actor<state>*;

std::string child_id(const std::string& role) {
  return registry_name(role);
}

view make_view(actor_ptr self) {
  auto& st = self->state;
  // Decide only from nodes whose entries arrived: a peer that just came up
  // may run a role we cannot see yet.
  std::set<std::string> known;
  for (auto& n : st.up)
    if (n == st.opts.self || st.synced.count(n)) known.insert(n);
  view v{ &st.opts.cluster, st.opts.self, known, st.running };
  for (auto& r : st.local)
    v.running[st.opts.self].insert(r);
  return v;
}

void start_role(actor_ptr self, const std::string& role, const char* why) {
  auto& st = self->state;
  if (!st.local.insert(role).second) return;
  st.log->info("starting role={} reason=\"{}\"", role, why);
  self
    ->request(st.opts.node_supervisor,
              std::chrono::seconds{ 10 },
              supervision::atoms::start_child::value,
              st.opts.roles(role, st.opts.registry))
    .then([](const caf::actor&) {},
          [self, role](const caf::error& err) {
            if (code_of(err) == errc::child_exists) return;
            self->state.log->error(
              "cannot start role={}: {}", role, self->system().render(err));
            self->state.local.erase(role);
          });
}

void stop_role(actor_ptr self, const std::string& role, const char* why) {
  auto& st = self->state;
  st.log->warn("stopping role={} reason=\"{}\"", role, why);
  st.local.erase(role);
  auto sup = st.opts.node_supervisor;
  self
    ->request(sup,
              std::chrono::seconds{ 30 },
              supervision::atoms::terminate_child::value,
              child_id(role))
    .then(
      [self, sup, role](caf::ok_atom) {
        // A request, not a send: the supervisor replies, and a reply to a
        // plain send would arrive here as a message nobody handles.
        self
          ->request(sup,
                    std::chrono::seconds{ 30 },
                    supervision::atoms::delete_child::value,
                    child_id(role))
          .then([](caf::ok_atom) {}, [](const caf::error&) {});
      },
      [](const caf::error&) {});
}

/// Asks node `node` (through the call helper) to take `role`.
void ask_to_place(actor_ptr self,
                  const std::string& role,
                  const std::string& node) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto i = st.asked.find(role);
  if (i != st.asked.end() &&
      now - i->second < milliseconds{ 4 * st.opts.cluster.heartbeat_ms })
    return;
  st.asked[role] = now;
  st.log->warn("leader re-places role={} on node={}", role, node);
  call::request req{ "place", role, milliseconds{ 2000 }, st.opts.self, "" };
  call::async_call(
    self, st.opts.registry, std::string{ placement_name } + "@" + node, req)
    .then([](const wire::buffer&) {},
          [self, role, node](const caf::error& err) {
            self->state.log->warn("node={} did not take role={}: {}",
                                  node,
                                  role,
                                  self->system().render(err));
          });
}

void decide(actor_ptr self) {
  auto& st = self->state;
  auto v = make_view(self);
  if (!st.settled) {
    auto all_up = v.up.size() == st.opts.cluster.nodes.size();
    auto waited = self->clock().now() - st.started >=
                  milliseconds{ st.opts.cluster.failure_timeout_ms };
    st.settled = all_up || waited;
    if (!st.settled) return;
  }
  // A role that runs again may fail over again at once: forget that we asked.
  for (auto i = st.asked.begin(); i != st.asked.end();)
    i = runners(v, i->first).empty() ? std::next(i) : st.asked.erase(i);
  for (auto& role : roles_to_stop(v))
    stop_role(self, role, "runs on a node whose placement wins");
  for (auto& role : own_roles_to_start(v))
    start_role(self, role, "configured on this node");
  if (self->clock().now() < st.settle_until) return;
  for (auto& [role, node] : replacements(v)) {
    if (node == st.opts.self)
      start_role(self, role, "fail-over (this node leads)");
    else
      ask_to_place(self, role, node);
  }
}

/// Reads where roles run from the registry, then decides.
void refresh(actor_ptr self) {
  self
    ->request(self->state.opts.registry,
              std::chrono::seconds{ 2 },
              caf::get_atom::value,
              atoms::all::value)
    .then(
      [self](const std::vector<std::string>& names) {
        auto& st = self->state;
        st.running.clear();
        st.synced.clear();
        for (auto& x : names) {
          auto at = x.rfind('@');
          if (at == std::string::npos) continue;
          auto node = x.substr(at + 1);
          st.synced.insert(node);
          if (auto role = role_of(x.substr(0, at)))
            st.running[node].insert(*role);
        }
        decide(self);
      },
      [](const caf::error&) {});
}

caf::behavior placement_impl(actor_ptr self, options opts) {
  auto& st = self->state;
  st.log = log::get("placement");
  st.started = self->clock().now();
  st.up.insert(opts.self);
  st.opts = std::move(opts);
  self->send(st.opts.membership,
             atoms::subscribe::value,
             caf::actor_cast<caf::actor>(self));
  self->send(self, atoms::tick::value);
  self->set_default_handler(caf::drop);
  // An error sent as a plain message (a bounced reply) must not stop this
  // actor: CAF's default error handler quits.
  self->set_error_handler([self](caf::error& err) {
    self->state.log->warn("ignored error message: {}",
                          self->system().render(err));
  });
  return {
    [self](atoms::tick) {
      refresh(self);
      self->delayed_send(self,
                         milliseconds{ self->state.opts.cluster.heartbeat_ms },
                         atoms::tick::value);
    },
    [self](atoms::sweep) { refresh(self); },
    [self](atoms::reload, const std::string& source) {
      // The membership actor validated and applied this file already.
      auto loaded = config::load(source);
      if (auto cfg = std::get_if<config::cluster_config>(&loaded)) {
        self->state.opts.cluster = std::move(*cfg);
        self->state.log->info("placement uses the reloaded {}", source);
      }
    },
    [self](atoms::member, const membership::event& ev) {
      auto& st = self->state;
      if (ev.state == wire::member_state::down) {
        st.up.erase(ev.node);
        // A lost connection is seen by every peer at once; a silent peer is
        // timed out by each node's own detector, up to a heartbeat apart.
        if (ev.reason.starts_with("no heartbeat")) {
          auto settle = milliseconds{ st.opts.cluster.heartbeat_ms };
          st.settle_until = self->clock().now() + settle;
          // Decide again right when the wait ends, not at the next tick.
          self->delayed_send(self, settle, atoms::sweep::value);
        }
      } else
        st.up.insert(ev.node);
      refresh(self);
    },
    [self](atoms::call, const wire::buffer& buf) -> caf::result<wire::buffer> {
      auto env = wire::decode_call_envelope(buf);
      if (!env) return env.error();
      if (env->method != "place")
        return make_error(errc::rejected,
                          "runtime.placement has no method '" + env->method +
                            "' (place)");
      auto& cfg = self->state.opts.cluster;
      if (!cfg.roles.count(env->payload))
        return make_error(errc::rejected,
                          "no role '" + env->payload + "' in cluster.conf");
      start_role(self, env->payload, "placed here by the leader");
      return call::make_reply("ok");
    },
  };
}

} // namespace

caf::actor spawn_placement(caf::actor_system& sys, options opts) {
  return sys.spawn(placement_impl, std::move(opts));
}

} // namespace sophia::runtime::placement
