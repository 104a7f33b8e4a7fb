#include "runtime/testing/cluster.hpp"

#include <stdexcept>
#include <thread>

#include <caf/all.hpp>

#include "runtime/error.hpp"
#include "runtime/system/atoms.hpp"
#include "runtime/system/setup.hpp"
#include "runtime/testing/ports.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::runtime::testing {

local_cluster::local_cluster(cluster_options opts) {
  config_.source = "<local_cluster>";
  config_.name = opts.name;
  config_.heartbeat_ms = opts.heartbeat_ms;
  config_.failure_timeout_ms = opts.failure_timeout_ms;
  config_.connect_timeout_ms = opts.connect_timeout_ms;
  config_.reconnect_ms = opts.reconnect_ms;
  config_.scheduler_policy = opts.scheduler_policy;
  config_.scheduler_threads = opts.scheduler_threads;
  for (size_t i = 0; i < opts.nodes; ++i) {
    config::node_config n;
    n.name = "node-" + std::to_string(i + 1);
    n.host = "127.0.0.1";
    n.port = reserve_port();
    if (i < opts.roles.size()) n.roles = opts.roles[i];
    if (i < opts.standby.size()) n.standby = opts.standby[i];
    for (auto& r : n.roles)
      if (!opts.role_settings.count(r))
        config_.roles[r] = config::role_config{ r, false, false };
    config_.nodes.push_back(n);
    nodes_.emplace_back(std::make_unique<node_slot>());
  }
  for (auto& [r, rc] : opts.role_settings)
    config_.roles[r] = rc;
  role_factory_ = opts.role_factory;
  for (size_t i = 0; i < opts.nodes; ++i)
    start(i);
}

local_cluster::~local_cluster() {
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (alive(i)) kill(i);
}

const std::string& local_cluster::name(size_t i) const {
  return config_.nodes.at(i).name;
}

caf::actor_system& local_cluster::system(size_t i) {
  return *nodes_.at(i)->sys;
}

node::handles local_cluster::handles(size_t i) const {
  return nodes_.at(i)->ctx->get();
}

bool local_cluster::alive(size_t i) const {
  return nodes_.at(i)->sys != nullptr;
}

void local_cluster::start(size_t i) {
  auto& slot = *nodes_.at(i);
  slot.cfg = std::make_unique<caf::actor_system_config>();
  system::prepare(*slot.cfg, config_);
  slot.sys = std::make_unique<caf::actor_system>(*slot.cfg);
  // A port freed by a killed node can linger briefly; retry the bind.
  for (int attempt = 0;; ++attempt) {
    auto h = node::start(*slot.sys, config_, name(i), role_factory_);
    if (h) {
      slot.ctx = std::move(*h);
      return;
    }
    if (attempt == 50)
      throw std::runtime_error("local_cluster: cannot start " + name(i) + ": " +
                               slot.sys->render(h.error()));
    std::this_thread::sleep_for(std::chrono::milliseconds{ 100 });
  }
}

void local_cluster::kill(size_t i) {
  auto& slot = *nodes_.at(i);
  if (!slot.sys) return;
  for (auto& a : slot.spawned)
    caf::anon_send_exit(a, caf::exit_reason::kill);
  slot.spawned.clear();
  node::stop(*slot.sys, *slot.ctx, false);
  slot.ctx.reset();
  slot.sys.reset();
  slot.cfg.reset();
}

void local_cluster::restart(size_t i) {
  kill(i);
  start(i);
}

caf::error local_cluster::register_actor(size_t i,
                                         const std::string& name,
                                         const caf::actor& a) {
  caf::scoped_actor self{ system(i) };
  caf::error err;
  self
    ->request(handles(i).registry,
              std::chrono::seconds{ 5 },
              caf::put_atom::value,
              name,
              a)
    .receive([](caf::ok_atom) {}, [&](caf::error& e) { err = std::move(e); });
  return err;
}

caf::expected<caf::actor> local_cluster::lookup(size_t i,
                                                const std::string& name) {
  caf::scoped_actor self{ system(i) };
  caf::expected<caf::actor> result{ make_error(errc::none) };
  self
    ->request(handles(i).registry,
              std::chrono::seconds{ 5 },
              caf::get_atom::value,
              name)
    .receive([&](caf::actor& a) { result = std::move(a); },
             [&](caf::error& e) { result = std::move(e); });
  return result;
}

caf::expected<std::string> local_cluster::call(size_t i,
                                               const std::string& name,
                                               const call::request& req) {
  caf::scoped_actor self{ system(i) };
  return call::call(self, handles(i).registry, name, req);
}

caf::expected<wire::membership_view> local_cluster::view(size_t i) {
  caf::scoped_actor self{ system(i) };
  caf::expected<wire::membership_view> result{ make_error(errc::none) };
  self
    ->request(
      handles(i).membership, std::chrono::seconds{ 5 }, atoms::status::value)
    .receive(
      [&](wire::buffer& buf) { result = wire::decode_membership_view(buf); },
      [&](caf::error& e) { result = std::move(e); });
  return result;
}

std::optional<wire::member_state> local_cluster::state(size_t observer,
                                                       size_t peer) {
  auto v = view(observer);
  if (!v) return std::nullopt;
  for (auto& m : v->members)
    if (m.name == name(peer)) return m.state;
  return std::nullopt;
}

bool local_cluster::converged() {
  for (size_t i = 0; i < size(); ++i) {
    if (!alive(i)) continue;
    for (size_t j = 0; j < size(); ++j)
      if (j != i && alive(j) && state(i, j) != wire::member_state::up)
        return false;
  }
  return true;
}

bool local_cluster::wait_until(const std::function<bool()>& pred,
                               std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds{ 20 });
  }
  return true;
}

} // namespace sophia::runtime::testing
