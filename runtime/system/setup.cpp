#include "runtime/system/setup.hpp"

#include <chrono>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/message.hpp>

#include "runtime/config/cluster_config.hpp"
#include "runtime/system/allocator.hpp"
#include "runtime/error.hpp"
#include "runtime/system/io_scheduler.hpp"
#include "runtime/membership/event.hpp"
#include "runtime/supervision/messages.hpp"
#include "runtime/wire/buffer.hpp"

namespace sophia::runtime::system {

void announce(caf::actor_system_config& cfg) {
  supervision::announce(cfg);
  cfg.add_message_type<wire::buffer>("sophia.buf");
  cfg.add_message_type<membership::event>("sophia.member_event");
  cfg.add_error_category(
    error_category(),
    [](uint8_t code, caf::atom_value, const caf::message& ctx) {
      std::string out = "sophia.";
      out += to_string(static_cast<errc>(code));
      if (ctx.match_elements<std::string>()) {
        out += ": ";
        out += ctx.get_as<std::string>(0);
      } else if (!ctx.empty()) {
        out += ": ";
        out += to_string(ctx);
      }
      return out;
    });
}

void prepare(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  announce(cfg);
  // CAF's own log file is of no use to operators; spdlog is our log.
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
}

void prepare(caf::actor_system_config& cfg,
             const config::cluster_config& cluster) {
  keep_freed_memory();
  prepare(cfg);
  using std::chrono::milliseconds;
  cfg.set("scheduler.policy", caf::atom_from_string(cluster.scheduler_policy));
  // Work sharing whose idle worker waits on the actors' sockets: what the
  // HTTP client needs to answer without a hand-off between threads.
  if (cluster.scheduler_policy == "sharing") load_io_scheduler(cfg);
  cfg.set("scheduler.max-threads",
          static_cast<size_t>(cluster.scheduler_threads));
  cfg.set("middleman.heartbeat-interval",
          caf::timespan{ milliseconds{ cluster.heartbeat_ms } });
  cfg.set("middleman.connection-timeout",
          caf::timespan{ milliseconds{ cluster.failure_timeout_ms } });
}

} // namespace sophia::runtime::system
