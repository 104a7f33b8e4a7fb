#include "actors/ai/reloader.hpp"

#include <map>
#include <set>

#include <caf/all.hpp>
#include <spdlog/logger.h>

#include "actors/ai/ai_role.hpp"
#include "runtime/config/loader.hpp"
#include "runtime/config/secrets.hpp"
#include "runtime/log.hpp"
#include "runtime/supervision/messages.hpp"
#include "runtime/supervision/supervisor.hpp"
#include "runtime/system/atoms.hpp"

namespace sophia::actors::ai {

namespace cfg = runtime::config;
namespace sup = runtime::supervision;

namespace {

/// A digest of the resolved secrets of `svc`, so that a changed secret file
/// or ESC value is noticed without keeping the values themselves twice.
caf::expected<size_t> secrets_digest(const cfg::service_config& svc) {
  std::string all;
  for (const auto* ref : { &svc.api_key, &svc.virtual_key, &svc.space_id }) {
    if (ref->empty()) continue;
    auto value = cfg::resolve_secret(*ref);
    if (!value) return value.error();
    all += *value;
    all += '\0';
  }
  return std::hash<std::string>{}(all);
}

/// One step of applying a reload to the supervisor.
struct step {
  enum { stop, start } what;
  std::string id;
  sup::child_spec spec; // for `start`
};

struct reloader_state {
  ai_context ctx;
  std::shared_ptr<spdlog::logger> log;
  /// The membership actor subscribed to.
  caf::actor membership;
  /// The children the reloader knows to run (ids), and the digest of the
  /// secrets each started with.
  std::map<std::string, size_t> running;
  /// Steps of the reload being applied; later reloads wait for it.
  std::vector<step> steps;
  std::vector<std::string> pending;
  static inline const char* name = "ai.reloader";
};

using reloader_actor = caf::stateful_actor<reloader_state>*;

void subscribe(reloader_actor self) {
  auto& st = self->state;
  auto m = st.ctx.membership ? st.ctx.membership() : caf::actor{};
  if (!m || m == st.membership) {
    // Not started yet, or the one that died not replaced yet.
    self->delayed_send(
      self, std::chrono::seconds{ 1 }, runtime::atoms::subscribe::value);
    return;
  }
  st.membership = m;
  self->monitor(m);
  self->send(m, runtime::atoms::subscribe::value, caf::actor{ self });
}

void run_steps(reloader_actor self);

void apply_file(reloader_actor self, const std::string& path) {
  auto& st = self->state;
  auto loaded = cfg::load(path);
  if (auto* diags = std::get_if<std::vector<cfg::diagnostic>>(&loaded)) {
    // The membership actor applied this file a moment ago; it changed since.
    st.log->warn("services keep their configuration: {} no longer loads: {}",
                 path,
                 diags->empty() ? "?" : diags->front().to_string());
    return;
  }
  auto next = std::move(std::get<cfg::cluster_config>(loaded));
  auto prev = st.ctx.config->get();
  std::map<std::string, sup::child_spec> wanted;
  for (auto& spec : service_children(next, st.ctx, true))
    wanted.emplace(spec.id, std::move(spec));
  std::map<std::string, size_t> digests;
  std::set<std::string> kept_as_is; // unresolvable now: left running
  for (auto& [id, spec] : wanted) {
    auto digest = secrets_digest(next.services.at(id));
    if (digest) {
      digests[id] = *digest;
    } else {
      st.log->error("service {}: {}; it keeps running as it was",
                    id,
                    self->system().render(digest.error()));
      kept_as_is.insert(id);
    }
  }
  auto changed = [&](const std::string& id) {
    auto before = prev.services.find(id);
    return before == prev.services.end() ||
           !same_service(before->second, next.services.at(id)) ||
           st.running[id] != digests[id];
  };
  bool tracer_changed =
    st.running.count("arize") != wanted.count("arize") ||
    (wanted.count("arize") && !kept_as_is.count("arize") && changed("arize"));
  std::vector<step> steps;
  std::string report;
  for (auto& [id, digest] : st.running)
    if (!wanted.count(id)) {
      steps.push_back({ step::stop, id, {} });
      report += " stopped " + id + ";";
    }
  // Arize first: a provider captures the tracer's handle when it starts.
  std::vector<std::string> order;
  if (wanted.count("arize")) order.push_back("arize");
  for (auto& [id, spec] : wanted)
    if (id != "arize") order.push_back(id);
  for (auto& id : order) {
    if (kept_as_is.count(id)) continue;
    bool runs = st.running.count(id) != 0;
    bool restart = runs && (changed(id) || (tracer_changed && id != "arize"));
    if (runs && !restart) continue;
    if (runs) steps.push_back({ step::stop, id, {} });
    steps.push_back({ step::start, id, wanted.at(id) });
    report += (runs ? " restarted " : " started ") + id + ";";
  }
  // What runs now: what was started, and what was kept as it was.
  std::map<std::string, size_t> now;
  for (auto& [id, spec] : wanted) {
    if (!kept_as_is.count(id))
      now[id] = digests[id];
    else if (auto i = st.running.find(id); i != st.running.end())
      now[id] = i->second;
  }
  st.running = std::move(now);
  st.ctx.config->set(std::move(next));
  st.log->info("reloaded services from {}:{}",
               path,
               report.empty() ? std::string{ " no change" } : report);
  st.steps = std::move(steps);
  run_steps(self);
}

/// Runs `state.steps` in order, one request to the supervisor at a time;
/// a failed step is logged and the rest still run.
void run_steps(reloader_actor self) {
  auto& st = self->state;
  if (st.steps.empty()) {
    if (!st.pending.empty()) {
      auto path = st.pending.front();
      st.pending.erase(st.pending.begin());
      apply_file(self, path);
    }
    return;
  }
  auto s = std::move(st.steps.front());
  st.steps.erase(st.steps.begin());
  auto supervisor = *st.ctx.supervisor;
  auto timeout = std::chrono::seconds{ 30 };
  auto fail = [self, id = s.id](caf::error& e) {
    self->state.log->error(
      "reload of service {}: {}", id, self->system().render(e));
    run_steps(self);
  };
  if (s.what == step::stop) {
    self->request(supervisor, timeout, sup::atoms::terminate_child::value, s.id)
      .then(
        [self, supervisor, timeout, id = s.id, fail](caf::ok_atom) {
          self
            ->request(supervisor, timeout, sup::atoms::delete_child::value, id)
            .then([self](caf::ok_atom) { run_steps(self); }, fail);
        },
        fail);
    return;
  }
  self
    ->request(
      supervisor, timeout, sup::atoms::start_child::value, std::move(s.spec))
    .then([self](const caf::actor&) { run_steps(self); }, fail);
}

caf::behavior reloader_impl(reloader_actor self, ai_context ctx) {
  auto& st = self->state;
  st.log = runtime::log::get("ai");
  auto current = ctx.config->get();
  st.ctx = std::move(ctx);
  // What the supervisor started with this incarnation's configuration.
  for (auto& spec : service_children(current, st.ctx, false)) {
    auto digest = secrets_digest(current.services.at(spec.id));
    st.running[spec.id] = digest ? *digest : 0;
  }
  self->set_down_handler([self](const caf::down_msg& dm) {
    if (dm.source != self->state.membership) return;
    subscribe(self);
  });
  // Membership events are not ours to handle.
  self->set_default_handler(caf::drop);
  subscribe(self);
  return {
    [self](runtime::atoms::subscribe) { subscribe(self); },
    [self](runtime::atoms::reload, const std::string& path) {
      auto& st = self->state;
      if (!st.steps.empty()) {
        st.pending.push_back(path);
        return;
      }
      apply_file(self, path);
    },
  };
}

} // namespace

caf::actor spawn_reloader(caf::actor_system& sys, ai_context ctx) {
  return sys.spawn<caf::detached>(reloader_impl, std::move(ctx));
}

} // namespace sophia::actors::ai
