#include "runtime/registry/registry_actor.hpp"

#include <map>

#include <caf/all.hpp>

#include "runtime/call/router.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/membership/event.hpp"
#include "runtime/registry/table.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::runtime::registry {

namespace {

struct state {
  explicit state()
    : names{ "" } {}
  table<caf::actor> names;
  uint64_t incarnation = 0;
  /// Registry actors and incarnations of the peers that are up.
  std::map<std::string, caf::actor> peers;
  std::map<std::string, uint64_t> incarnations;
  /// Snapshots that arrived before the membership actor told us their node
  /// is up (the two travel different paths); applied on the up event.
  std::map<std::string,
           std::pair<wire::registry_snapshot, std::vector<caf::actor>>>
    early;
  call::router router;
  std::shared_ptr<spdlog::logger> log;

  static inline const char* name = "sophia.registry";
};

using actor_ptr = caf::stateful_actor<state>*;

void send_snapshot(actor_ptr self, const caf::actor& to) {
  auto& st = self->state;
  wire::registry_snapshot snap{
    st.names.self(), st.incarnation, st.names.version(), {}
  };
  std::vector<caf::actor> handles;
  for (auto& [name, h] : st.names.local()) {
    snap.entries.push_back({ name, static_cast<uint32_t>(handles.size()) });
    handles.push_back(h);
  }
  self->send(
    to, atoms::reg_sync::value, wire::encode(snap), std::move(handles));
}

void broadcast(actor_ptr self) {
  for (auto& [node, reg] : self->state.peers)
    send_snapshot(self, reg);
}

/// Applies a peer's snapshot unless it belongs to another incarnation than
/// the one that is up (a stale message from before a restart).
void apply_snapshot(actor_ptr self,
                    const wire::registry_snapshot& snap,
                    const std::vector<caf::actor>& handles) {
  auto& st = self->state;
  auto i = st.incarnations.find(snap.node);
  if (i == st.incarnations.end() || i->second != snap.incarnation) return;
  std::map<std::string, caf::actor> entries;
  for (auto& e : snap.entries)
    if (e.handle < handles.size() && handles[e.handle])
      entries.emplace(e.name, handles[e.handle]);
  st.names.apply(snap.node, snap.incarnation, snap.version, std::move(entries));
}

caf::behavior registry_impl(actor_ptr self,
                            std::string name,
                            uint64_t incarnation) {
  auto& st = self->state;
  st.names = table<caf::actor>{ std::move(name) };
  st.incarnation = incarnation;
  st.log = log::get("registry");
  // A message from a newer node version that we do not know: answer requests
  // with sec::unexpected_message instead of printing to stderr (rolling
  // upgrades mix versions).
  self->set_default_handler(caf::drop);
  // An error sent as a plain message (a bounced reply) must not stop this
  // actor: CAF's default error handler quits.
  self->set_error_handler([self](caf::error& err) {
    self->state.log->warn("ignored error message: {}",
                          self->system().render(err));
  });
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    st.router.on_down(self, dm);
    // A terminated local actor: its names go away everywhere.
    std::vector<std::string> gone;
    for (auto& [n, a] : st.names.local())
      if (a.address() == dm.source) gone.push_back(n);
    for (auto& n : gone)
      st.names.erase(n);
    if (!gone.empty()) broadcast(self);
  });
  return {
    [self](caf::put_atom,
           const std::string& name,
           caf::actor& h) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      if (name.empty() || name.find('@') != std::string::npos)
        return make_error(errc::rejected,
                          "invalid registry name '" + name +
                            "': must be non-empty and contain no '@'");
      if (!st.names.put(name, h))
        return make_error(errc::rejected,
                          "'" + name + "' is already registered on " +
                            st.names.self());
      self->monitor(h);
      st.log->debug("registered name={}", name);
      broadcast(self);
      return caf::ok_atom::value;
    },
    [self](caf::delete_atom, const std::string& name) {
      if (self->state.names.erase(name)) broadcast(self);
      return caf::ok_atom::value;
    },
    [self](caf::get_atom, const std::string& name) -> caf::result<caf::actor> {
      if (auto h = self->state.names.lookup(name)) return *h;
      return make_error(errc::not_found,
                        "no actor registered as '" + name + "'");
    },
    [self](caf::get_atom, atoms::all) {
      std::vector<std::string> out;
      for (auto& e : self->state.names.list())
        out.emplace_back(e.name + "@" + e.node);
      return out;
    },
    [self](atoms::member, const membership::event& ev) {
      auto& st = self->state;
      if (ev.state == wire::member_state::down) {
        st.peers.erase(ev.node);
        st.incarnations.erase(ev.node);
        st.early.erase(ev.node);
        st.names.drop(ev.node);
        return;
      }
      st.incarnations[ev.node] = ev.incarnation;
      if (ev.registry && st.peers[ev.node] != ev.registry) {
        st.peers[ev.node] = ev.registry;
        send_snapshot(self, ev.registry);
        // The peer may never have seen us go (an asymmetric failure), so it
        // would not resend on its own: ask for its entries.
        self->send(ev.registry, caf::get_atom::value, atoms::reg_sync::value);
      }
      if (auto i = st.early.find(ev.node); i != st.early.end()) {
        auto [snap, handles] = std::move(i->second);
        st.early.erase(i);
        apply_snapshot(self, snap, handles);
      }
    },
    [self](atoms::reg_sync,
           const wire::buffer& buf,
           std::vector<caf::actor>& handles) {
      auto& st = self->state;
      auto snap = wire::decode_registry_snapshot(buf);
      if (!snap) {
        st.log->warn("dropped a registry snapshot: {}",
                     self->system().render(snap.error()));
        return;
      }
      if (!st.incarnations.count(snap->node)) {
        auto& slot = st.early[snap->node];
        if (slot.first.incarnation < snap->incarnation ||
            (slot.first.incarnation == snap->incarnation &&
             slot.first.version <= snap->version))
          slot = { std::move(*snap), std::move(handles) };
        return;
      }
      apply_snapshot(self, *snap, handles);
    },
    [self](atoms::sweep) { self->state.router.sweep(self); },
    // The membership actor tells subscribers about reloads; nothing to do.
    [](atoms::reload, const std::string&) {},
    [self](caf::get_atom, atoms::reg_sync) {
      if (auto peer = caf::actor_cast<caf::actor>(self->current_sender()))
        send_snapshot(self, peer);
    },
    [self](atoms::call,
           const std::string& name,
           wire::buffer& env,
           caf::timespan timeout) -> caf::result<wire::buffer> {
      auto target = self->state.names.lookup(name);
      if (!target)
        return make_error(errc::not_found,
                          "no actor registered as '" + name + "'");
      return self->state.router.route(self, *target, env, timeout);
    },
    [self](atoms::call,
           const std::string& name,
           wire::buffer& env,
           caf::timespan timeout,
           const caf::actor& channel) -> caf::result<wire::buffer> {
      auto target = self->state.names.lookup(name);
      if (!target)
        return make_error(errc::not_found,
                          "no actor registered as '" + name + "'");
      return self->state.router.route(self, *target, env, timeout, channel);
    },
    [self](atoms::call,
           const caf::actor& target,
           wire::buffer& env,
           caf::timespan timeout) -> caf::result<wire::buffer> {
      if (!target)
        return make_error(errc::not_found, "call to an invalid handle");
      return self->state.router.route(self, target, env, timeout);
    },
    [self](atoms::call,
           const caf::actor& target,
           wire::buffer& env,
           caf::timespan timeout,
           const caf::actor& channel) -> caf::result<wire::buffer> {
      if (!target)
        return make_error(errc::not_found, "call to an invalid handle");
      return self->state.router.route(self, target, env, timeout, channel);
    },
  };
}

} // namespace

caf::actor spawn_registry(caf::actor_system& sys,
                          std::string self,
                          uint64_t incarnation) {
  return sys.spawn(registry_impl, std::move(self), incarnation);
}

} // namespace sophia::runtime::registry
