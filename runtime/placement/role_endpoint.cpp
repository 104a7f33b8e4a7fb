#include "runtime/placement/role_endpoint.hpp"

#include <chrono>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "runtime/call/call.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/placement/decide.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::runtime::placement {

namespace {

using std::chrono::milliseconds;

/// Registers `self` under `name`; the previous instance's entry may linger
/// for a moment after a restart (its down message is still on its way), so
/// a refusal is retried a few times.
void register_self(caf::event_based_actor* self,
                   caf::actor registry,
                   std::string name,
                   int tries) {
  self
    ->request(registry,
              std::chrono::seconds{ 2 },
              caf::put_atom::value,
              name,
              caf::actor_cast<caf::actor>(self))
    .then([](caf::ok_atom) {},
          [=](const caf::error& err) {
            if (tries > 0) {
              self->delayed_send(
                self, milliseconds{ 50 }, caf::put_atom::value, tries - 1);
              return;
            }
            log::get("placement")
              ->error(
                "cannot register {}: {}", name, self->system().render(err));
            self->quit(err);
          });
}

caf::behavior endpoint_impl(caf::event_based_actor* self,
                            std::string role,
                            std::string node,
                            caf::actor registry) {
  auto started = std::chrono::duration_cast<milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  auto name = registry_name(role);
  register_self(self, registry, name, 20);
  return {
    [=](caf::put_atom, int tries) {
      register_self(self, registry, name, tries);
    },
    [=](atoms::call, const wire::buffer& buf) -> caf::result<wire::buffer> {
      auto env = wire::decode_call_envelope(buf);
      if (!env) return env.error();
      if (env->method == "info")
        return call::make_reply(nlohmann::json{
          { "role", role }, { "node", node }, { "started_unix_ms", started } }
                                  .dump());
      if (env->method == "echo")
        return call::make_reply(std::move(env->payload));
      if (env->method == "crash") {
        self->quit(
          make_error(errc::call_failed, "crash requested by " + env->caller));
        return make_error(errc::call_failed, "crashing as asked");
      }
      return make_error(errc::rejected,
                        name + " has no method '" + env->method +
                          "' (info, echo, crash)");
    },
  };
}

} // namespace

caf::actor spawn_role_endpoint(caf::actor_system& sys,
                               std::string role,
                               std::string node,
                               caf::actor registry) {
  return sys.spawn(
    endpoint_impl, std::move(role), std::move(node), std::move(registry));
}

} // namespace sophia::runtime::placement
