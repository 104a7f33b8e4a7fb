#include "actors/edge/engine.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "actors/edge/jsonrpc.hpp"
#include "runtime/log.hpp"
#include "runtime/mcp/provider.hpp"
#include "runtime/system/atoms.hpp"

namespace sophia::actors::edge {

namespace {

using json = nlohmann::json;

constexpr auto ask_timeout = std::chrono::seconds{ 5 };

} // namespace

void engine::refresh() {
  if (refreshing_) return;
  auto membership = opts_.membership ? opts_.membership() : caf::actor{};
  if (!membership) return;
  refreshing_ = true;
  auto done = [this](caf::error&) {
    auto guard = lock();
    refreshing_ = false;
  };
  self_
    ->request(membership,
              ask_timeout,
              caf::get_atom::value,
              runtime::atoms::registry::value)
    .then(
      [this, done](const caf::actor& reg) {
        auto guard = lock();
        registry_ = reg;
        self_
          ->request(
            reg, ask_timeout, caf::get_atom::value, runtime::atoms::all::value)
          .then(
            [this](const std::vector<std::string>& names) {
              auto guard = lock();
              refreshing_ = false;
              std::set<std::string> seen;
              for (auto& x : names)
                if (x.starts_with(runtime::mcp::name_prefix)) seen.insert(x);
              bool changed = false;
              for (auto i = providers_.begin(); i != providers_.end();)
                if (seen.count(i->first) == 0) {
                  i = providers_.erase(i);
                  changed = true;
                } else {
                  ++i;
                }
              for (auto& key : seen)
                if (providers_.count(key) == 0 && describing_.count(key) == 0) {
                  auto at = key.rfind('@');
                  describe(key,
                           at == std::string::npos ? std::string{}
                                                   : key.substr(at + 1));
                }
              if (changed) rebuild();
              check_loaded();
            },
            done);
      },
      done);
}

void engine::describe(const std::string& key, const std::string& node) {
  describing_.insert(key);
  auto failed = [this, key](caf::error& err) {
    auto guard = lock();
    describing_.erase(key); // the next refresh tries again
    check_loaded();
    runtime::log::get("edge")->debug(
      "cannot describe {}: {}", key, caf::to_string(err));
  };
  self_->request(registry_, ask_timeout, caf::get_atom::value, key)
    .then(
      [this, key, node, failed](const caf::actor& handle) {
        auto guard = lock();
        self_->request(handle, ask_timeout, runtime::mcp::describe::value)
          .then(
            [this, key, node, handle](const std::string& text) {
              auto guard = lock();
              describing_.erase(key);
              auto d = json::parse(text, nullptr, false);
              if (d.is_discarded() || !d.is_object()) {
                runtime::log::get("edge")->warn(
                  "provider {} sent a descriptor that is not a JSON object",
                  key);
                check_loaded();
                return;
              }
              self_->monitor(handle);
              providers_[key] = provider{ key, node, handle, std::move(d) };
              rebuild();
              check_loaded();
            },
            failed);
      },
      failed);
}

void engine::check_loaded() {
  if (!describing_.empty()) return;
  loaded_ = true;
  for (auto& w : ready_waiters_)
    w.deliver(providers_.size());
  ready_waiters_.clear();
}

caf::result<size_t> engine::when_ready() {
  if (loaded_) return providers_.size();
  ready_waiters_.push_back(self_->make_response_promise<size_t>());
  return ready_waiters_.back();
}

void engine::on_down(const caf::actor_addr& who) {
  bool changed = false;
  for (auto i = providers_.begin(); i != providers_.end();)
    if (i->second.handle.address() == who) {
      i = providers_.erase(i);
      changed = true;
    } else {
      ++i;
    }
  if (changed) rebuild();
}

void engine::rebuild() {
  std::vector<provider> xs;
  xs.reserve(providers_.size());
  for (auto& [key, p] : providers_)
    xs.push_back(p);
  std::vector<std::string> warnings;
  auto before = catalog_.tool_names();
  auto c = catalog_.rebuild(xs, opts_.node, warnings);
  // Tools that just left may come back on another node (fail-over): calls
  // to them wait a while (see call_tool).
  auto t = now();
  auto after = catalog_.tool_names();
  for (auto& name : before)
    if (!std::binary_search(after.begin(), after.end(), name)) gone_[name] = t;
  auto wait = std::chrono::milliseconds{ opts_.config.failover_wait_ms };
  for (auto i = gone_.begin(); i != gone_.end();)
    if (std::binary_search(after.begin(), after.end(), i->first) ||
        t - i->second >= wait)
      i = gone_.erase(i);
    else
      ++i;
  auto lg = runtime::log::get("edge");
  for (auto& w : warnings)
    lg->warn("catalog: {}", w);
  if (c.tools) {
    lg->info("tool catalog changed: {} providers", providers_.size());
    broadcast(jsonrpc::notification("notifications/tools/list_changed", "{}"));
  }
  if (c.resources)
    broadcast(
      jsonrpc::notification("notifications/resources/list_changed", "{}"));
  if (c.prompts)
    broadcast(
      jsonrpc::notification("notifications/prompts/list_changed", "{}"));
  if (c.tools) retry_parked();
}

} // namespace sophia::actors::edge
