#include "runtime/diag/echo.hpp"

#include <charconv>
#include <map>

#include <caf/all.hpp>

#include "runtime/call/call.hpp"
#include "runtime/error.hpp"
#include "runtime/wire/codec.hpp"

namespace sophia::runtime::diag {

namespace {

struct echo_state {
  /// Sleeping calls, answered when their timer fires.
  std::map<uint64_t, caf::typed_response_promise<wire::buffer>> sleeping;
  uint64_t next_id = 0;

  static inline const char* name = "sophia.echo";
};

caf::behavior echo_impl(caf::stateful_actor<echo_state>* self) {
  return {
    [self](atoms::call, const wire::buffer& buf) -> caf::result<wire::buffer> {
      auto env = wire::decode_call_envelope(buf);
      if (!env) return env.error();
      if (env->method == "echo")
        return call::make_reply(std::move(env->payload));
      if (env->method == "fail")
        return make_error(errc::call_failed, env->payload);
      if (env->method == "sleeping")
        return call::make_reply(std::to_string(self->state.sleeping.size()));
      if (env->method == "sleep") {
        int64_t ms = 0;
        auto& p = env->payload;
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), ms);
        if (ec != std::errc{} || end != p.data() + p.size() || ms < 0)
          return make_error(errc::rejected,
                            "sleep: payload must be a number of milliseconds, "
                            "got '" +
                              p + "'");
        auto rp = self->make_response_promise<wire::buffer>();
        auto id = ++self->state.next_id;
        self->state.sleeping.emplace(id, rp);
        self->delayed_send(
          self, std::chrono::milliseconds{ ms }, caf::ok_atom::value, id, ms);
        return rp;
      }
      return make_error(errc::rejected,
                        "runtime.echo has no method '" + env->method +
                          "' (echo, sleep, sleeping, fail)");
    },
    [self](caf::ok_atom, uint64_t id, int64_t ms) {
      auto i = self->state.sleeping.find(id);
      if (i == self->state.sleeping.end()) return;
      i->second.deliver(
        call::make_reply("slept " + std::to_string(ms) + " ms"));
      self->state.sleeping.erase(i);
    },
  };
}

} // namespace

caf::actor spawn_echo(caf::actor_system& sys) {
  return sys.spawn(echo_impl);
}

} // namespace sophia::runtime::diag
