#include "runtime/membership/membership_actor.hpp"

#include "runtime/metrics/families.hpp"
#include "runtime/metrics/registry.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <unistd.h>

#include <caf/all.hpp>

#include "runtime/config/loader.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/membership/event.hpp"
#include "runtime/supervision/tree_codec.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/version.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::runtime::membership {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using time_point = caf::actor_clock::time_point;
using wire::member_state;

/// What this node knows about one peer.
struct peer {
  config::node_config cfg;
  member_state state = member_state::down;
  time_point since;
  std::optional<time_point> last_heartbeat;
  uint64_t incarnation = 0;
  /// The peer's membership and registry actors while it is up.
  caf::actor membership;
  caf::actor registry;
  /// A connect + hello attempt is under way; `attempt` tells a stale reply
  /// from the current one.
  bool connecting = false;
  uint64_t attempt = 0;
  time_point next_attempt;
  std::string reason = "not connected yet";
};

struct state {
  options opts;
  wire::node_info self_info;
  std::map<std::string, peer> peers;
  std::vector<caf::actor> subscribers;
  /// Whether cluster.conf was reloaded since the node started: a subscriber
  /// that comes later (a role placed afterwards) is told at once, because
  /// it was built from the file as the node started.
  bool reloaded = false;
  uint64_t heartbeat_seq = 0;
  time_point last_heartbeat_sent;
  time_point started;
  std::shared_ptr<spdlog::logger> log;

  static inline const char* name = "sophia.membership";
};

using actor_ptr = caf::stateful_actor<state>*;

milliseconds ms(int64_t x) {
  return milliseconds{ x };
}

/// A peer is suspect after two missed heartbeats, but always before it is
/// declared down.
milliseconds suspect_after(const config::cluster_config& c) {
  return ms(std::min(2 * c.heartbeat_ms, c.failure_timeout_ms * 3 / 4));
}

/// How often timers are checked: fine enough that detection lags the
/// configured timeout by at most this much.
milliseconds tick_interval(const config::cluster_config& c) {
  return ms(std::clamp<int64_t>(c.heartbeat_ms / 2, 10, 100));
}

int64_t to_unix_ms(actor_ptr self, time_point t) {
  auto age = self->clock().now() - t;
  auto wall = std::chrono::system_clock::now() - age;
  return duration_cast<milliseconds>(wall.time_since_epoch()).count();
}

void notify(actor_ptr self,
            const peer& p,
            std::string reason,
            bool removed = false) {
  event ev{ p.cfg.name, p.state,           p.incarnation,
            p.registry, std::move(reason), removed };
  for (auto& sub : self->state.subscribers)
    self->send(sub, atoms::member::value, ev);
}

/// The peers by state (this node counts as up) for the metrics.
void count_members(actor_ptr self) {
  size_t n[3] = { 1, 0, 0 };
  for (auto& [name, p] : self->state.peers) ++n[static_cast<size_t>(p.state)];
  auto& reg = metrics::registry::global();
  for (auto s : { member_state::up, member_state::suspect, member_state::down })
    reg.set(metrics::members, { { "state", to_string(s) } },
            static_cast<double>(n[static_cast<size_t>(s)]));
}

void set_state(actor_ptr self, peer& p, member_state to, std::string reason) {
  if (p.state == to) return;
  auto& log = self->state.log;
  if (to == member_state::up)
    log->info("peer={} state=up incarnation={}", p.cfg.name, p.incarnation);
  else
    log->warn(
      "peer={} state={} reason=\"{}\"", p.cfg.name, to_string(to), reason);
  p.state = to;
  p.since = self->clock().now();
  p.reason = reason;
  count_members(self);
  notify(self, p, std::move(reason));
}

void mark_down(actor_ptr self, peer& p, std::string reason) {
  if (p.membership) self->demonitor(p.membership);
  p.membership = nullptr;
  p.registry = nullptr;
  // A retry right away would hit the same failure; wait a little.
  p.next_attempt =
    self->clock().now() + ms(self->state.opts.cluster.reconnect_ms);
  set_state(self, p, member_state::down, std::move(reason));
}

void mark_up(actor_ptr self,
             peer& p,
             caf::actor membership,
             caf::actor registry,
             uint64_t incarnation) {
  if (p.state != member_state::down && p.incarnation != incarnation)
    mark_down(self, p, "restarted");
  if (p.membership != membership) {
    if (p.membership) self->demonitor(p.membership);
    self->monitor(membership);
  }
  p.membership = std::move(membership);
  p.registry = std::move(registry);
  p.incarnation = incarnation;
  p.last_heartbeat = self->clock().now();
  set_state(self, p, member_state::up, "hello");
}

/// Connects to a peer and runs the hello handshake, each step bounded by
/// `connect_timeout_ms`. The handshake is what makes a cached proxy of a
/// frozen peer harmless: a proxy alone never counts as "up".
void connect(actor_ptr self, peer& p) {
  auto& c = self->state.opts.cluster;
  p.connecting = true;
  auto attempt = ++p.attempt;
  auto name = p.cfg.name;
  auto timeout = ms(c.connect_timeout_ms);
  auto failed = [self, name, attempt](const caf::error& err) {
    auto i = self->state.peers.find(name);
    if (i == self->state.peers.end() || i->second.attempt != attempt) return;
    auto& q = i->second;
    q.connecting = false;
    q.next_attempt =
      self->clock().now() + ms(self->state.opts.cluster.reconnect_ms);
    q.reason = self->system().render(err);
    self->state.log->debug("peer={} connect failed: {}", name, q.reason);
  };
  self
    ->request(self->state.opts.connector,
              timeout,
              caf::connect_atom::value,
              p.cfg.host,
              p.cfg.port)
    .then(
      [=](caf::actor remote) {
        auto i = self->state.peers.find(name);
        if (i == self->state.peers.end() || i->second.attempt != attempt)
          return;
        auto hello = wire::encode(wire::hello{ self->state.self_info });
        self
          ->request(remote,
                    timeout,
                    atoms::hello::value,
                    std::move(hello),
                    self->state.opts.registry)
          .then(
            [=](wire::buffer& reply, caf::actor registry) {
              auto i = self->state.peers.find(name);
              if (i == self->state.peers.end() || i->second.attempt != attempt)
                return;
              auto h = wire::decode_hello(reply);
              if (!h) {
                failed(h.error());
                return;
              }
              if (h->from.name != name ||
                  h->from.cluster != self->state.opts.cluster.name) {
                failed(make_error(errc::rejected,
                                  "expected " + name + " of cluster " +
                                    self->state.opts.cluster.name + ", found " +
                                    h->from.name + " of cluster " +
                                    h->from.cluster));
                return;
              }
              i->second.connecting = false;
              mark_up(self,
                      i->second,
                      remote,
                      std::move(registry),
                      h->from.incarnation);
            },
            failed);
      },
      failed);
}

void send_heartbeats(actor_ptr self) {
  auto& st = self->state;
  wire::heartbeat hb{ st.self_info.name,
                      st.self_info.incarnation,
                      ++st.heartbeat_seq,
                      std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count() };
  auto buf = wire::encode(hb);
  for (auto& [name, p] : st.peers)
    if (p.membership) self->send(p.membership, atoms::heartbeat::value, buf);
  st.last_heartbeat_sent = self->clock().now();
}

/// Runs the failure detector and the reconnect loop.
void on_tick(actor_ptr self) {
  auto& st = self->state;
  auto& c = st.opts.cluster;
  auto now = self->clock().now();
  if (now - st.last_heartbeat_sent >= ms(c.heartbeat_ms)) send_heartbeats(self);
  for (auto& [name, p] : st.peers) {
    if (p.state != member_state::down) {
      auto silence = now - *p.last_heartbeat;
      if (silence >= ms(c.failure_timeout_ms))
        mark_down(
          self,
          p,
          "no heartbeat for " +
            std::to_string(duration_cast<milliseconds>(silence).count()) +
            " ms");
      else if (silence >= suspect_after(c))
        set_state(self, p, member_state::suspect, "missed heartbeats");
    }
    if (p.state == member_state::down && !p.connecting && now >= p.next_attempt)
      connect(self, p);
  }
  self->delayed_send(self, tick_interval(c), atoms::tick::value);
}

wire::membership_view make_view(actor_ptr self) {
  auto& st = self->state;
  wire::membership_view view{ st.opts.cluster.name, st.self_info.name, {} };
  for (auto& n : st.opts.cluster.nodes) {
    wire::member_status m{ n.name,
                           n.host,
                           n.port,
                           n.roles,
                           member_state::up,
                           to_unix_ms(self, st.started),
                           0,
                           st.self_info.incarnation };
    if (auto i = st.peers.find(n.name); i != st.peers.end()) {
      auto& p = i->second;
      m.state = p.state;
      m.since_unix_ms = to_unix_ms(self, p.since);
      m.heartbeat_age_ms =
        p.last_heartbeat
          ? duration_cast<milliseconds>(self->clock().now() - *p.last_heartbeat)
              .count()
          : -1;
      m.incarnation = p.incarnation;
    }
    view.members.emplace_back(std::move(m));
  }
  return view;
}

void add_peer(actor_ptr self, const config::node_config& n) {
  peer p;
  p.cfg = n;
  p.since = self->clock().now();
  p.next_attempt = p.since;
  self->state.peers.emplace(n.name, std::move(p));
}

/// Tells every peer that this node leaves on purpose, so they mark it down at
/// once instead of waiting for the failure detector.
void announce_leave(actor_ptr self, const std::string& reason) {
  auto& st = self->state;
  auto buf = wire::encode(
    wire::leave{ st.self_info.name, st.self_info.incarnation, reason });
  for (auto& [name, p] : st.peers)
    if (p.membership) self->send(p.membership, atoms::leave::value, buf);
}

/// Applies a new, valid cluster.conf: peers that appeared are connected,
/// peers that disappeared are dropped, and a node that was removed itself
/// leaves the cluster.
caf::result<std::string> apply_reload(actor_ptr self,
                                      config::cluster_config next) {
  auto& st = self->state;
  if (next.name != st.opts.cluster.name)
    return make_error(errc::bad_config,
                      next.source + ": cluster name changed from '" +
                        st.opts.cluster.name + "' to '" + next.name +
                        "'; restart every node to rename a cluster");
  auto me = next.find_node(st.self_info.name);
  if (!me) {
    st.log->warn("this node was removed from {}: leaving the cluster",
                 next.source);
    announce_leave(self, "removed from cluster.conf");
    self->quit(make_error(errc::shutdown, "left the cluster"));
    return std::string{ "removed from cluster.conf: leaving" };
  }
  std::string added, removed;
  for (auto i = st.peers.begin(); i != st.peers.end();) {
    auto n = next.find_node(i->first);
    if (n && n->endpoint() == i->second.cfg.endpoint()) {
      i->second.cfg = *n;
      ++i;
      continue;
    }
    removed += (removed.empty() ? "" : ",") + i->first;
    auto& p = i->second;
    if (p.membership) self->demonitor(p.membership);
    p.membership = nullptr;
    p.registry = nullptr;
    p.state = member_state::down;
    notify(self, p, "removed from cluster.conf", true);
    i = st.peers.erase(i);
  }
  for (auto& n : next.nodes)
    if (n.name != st.self_info.name && !st.peers.count(n.name)) {
      added += (added.empty() ? "" : ",") + n.name;
      add_peer(self, n);
    }
  if (next.heartbeat_ms != st.opts.cluster.heartbeat_ms ||
      next.failure_timeout_ms != st.opts.cluster.failure_timeout_ms)
    st.log->warn("heartbeat_ms/failure_timeout_ms changed: the failure "
                 "detector uses the new values now, CAF's transport "
                 "timeouts only after a restart");
  st.opts.cluster = std::move(next);
  st.reloaded = true;
  auto summary = "reloaded " + st.opts.cluster.source + ": added [" + added +
                 "] removed [" + removed + "]";
  st.log->info("{}", summary);
  // Subscribers that keep their own copy of the configuration (placement)
  // re-read it too.
  for (auto& sub : st.subscribers)
    self->send(sub, atoms::reload::value, st.opts.cluster.source);
  // Connect to new peers now rather than on the next tick.
  for (auto& [name, p] : st.peers)
    if (p.state == member_state::down && !p.connecting) connect(self, p);
  return summary;
}

caf::behavior membership_impl(actor_ptr self, options opts) {
  auto& st = self->state;
  st.log = log::get("membership");
  st.started = self->clock().now();
  const auto* me = opts.cluster.find_node(opts.self);
  st.self_info =
    wire::node_info{ opts.self,          opts.cluster.name,
                     opts.incarnation,   static_cast<uint32_t>(::getpid()),
                     me ? me->host : "", me ? me->port : uint16_t{ 0 },
                     version() };
  st.opts = std::move(opts);
  for (auto& n : st.opts.cluster.nodes)
    if (n.name != st.self_info.name) add_peer(self, n);
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
    for (auto& [name, p] : self->state.peers)
      if (p.membership && p.membership.address() == dm.source) {
        mark_down(self,
                  p,
                  dm.reason == caf::exit_reason::remote_link_unreachable
                    ? "connection lost"
                    : "its membership actor exited: " +
                        self->system().render(dm.reason));
        return;
      }
    auto& subs = self->state.subscribers;
    subs.erase(std::remove_if(
                 subs.begin(),
                 subs.end(),
                 [&](const caf::actor& x) { return x.address() == dm.source; }),
               subs.end());
  });
  self->send(self, atoms::tick::value);
  return {
    [self](atoms::tick) { on_tick(self); },
    [self](atoms::hello,
           wire::buffer& buf,
           caf::actor& registry) -> caf::result<wire::buffer, caf::actor> {
      auto& st = self->state;
      auto h = wire::decode_hello(buf);
      if (!h) return h.error();
      if (h->from.cluster != st.opts.cluster.name)
        return make_error(errc::rejected,
                          "this is cluster '" + st.opts.cluster.name +
                            "', not '" + h->from.cluster + "'");
      auto i = st.peers.find(h->from.name);
      if (i == st.peers.end())
        return make_error(errc::rejected,
                          "node '" + h->from.name + "' is not in " +
                            st.opts.cluster.source + " of node '" +
                            st.self_info.name + "' (reload its cluster.conf)");
      auto& p = i->second;
      auto sender = caf::actor_cast<caf::actor>(self->current_sender());
      if (p.state != member_state::down && p.incarnation != h->from.incarnation)
        mark_down(self, p, "restarted");
      // The peer reached us, so it is alive: take its handle right away
      // instead of waiting for our own reconnect timer.
      if (p.state == member_state::down && sender) {
        ++p.attempt; // a connect under way is now stale
        p.connecting = false;
        mark_up(self, p, sender, std::move(registry), h->from.incarnation);
      }
      return caf::make_result(wire::encode(wire::hello{ st.self_info }),
                              st.opts.registry);
    },
    [self](atoms::heartbeat, const wire::buffer& buf) {
      auto hb = wire::decode_heartbeat(buf);
      if (!hb) return;
      auto i = self->state.peers.find(hb->from);
      if (i == self->state.peers.end()) return;
      auto& p = i->second;
      if (p.state == member_state::down || p.incarnation != hb->incarnation) {
        // Alive but not connected in our view (it was hung, or restarted):
        // handshake again now. An attempt still in flight most likely went
        // to the frozen process and would only time out: supersede it.
        if (p.connecting) {
          ++p.attempt;
          p.connecting = false;
        }
        p.next_attempt = self->clock().now();
        return;
      }
      p.last_heartbeat = self->clock().now();
      if (p.state == member_state::suspect)
        set_state(self, p, member_state::up, "heartbeat");
    },
    [self](atoms::leave, const wire::buffer& buf) {
      auto lv = wire::decode_leave(buf);
      if (!lv) return;
      auto i = self->state.peers.find(lv->from);
      if (i != self->state.peers.end() &&
          i->second.incarnation == lv->incarnation)
        mark_down(self, i->second, "left: " + lv->reason);
    },
    [self](atoms::leave) {
      announce_leave(self, "shutdown");
      self->quit(make_error(errc::shutdown, "left the cluster"));
    },
    [self](atoms::status) { return wire::encode(make_view(self)); },
    [self](atoms::reload) -> caf::result<std::string> {
      auto loaded = config::load(self->state.opts.cluster.source);
      if (auto diags = std::get_if<std::vector<config::diagnostic>>(&loaded)) {
        std::string text = "cluster.conf rejected, running configuration kept:";
        for (auto& d : *diags)
          text += "\n" + d.to_string();
        self->state.log->error("{}", text);
        return make_error(errc::bad_config, std::move(text));
      }
      return apply_reload(self,
                          std::get<config::cluster_config>(std::move(loaded)));
    },
    [self](atoms::subscribe, caf::actor& sub) {
      self->monitor(sub);
      for (auto& [name, p] : self->state.peers)
        if (p.state != member_state::down)
          self->send(sub,
                     atoms::member::value,
                     event{ p.cfg.name,
                            p.state,
                            p.incarnation,
                            p.registry,
                            "subscribed",
                            false });
      if (self->state.reloaded)
        self->send(sub, atoms::reload::value, self->state.opts.cluster.source);
      self->state.subscribers.emplace_back(std::move(sub));
    },
    [self](caf::get_atom, atoms::registry) {
      return self->state.opts.registry;
    },
    [self](caf::get_atom,
           supervision::atoms::tree) -> caf::result<wire::buffer> {
      auto root = self->state.opts.tree_root;
      if (!root)
        return make_error(errc::not_found,
                          "this node runs no supervision tree");
      auto rp = self->make_response_promise<wire::buffer>();
      auto node = self->state.self_info.name;
      self
        ->request(root,
                  std::chrono::seconds{ 5 },
                  caf::get_atom::value,
                  supervision::atoms::tree::value)
        .then(
          [=](supervision::tree_node& t) mutable {
            rp.deliver(supervision::encode(
              supervision::tree_snapshot{ node, std::move(t) }));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
  };
}

} // namespace

caf::actor spawn_membership(caf::actor_system& sys, options opts) {
  return sys.spawn(membership_impl, std::move(opts));
}

} // namespace sophia::runtime::membership
