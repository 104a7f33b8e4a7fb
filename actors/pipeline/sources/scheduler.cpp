#include "actors/pipeline/sources/scheduler.hpp"

#include <chrono>
#include <memory>
#include <set>
#include <string>

#include <caf/all.hpp>

#include "actors/pipeline/atoms.hpp"

namespace sophia::actors::pipeline::sources {

namespace {

/// `(tick, source, period_s)`: a source's turn.
using tick = caf::atom_constant<caf::atom("plsrctick")>;

caf::behavior scheduler_impl(caf::event_based_actor* self, caf::actor worker,
                             std::vector<source_spec> sources) {
  // The sources whose sync is in flight: their next turn is skipped.
  auto running = std::make_shared<std::set<std::string>>();
  for (auto& s : sources)
    if (s.schedule_s > 0)
      self->delayed_send(self, std::chrono::seconds{s.schedule_s}, tick::value,
                         s.name, s.schedule_s);
  self->set_default_handler(caf::drop);
  return {
    [self, worker, running](tick, const std::string& name, int64_t period) {
      self->delayed_send(self, std::chrono::seconds{period}, tick::value, name,
                         period);
      if (!running->insert(name).second)
        return;
      // The worker enforces the source's timeout_s; this waits for it.
      self->request(worker, caf::infinite, atoms::sync::value, name)
        .then([running, name](const std::string&) { running->erase(name); },
              [running, name](const caf::error&) { running->erase(name); });
    },
  };
}

} // namespace

caf::expected<caf::actor> spawn_scheduler(caf::actor_system& sys,
                                          caf::actor worker,
                                          std::vector<source_spec> sources) {
  return sys.spawn(scheduler_impl, std::move(worker), std::move(sources));
}

} // namespace sophia::actors::pipeline::sources
